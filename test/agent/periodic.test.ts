// The periodic timer with an injected clock: exact run counts, long intervals, early timers.
import t from 'tap';
import { every } from '../../src/agent/periodic.js';
import { silentLogger } from '../../src/base/log.js';
import { MAX_TIMER_MS } from '../../src/base/timers.js';
import { FakeClock } from '../helpers/fake-clock.js';

const HOUR = 3_600_000;

t.test('720h and 8760h: exactly one run per interval, never a flood', async (t) => {
  for (const intervalMs of [720 * HOUR, 8760 * HOUR]) {
    const clock = new FakeClock();
    const runsAt: number[] = [];
    const start = clock.now();
    const periodic = every(intervalMs, async () => void runsAt.push(clock.now() - start), {
      name: 'test',
      log: silentLogger,
      clock,
    });
    await clock.advance(intervalMs - 1);
    t.same(runsAt, [], 'nothing before the first slot');
    await clock.advance(1 + 2 * intervalMs);
    t.same(
      runsAt,
      [intervalMs, 2 * intervalMs, 3 * intervalMs],
      `${intervalMs / HOUR}h: one run per interval, on the slot`,
    );
    t.ok(
      clock.delays.every((delay) => delay <= MAX_TIMER_MS),
      'no timer beyond what Node honours',
    );
    t.ok(
      clock.delays.length <= 3 * (Math.ceil(intervalMs / MAX_TIMER_MS) + 1),
      `${clock.delays.length} timers in all`,
    );
    periodic.stop();
  }
});

t.test('a timer that fires early never runs a slot twice', async (t) => {
  const clock = new FakeClock(0, 1);
  let runs = 0;
  const periodic = every(
    1000,
    async () => {
      runs++;
    },
    { name: 'test', log: silentLogger, clock, firstRunInMs: 0 },
  );
  await clock.advance(10_000);
  t.equal(runs, 11, 'slots 0..10, each once');
  periodic.stop();
  await clock.advance(10_000);
  t.equal(runs, 11, 'nothing after stop');
  t.equal(clock.pendingTimers, 0);
});

t.test('a run longer than the interval skips the slots it covers, never overlaps', async (t) => {
  const clock = new FakeClock(0);
  const starts: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const periodic = every(
    100,
    async () => {
      starts.push(clock.now());
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 250));
      inFlight--;
    },
    { name: 'test', log: silentLogger, clock, firstRunInMs: 0 },
  );
  await clock.advance(1000);
  periodic.stop();
  t.same(starts, [0, 300, 600, 900], 'the next slot after each run ends');
  t.equal(maxInFlight, 1);
});

t.test('a failing run is logged and the schedule goes on', async (t) => {
  const clock = new FakeClock(0);
  let runs = 0;
  const errors: string[] = [];
  const log = { ...silentLogger, error: (message: string) => errors.push(message) };
  const periodic = every(
    30,
    async () => {
      runs++;
      throw new Error('boom');
    },
    { name: 'test', log, clock, firstRunInMs: 0 },
  );
  await clock.advance(200);
  periodic.stop();
  t.equal(runs, 7, 'slots 0, 30, ..., 180');
  t.same(errors, Array(7).fill('test failed'));
});

t.test('firstRunInMs and nextRunAt', async (t) => {
  const clock = new FakeClock(0);
  const runsAt: number[] = [];
  const periodic = every(1000, async () => void runsAt.push(clock.now()), {
    name: 'test',
    log: silentLogger,
    clock,
    firstRunInMs: 250,
  });
  t.equal(periodic.nextRunAt(), 250);
  await clock.advance(2300);
  t.same(runsAt, [250, 1250, 2250]);
  t.equal(periodic.nextRunAt(), 3250);
  periodic.stop();
  t.equal(periodic.nextRunAt(), undefined);
});
