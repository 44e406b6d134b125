// The schedule's pure functions (src/agent/schedule.ts), exactly: what the
// Agent's timers follow and what bench:fleet simulates a fleet with.
import t from 'tap';
import {
  drawSplayMs,
  firstRunsInMs,
  nextSlot,
  sendJitterMs,
  slotAtMs,
} from '../../src/agent/schedule.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A random source that returns the given values in order and counts the calls. */
function draws(...values: number[]): { random: () => number; readonly calls: number } {
  let calls = 0;
  return {
    random: () => {
      const value = values[calls++];
      if (value === undefined) throw new Error('no draw left');
      return value;
    },
    get calls() {
      return calls;
    },
  };
}

t.test('drawSplayMs: uniform over [0, splay), whole milliseconds, one draw', async (t) => {
  t.equal(drawSplayMs(300_000, draws(0).random), 0, 'the lowest draw: no delay');
  t.equal(drawSplayMs(300_000, draws(0.5).random), 150_000);
  t.equal(drawSplayMs(300_000, draws(0.999_999_999).random), 299_999, 'never the splay itself');
  t.equal(drawSplayMs(1000, draws(0.123_456).random), 123, 'rounded down to the millisecond');
  const source = draws(0.7);
  t.equal(drawSplayMs(0, source.random), 0, 'splay 0s: sends at start, as MicroShift does');
  t.equal(source.calls, 1, 'one draw per start');
});

t.test('slotAtMs and nextSlot: the grid of periodic.ts', async (t) => {
  t.equal(slotAtMs(5000, 0, DAY), 5000, 'slot 0 at the origin');
  t.equal(slotAtMs(5000, 3, DAY), 5000 + 3 * DAY);
  t.equal(nextSlot(5000, 1000, -1, 0), 0, 'before the origin: slot 0');
  t.equal(nextSlot(5000, 1000, -1, 5000), 0, 'at the origin: slot 0');
  t.equal(
    nextSlot(5000, 1000, 0, 5999),
    1,
    'a timer 1 ms early after slot 0 aims at slot 1, not slot 0 again',
  );
  t.equal(nextSlot(5000, 1000, 0, 5000), 1, 'slot 0 ran: never slot 0 twice');
  t.equal(
    nextSlot(5000, 1000, 0, 8500),
    4,
    'a run that ended late skips the slots that passed (2, 3)',
  );
  t.equal(nextSlot(5000, 1000, 3, 8000), 4, 'exactly on slot 3 after running it: slot 4');
});

t.test(
  'sendJitterMs: none for the first send, a fresh draw within jitter × interval for each later one',
  async (t) => {
    const first = draws();
    t.equal(
      sendJitterMs(0, DAY, 0.1, first.random),
      0,
      'slot 0: the first report goes at start + splay',
    );
    t.equal(first.calls, 0, 'no draw for slot 0');
    const later = draws(0, 0.5, 0.999_999_999);
    t.equal(sendJitterMs(1, DAY, 0.1, later.random), 0);
    t.equal(sendJitterMs(2, DAY, 0.1, later.random), 4_320_000, 'half of 10 % of 24h: 72 min');
    t.equal(
      sendJitterMs(30, DAY, 0.1, later.random),
      8_639_999,
      'below 2.4 h, whatever the slot: per slot, not added up',
    );
    t.equal(later.calls, 3, 'one draw per later slot');
    const none = draws();
    t.equal(sendJitterMs(5, DAY, 0, none.random), 0, 'jitter 0 (tests): no wait');
    t.equal(none.calls, 0, 'and no draw');
  },
);

t.test('firstRunsInMs: at start, sampling now and sending after the splay', async (t) => {
  const intervals = { samplingIntervalMs: HOUR, sendingIntervalMs: DAY, firstSendDelayMs: 123_456 };
  t.same(firstRunsInMs(1_000_000, intervals), { samplingInMs: 0, sendingInMs: 123_456 });
  t.same(
    firstRunsInMs(1_000_000, { samplingIntervalMs: HOUR, sendingIntervalMs: DAY }),
    { samplingInMs: 0, sendingInMs: 0 },
    'no splay: send at start',
  );
});

t.test(
  'firstRunsInMs: after a reload, where the old grids stood, within one new interval',
  async (t) => {
    const now = 10 * DAY;
    const intervals = {
      samplingIntervalMs: HOUR,
      sendingIntervalMs: DAY,
      firstSendDelayMs: 999_999,
    };
    t.same(
      firstRunsInMs(now, intervals, {
        nextSampleAt: now + 20 * 60_000,
        nextSendAt: now + 5 * HOUR,
      }),
      { samplingInMs: 20 * 60_000, sendingInMs: 5 * HOUR },
      'the splay is not drawn again: the anchors hold',
    );
    t.same(
      firstRunsInMs(now, intervals, { nextSampleAt: now - 1, nextSendAt: now }),
      { samplingInMs: -1, sendingInMs: 0 },
      'owed (a run cut short by the reload, a wake a little late): at once, the grid keeping its phase',
    );
    t.same(
      firstRunsInMs(now, intervals, { nextSampleAt: now - 2.5 * HOUR, nextSendAt: now - DAY }),
      { samplingInMs: -0.5 * HOUR, sendingInMs: 0 },
      'slots missed while nothing ran: the last of them at once, on the old phase',
    );
    t.same(
      firstRunsInMs(
        now,
        { samplingIntervalMs: 60_000, sendingIntervalMs: HOUR },
        { nextSampleAt: now + HOUR, nextSendAt: now + DAY },
      ),
      { samplingInMs: 60_000, sendingInMs: HOUR },
      'intervals shortened by the reload: never later than one new interval',
    );
    t.same(
      firstRunsInMs(now, intervals, { nextSampleAt: undefined, nextSendAt: undefined }),
      { samplingInMs: 0, sendingInMs: 0 },
      'grids not running (telemetry was disabled): at once',
    );
  },
);
