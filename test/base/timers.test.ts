// Long timers: every delay up to a year holds, with Node's 2^31-1 ms limit on each timer.
import t from 'tap';
import {
  MAX_TIMER_MS,
  deadlineSignal,
  longTimeout,
  sleep,
  wallTimeOf,
} from '../../src/base/timers.js';
import { linkedSignal } from '../../src/base/abort.js';
import { FakeClock } from '../helpers/fake-clock.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

t.test('a 30-day and a 365-day timeout fire once, at the deadline, never earlier', async (t) => {
  for (const ms of [30 * DAY, 365 * DAY]) {
    const clock = new FakeClock();
    let fired = 0;
    longTimeout(() => fired++, ms, clock);
    await clock.advance(ms - 1);
    t.equal(fired, 0, `${ms / DAY} days: not 1 ms early`);
    await clock.advance(1);
    t.equal(fired, 1, `${ms / DAY} days: fired at the deadline`);
    await clock.advance(ms);
    t.equal(fired, 1, 'and only once');
    t.ok(
      clock.delays.every((delay) => delay <= MAX_TIMER_MS && delay >= 1),
      'every underlying timer within what Node honours',
    );
    t.equal(clock.delays.length, Math.ceil(ms / MAX_TIMER_MS), 'one timer per 2^31-1 ms');
  }
});

t.test('a timer that fires early re-arms for the rest', async (t) => {
  const clock = new FakeClock(0, 5);
  let firedAt: number | undefined;
  longTimeout(() => (firedAt = clock.now()), 1000, clock);
  await clock.advance(2000);
  t.equal(firedAt, 1000);
  t.same(clock.delays, [1000, 5]);
});

t.test('cancel: never fires', async (t) => {
  const clock = new FakeClock();
  let fired = 0;
  longTimeout(() => fired++, 40 * DAY, clock).cancel();
  await clock.advance(80 * DAY);
  t.equal(fired, 0);
  t.equal(clock.pendingTimers, 0);
});

t.test('sleep: true after the time, false at once on abort, no listener left behind', async (t) => {
  const clock = new FakeClock();
  t.equal(await clock.runUntil(sleep(720 * HOUR, new AbortController().signal, clock)), true);
  const controller = new AbortController();
  const sleeping = sleep(720 * HOUR, controller.signal, clock);
  await clock.advance(HOUR);
  controller.abort();
  t.equal(await sleeping, false);
  t.equal(clock.pendingTimers, 0, 'its timer is gone');
  t.equal(await sleep(10, controller.signal, clock), false, 'an aborted signal does not sleep');
});

t.test(
  'linkedSignal with 30 days does not abort early; it does at 30 days; the parent still aborts it',
  async (t) => {
    const clock = new FakeClock();
    const parent = new AbortController();
    const linked = linkedSignal(parent.signal, 30 * DAY, () => new Error('deadline'), clock);
    await clock.advance(1);
    t.equal(linked.signal.aborted, false, 'not after 1 ms (what a 2^31+ ms setTimeout does)');
    await clock.advance(30 * DAY - 2);
    t.equal(linked.signal.aborted, false, 'not 1 ms before');
    await clock.advance(1);
    t.equal(linked.signal.aborted, true);
    t.equal((linked.signal.reason as Error).message, 'deadline');
    linked.dispose();

    const second = linkedSignal(parent.signal, 30 * DAY, () => new Error('deadline'), clock);
    parent.abort(new Error('stop'));
    t.equal((second.signal.reason as Error).message, 'stop');
    second.dispose();
  },
);

t.test(
  'linkedSignal on the real clock with 30 days: not aborted after a few real timer turns',
  async (t) => {
    const linked = linkedSignal(
      new AbortController().signal,
      30 * DAY,
      () => new Error('deadline'),
    );
    // A setTimeout above 2^31-1 ms fires after 1 ms; give it ten real turns of the timer queue.
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 2));
    t.equal(linked.signal.aborted, false);
    linked.dispose();
  },
);

t.test('deadlineSignal: 720h holds', async (t) => {
  const clock = new FakeClock();
  const deadline = deadlineSignal(720 * HOUR, () => new Error('late'), clock);
  await clock.advance(720 * HOUR - 1);
  t.equal(deadline.signal.aborted, false);
  await clock.advance(1);
  t.equal(deadline.signal.aborted, true);
  deadline.dispose();
});

t.test(
  'a monotonic time read on the wall clock: its distance from now, never in the past',
  async (t) => {
    const clock = new FakeClock();
    await clock.advance(5_000);
    const wallNow = Date.UTC(2026, 11, 8, 12);
    t.equal(wallTimeOf(clock.now() + 90_000, clock, wallNow), wallNow + 90_000, '90 s ahead');
    t.equal(wallTimeOf(clock.now() - 1_000, clock, wallNow), wallNow, 'one already due is now');
  },
);
