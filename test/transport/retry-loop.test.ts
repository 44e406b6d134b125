// The retry loop on an injected clock and random source: exact waits.
import t from 'tap';
import { backoffMs, sendWithRetry, type RetryPolicy } from '../../src/transport/retry.js';
import type { SendResult } from '../../src/transport/send-result.js';
import { FakeClock } from '../helpers/fake-clock.js';

const POLICY: RetryPolicy = {
  maxAttempts: 6,
  minDelayMs: 1000,
  maxDelayMs: 300_000,
  maxElapsedMs: 900_000,
};
const fail = (retryAfterMs?: number): SendResult => ({
  kind: 'retryable',
  cause: 'status',
  status: 503,
  reason: 'HTTP 503',
  ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
});

/** Answers in order, then 200; records when each attempt started. */
function scripted(
  clock: FakeClock,
  answers: SendResult[],
): { attempt: (signal: AbortSignal) => Promise<SendResult>; at: number[] } {
  const at: number[] = [];
  const start = clock.now();
  return {
    at,
    attempt: async () => {
      at.push(clock.now() - start);
      return answers.shift() ?? { kind: 'delivered', status: 200 };
    },
  };
}

t.test(
  'backoff: doubles from minDelay, capped at maxDelay, jittered between half and all of the step, never below minDelay',
  async (t) => {
    t.same(
      [1, 2, 3, 4].map((retry) => backoffMs(retry, POLICY, 0.999999)),
      [1000, 2000, 4000, 8000],
    );
    t.same(
      [1, 2, 3, 4].map((retry) => backoffMs(retry, POLICY, 0)),
      [1000, 1000, 2000, 4000],
    );
    t.equal(backoffMs(20, POLICY, 0.5), 225_000, 'three quarters of maxDelay');
    t.equal(backoffMs(2000, POLICY, 0.999999), 300_000, 'no overflow for a large retry count');
  },
);

t.test('503 three times then 200: exact waits', async (t) => {
  const clock = new FakeClock();
  const { attempt, at } = scripted(clock, [fail(), fail(), fail()]);
  const waits: number[] = [];
  const result = await clock.runUntil(
    sendWithRetry(
      attempt,
      POLICY,
      new AbortController().signal,
      (_r, _n, waitMs) => waits.push(waitMs),
      { clock, random: () => 0.5 },
    ),
  );
  t.same(result, { kind: 'delivered', status: 200, attempts: 4 });
  t.same(waits, [1000, 1500, 3000]);
  t.same(at, [0, 1000, 2500, 5500]);
});

t.test('Retry-After longer than the backoff is waited; shorter is not', async (t) => {
  const clock = new FakeClock();
  const { attempt, at } = scripted(clock, [fail(120_000), fail(10)]);
  const result = await clock.runUntil(
    sendWithRetry(attempt, POLICY, new AbortController().signal, () => {}, {
      clock,
      random: () => 0.5,
    }),
  );
  t.equal(result.kind, 'delivered');
  t.same(at, [0, 120_000, 121_500]);
});

t.test('a Retry-After beyond the budget ends the round at once', async (t) => {
  const clock = new FakeClock();
  const { attempt, at } = scripted(clock, [fail(901_000)]);
  const result = await clock.runUntil(
    sendWithRetry(attempt, POLICY, new AbortController().signal, () => {}, {
      clock,
      random: () => 0.5,
    }),
  );
  t.match(result, { kind: 'retryable', attempts: 1, gaveUp: 'budget', retryAfterMs: 901_000 });
  t.same(at, [0]);
  t.equal(clock.now(), 1_000_000, 'no time spent waiting');
});

t.test(
  'Retry-After can no longer overrun maxElapsed: the last wait is cut to what is left, then the round ends',
  async (t) => {
    const clock = new FakeClock();
    const policy: RetryPolicy = {
      maxAttempts: 100,
      minDelayMs: 1000,
      maxDelayMs: 4000,
      maxElapsedMs: 10_000,
    };
    const { attempt, at } = scripted(
      clock,
      Array.from({ length: 100 }, () => fail()),
    );
    const result = await clock.runUntil(
      sendWithRetry(attempt, policy, new AbortController().signal, () => {}, {
        clock,
        random: () => 0.999999,
      }),
    );
    t.same(at, [0, 1000, 3000, 7000, 10_000], 'waits 1000, 2000, 4000, then the 3000 left');
    t.match(result, { kind: 'retryable', attempts: 5, gaveUp: 'budget' });
  },
);

t.test('maxAttempts ends the round with the last failure', async (t) => {
  const clock = new FakeClock();
  const { attempt, at } = scripted(
    clock,
    Array.from({ length: 10 }, () => fail()),
  );
  const result = await clock.runUntil(
    sendWithRetry(attempt, { ...POLICY, maxAttempts: 3 }, new AbortController().signal, () => {}, {
      clock,
      random: () => 0,
    }),
  );
  t.match(result, { kind: 'retryable', attempts: 3, gaveUp: 'attempts' });
  t.same(at, [0, 1000, 2000]);
});

t.test('non-retryable results end the loop at once, whatever they are', async (t) => {
  const finals: SendResult[] = [
    { kind: 'refused', status: 400, body: 'x' },
    { kind: 'configuration', status: 401, body: '', hint: 'h' },
    { kind: 'too-large', status: 413, body: '' },
    { kind: 'redirect', status: 302, location: 'https://elsewhere.example/', body: '' },
    { kind: 'cancelled' },
  ];
  for (const final of finals) {
    const clock = new FakeClock();
    const { attempt, at } = scripted(clock, [final]);
    const result = await clock.runUntil(
      sendWithRetry(attempt, POLICY, new AbortController().signal, () => {}, { clock }),
    );
    t.same(result, { ...final, attempts: 1 }, final.kind);
    t.same(at, [0]);
  }
});

t.test(
  'cancellation: before the first try nothing is sent; during a sleep it ends at once',
  async (t) => {
    const clock = new FakeClock();
    const aborted = new AbortController();
    aborted.abort();
    const none = scripted(clock, []);
    t.same(await sendWithRetry(none.attempt, POLICY, aborted.signal, () => {}, { clock }), {
      kind: 'cancelled',
      attempts: 0,
    });
    t.same(none.at, []);

    const controller = new AbortController();
    const sleeping = scripted(clock, [fail(600_000)]);
    const result = sendWithRetry(sleeping.attempt, POLICY, controller.signal, () => {}, { clock });
    await clock.advance(60_000);
    controller.abort();
    t.same(await result, { kind: 'cancelled', attempts: 1 });
    t.same(sleeping.at, [0]);
    t.equal(clock.pendingTimers, 0, 'its sleep is gone');
  },
);
