// The agent's timers on an injected clock with a fake transport at the boundary: exact counts.
import t from 'tap';
import { Agent } from '../../src/agent/agent.js';
import type { Transport } from '../../src/transport/http-transport.js';
import type { SendResult } from '../../src/transport/send-result.js';
import type { Collector } from '../../src/collect/collector.js';
import { sleep } from '../../src/base/timers.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { MemorySampleBuffer } from '../../src/buffer/memory-buffer.js';
import { DestinationBuffers } from '../../src/buffer/destination-buffers.js';
import { MemoryCursorStore } from '../../src/buffer/cursor-files.js';
import { SetAsideMemory } from '../../src/deliver/set-aside.js';
import { silentLogger } from '../../src/base/log.js';
import { fixedCollector, sendDeps } from '../helpers/send-deps.js';

const HOUR = 3_600_000;

/** Answers `answer` after `delayMs` on the fake clock, or never when delayMs is Infinity; ends as cancelled when the caller aborts. */
function fakeTransport(
  clock: FakeClock,
  answer: () => SendResult,
  delayMs: number,
): Transport & { posts: number[]; inFlight: number; maxInFlight: number } {
  const transport = {
    posts: [] as number[],
    inFlight: 0,
    maxInFlight: 0,
    async post(
      _body: Uint8Array,
      _headers: Readonly<Record<string, string>>,
      signal: AbortSignal,
    ): Promise<SendResult> {
      transport.posts.push(clock.now() - START);
      transport.inFlight++;
      transport.maxInFlight = Math.max(transport.maxInFlight, transport.inFlight);
      const answered = await sleep(delayMs, signal, clock);
      transport.inFlight--;
      return answered ? answer() : { kind: 'cancelled' };
    },
    close() {},
  };
  return transport;
}

const START = 1_000_000;
const WALL_ORIGIN = Date.now() - 86_400_000;

function countingCollectors(clock: FakeClock): { collectors: Collector[]; samples: number[] } {
  const samples: number[] = [];
  return {
    samples,
    collectors: [
      fixedCollector('static', 'cluster:capacity_cpu_cores:sum', () => 4),
      // Stamped on the fake clock (as the wall clock a day ago plus it): two ticks within one real millisecond
      // would otherwise share a timestamp, and a send takes ticks of one timestamp as one newest tick.
      {
        name: 'cpu',
        kind: 'dynamic',
        help: { 'cluster:cpu_usage_cores:sum': 'cores' },
        collect: async () => {
          samples.push(clock.now() - START);
          return [
            {
              name: 'cluster:cpu_usage_cores:sum',
              labels: {},
              value: 1.5,
              timestampMs: WALL_ORIGIN + clock.now(),
            },
          ];
        },
      },
    ],
  };
}

t.test(
  'samples and sends at start, then on the interval; a slow send is never overlapped; stop sends once more',
  async (t) => {
    const clock = new FakeClock(START);
    const transport = fakeTransport(clock, () => ({ kind: 'delivered', status: 200 }), 250);
    const { collectors, samples } = countingCollectors(clock);
    const deps = sendDeps('http://unused.invalid/', { transport, collectors });
    const agent = new Agent(deps, {
      samplingIntervalMs: 100,
      sendingIntervalMs: 100,
      shutdownSendTimeoutMs: 2000,
      clock,
    });
    agent.start();
    await clock.advance(1150);
    // 250 ms requests; a send is the backlog then the newest tick in a request of its own (one request when only the newest is held).
    // Each next send on the first slot after the last one ended: 0 (one request), 300 (two: 300, 550), 800 (two: 800, 1050).
    // The slot due the instant the last send ended starts the next: a slot waits for no send (each destination's runs on).
    t.same(transport.posts, [0, 300, 550, 800, 1050]);
    t.same(
      samples,
      [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100],
      'sampling ticks on its own grid, every slot',
    );
    const summary = await clock.runUntil(agent.stop());
    t.same(
      transport.posts,
      [0, 300, 550, 800, 1050, 1150, 1400],
      'stop cancels the request in flight; the last send is two requests',
    );
    t.equal(transport.maxInFlight, 1, 'sends never overlap');
    t.equal(summary?.ok, true, 'the last send went out');
    t.equal(deps.buffer.size, 0, 'nothing left behind');
  },
);

t.test(
  'an endpoint that never answers: sampling starts at once and never waits for the stuck send',
  async (t) => {
    const clock = new FakeClock(START);
    const transport = fakeTransport(clock, () => ({ kind: 'delivered', status: 200 }), Infinity);
    const { collectors, samples } = countingCollectors(clock);
    const deps = sendDeps('http://unused.invalid/', { transport, collectors });
    const agent = new Agent(deps, {
      samplingIntervalMs: 60_000,
      sendingIntervalMs: HOUR,
      shutdownSendTimeoutMs: 10_000,
      clock,
    });
    agent.start();
    await clock.advance(10 * 60_000);
    t.equal(samples.length, 11, 'a tick at 0 and at every minute of the 10');
    t.same(
      samples,
      Array.from({ length: 11 }, (_, index) => index * 60_000),
    );
    t.same(transport.posts, [0], 'the first send is still stuck');
    t.equal(deps.buffer.size, 11, 'every tick buffered');
    await clock.runUntil(agent.stop());
    t.same(
      transport.posts,
      [0, 600_000],
      'stop cancels the stuck send and tries once more within its deadline',
    );
    t.equal(deps.buffer.size, 11, 'kept');
  },
);

t.test('sendingInterval 720h: exactly one send per interval, no flood', async (t) => {
  const clock = new FakeClock(START);
  const transport = fakeTransport(clock, () => ({ kind: 'delivered', status: 200 }), 10);
  const { collectors, samples } = countingCollectors(clock);
  const deps = sendDeps('http://unused.invalid/', { transport, collectors });
  const agent = new Agent(deps, {
    samplingIntervalMs: 24 * HOUR,
    sendingIntervalMs: 720 * HOUR,
    shutdownSendTimeoutMs: 10_000,
    clock,
  });
  agent.start();
  await clock.advance(3 * 720 * HOUR + 10);
  // At each send: the backlog (the daily ticks) in one request, then the newest tick in its own, 10 ms later.
  t.same(transport.posts, [
    0,
    720 * HOUR,
    720 * HOUR + 10,
    1440 * HOUR,
    1440 * HOUR + 10,
    2160 * HOUR,
    2160 * HOUR + 10,
  ]);
  t.equal(samples.length, 91, 'one sample a day for 90 days, and the one at start');
  await clock.runUntil(agent.stop());
});

t.test(
  'a reload carries the schedule over: no extra sample, no extra report, nothing put off',
  async (t) => {
    const clock = new FakeClock(START);
    const transport = fakeTransport(clock, () => ({ kind: 'delivered', status: 200 }), 10);
    const { collectors, samples } = countingCollectors(clock);
    const deps = sendDeps('http://unused.invalid/', { transport, collectors });
    const schedule = {
      samplingIntervalMs: 100,
      sendingIntervalMs: 1000,
      shutdownSendTimeoutMs: 2000,
      clock,
    };
    const first = new Agent(deps, schedule);
    first.start();
    await clock.advance(150);
    const anchor = await first.pause();
    t.same(anchor, { nextSampleAt: START + 200, nextSendAt: START + 1000, reported: true });
    const second = new Agent(deps, schedule);
    second.start(anchor);
    await clock.advance(849);
    t.same(transport.posts, [0], 'no report at the reload');
    t.same(
      samples,
      [0, 100, 200, 300, 400, 500, 600, 700, 800, 900],
      'no sample at the reload, none missed',
    );
    await clock.advance(1);
    t.same(transport.posts, [0, 1000], 'the next report where the old grid had it');
    await clock.runUntil(second.stop());
  },
);

t.test(
  'a reload right after start, before the first send ended: the anchors say when the next ones are due',
  async (t) => {
    const clock = new FakeClock(START);
    const transport = fakeTransport(clock, () => ({ kind: 'delivered', status: 200 }), 10);
    const deps = sendDeps('http://unused.invalid/', { transport });
    const agent = new Agent(deps, {
      samplingIntervalMs: 60_000,
      sendingIntervalMs: HOUR,
      shutdownSendTimeoutMs: 2000,
      clock,
    });
    agent.start();
    t.same(
      agent.anchor(),
      { nextSampleAt: START, nextSendAt: START + HOUR, sendDueAt: START, reported: false },
      'the first sample runs and the first send waits for it: both owed now',
    );
    await clock.advance(1000);
    t.same(
      agent.anchor(),
      { nextSampleAt: START + 60_000, nextSendAt: START + HOUR, reported: true },
      'both done: the grids',
    );
    await clock.runUntil(agent.stop());
    t.same(agent.anchor(), { nextSampleAt: undefined, nextSendAt: undefined, reported: true });
  },
);

t.test(
  'a reload while the first send is still running: the send is owed, and the new agent makes it at once',
  async (t) => {
    const clock = new FakeClock(START);
    const stuck = fakeTransport(clock, () => ({ kind: 'delivered', status: 200 }), Infinity);
    const deps = sendDeps('http://unused.invalid/', { transport: stuck });
    const first = new Agent(deps, {
      samplingIntervalMs: 60_000,
      sendingIntervalMs: HOUR,
      shutdownSendTimeoutMs: 2000,
      clock,
    });
    first.start();
    await clock.advance(5000);
    t.same(stuck.posts, [0]);
    const anchor = await first.pause();
    t.same(anchor, {
      nextSampleAt: START + 60_000,
      nextSendAt: START + HOUR,
      sendDueAt: START + 5000,
      reported: true,
    });
    const working = fakeTransport(clock, () => ({ kind: 'delivered', status: 200 }), 10);
    const second = new Agent(
      { ...deps, transport: working },
      { samplingIntervalMs: 60_000, sendingIntervalMs: HOUR, shutdownSendTimeoutMs: 2000, clock },
    );
    second.start(anchor);
    await clock.advance(100);
    t.same(working.posts, [5000], 'sent at once after the reload');
    await clock.advance(HOUR);
    t.same(
      working.posts,
      [5000, HOUR, HOUR + 10],
      'then on the grid, which kept its phase (backlog, then the newest tick)',
    );
    await clock.runUntil(second.stop());
  },
);

t.test(
  'splay: the first send waits the delay drawn for this start, sampling does not; later sends keep that offset',
  async (t) => {
    const clock = new FakeClock(START);
    const transport = fakeTransport(clock, () => ({ kind: 'delivered', status: 200 }), 1);
    const { collectors, samples } = countingCollectors(clock);
    const deps = sendDeps('http://unused.invalid/', { transport, collectors });
    const agent = new Agent(deps, {
      samplingIntervalMs: HOUR,
      sendingIntervalMs: HOUR,
      shutdownSendTimeoutMs: 2000,
      clock,
      firstSendDelayMs: 150_000,
    });
    agent.start();
    await clock.advance(2 * HOUR + 200_000);
    t.same(samples, [0, HOUR, 2 * HOUR], 'sampling starts at once');
    // One request a send (one tick held each time), 150 s after each slot of the sampling grid.
    t.same(transport.posts, [150_000, HOUR + 150_000, 2 * HOUR + 150_000]);
    await clock.runUntil(agent.stop());
  },
);

t.test(
  'send jitter: each send after the first waits its drawn part of 10 % of sendingInterval past its slot',
  async (t) => {
    const clock = new FakeClock(START);
    const transport = fakeTransport(clock, () => ({ kind: 'delivered', status: 200 }), 1);
    const { collectors } = countingCollectors(clock);
    const deps = sendDeps('http://unused.invalid/', { transport, collectors });
    const draws = [0.5, 0.25];
    const agent = new Agent(deps, {
      samplingIntervalMs: HOUR,
      sendingIntervalMs: HOUR,
      shutdownSendTimeoutMs: 2000,
      clock,
      sendJitter: 0.1,
      random: () => draws.shift() ?? 0,
    });
    agent.start();
    await clock.advance(2 * HOUR + HOUR / 2);
    // At start at once; then slot 1 + 5 % and slot 2 + 2.5 % of an hour (one request each: only the newest tick is held).
    t.same(transport.posts, [0, HOUR + 180_000, 2 * HOUR + 90_000]);
    await clock.runUntil(agent.stop());
  },
);

t.test(
  'afterWork runs once after each sampling tick and once after each send, never before the work',
  async (t) => {
    const clock = new FakeClock(START);
    const transport = fakeTransport(clock, () => ({ kind: 'delivered', status: 200 }), 10);
    const { collectors, samples } = countingCollectors(clock);
    const deps = sendDeps('http://unused.invalid/', { transport, collectors });
    const calls: number[] = [];
    const agent = new Agent(deps, {
      samplingIntervalMs: 1000,
      sendingIntervalMs: HOUR,
      shutdownSendTimeoutMs: 2000,
      clock,
      memory: { afterWork: () => calls.push(clock.now() - START), betweenSteps: () => {} },
    });
    agent.start();
    await clock.advance(3500);
    t.same(samples, [0, 1000, 2000, 3000]);
    t.same(transport.posts, [0], 'one send, at start, of one request that takes 10 ms');
    t.same(calls, [0, 10, 1000, 2000, 3000], 'after each tick, and after the send ended');
    await clock.runUntil(agent.stop());
    t.same(calls, [0, 10, 1000, 2000, 3000], 'not after the last send at stop: the process exits');
  },
);

t.test(
  'retry waits run on the agent clock: a 503 is retried exactly retry.minDelay later on the virtual clock, never in real time',
  async (t) => {
    const clock = new FakeClock(START);
    let answers = 0;
    const transport = fakeTransport(
      clock,
      () =>
        answers++ === 0
          ? { kind: 'retryable', cause: 'status', status: 503, reason: 'HTTP 503' }
          : { kind: 'delivered', status: 200 },
      0,
    );
    const { collectors } = countingCollectors(clock);
    // minDelay = maxDelay: the first retry's wait is exactly 60 s whatever the jitter draws.
    const deps = {
      ...sendDeps('http://unused.invalid/', { transport, collectors }),
      retry: { maxAttempts: 3, minDelayMs: 60_000, maxDelayMs: 60_000, maxElapsedMs: HOUR },
    };
    const agent = new Agent(deps, {
      samplingIntervalMs: HOUR,
      sendingIntervalMs: HOUR,
      shutdownSendTimeoutMs: 10_000,
      clock,
    });
    agent.start();
    // The answer comes 1 ms after the post (the shortest timer), the retry 60 s after the answer.
    await clock.advance(60_000);
    t.same(transport.posts, [0], 'the retry has not happened before its wait on the virtual clock');
    await clock.advance(1);
    t.same(transport.posts, [0, 60_001], 'retried at exactly 60 s of virtual time after the 503');
    await clock.advance(1);
    t.equal(deps.buffer.size, 0, 'delivered by the retry, answered 1 ms later');
    await clock.runUntil(agent.stop());
  },
);

t.test(
  'a collector that never returns, collectTimeout 10 × the sampling interval: every slot sampled, one warning',
  async (t) => {
    const clock = new FakeClock(START);
    const transport = fakeTransport(clock, () => ({ kind: 'delivered', status: 200 }), 0);
    const { collectors, samples } = countingCollectors(clock);
    // What a Kubernetes API that accepts and never answers looks like to a tick.
    const hanging: Collector = {
      name: 'cluster-objects',
      kind: 'dynamic',
      help: {},
      collect: () => new Promise(() => {}),
    };
    const lines: string[] = [];
    const log = {
      error: () => {},
      warn: (message: string) => lines.push(message),
      info: (message: string) => lines.push(message),
      debug: () => {},
    };
    const deps = sendDeps(
      'http://unused.invalid/',
      {
        transport,
        collectors: [...collectors, hanging],
        collectTimeoutMs: 10_000,
        samplingIntervalMs: 1000,
      },
      log,
    );
    const agent = new Agent(deps, {
      samplingIntervalMs: 1000,
      sendingIntervalMs: HOUR,
      shutdownSendTimeoutMs: 1000,
      clock,
    });
    agent.start();
    await clock.advance(10_000);
    t.same(
      samples,
      Array.from({ length: 11 }, (_, index) => index * 1000),
      'a tick at every second: the hanging collector gets 0.8 s of each, not 10 s',
    );
    t.same(
      lines.filter((line) => line.startsWith('collector')),
      ['collector failed; its series are left out until it works again (said once)'],
      'one warning for ten failed ticks',
    );
    await clock.runUntil(agent.stop());
  },
);

t.test(
  'two destinations on one buffer: one that never answers costs the other none of its slots, and every sample reaches both',
  async (t) => {
    const clock = new FakeClock(START);
    const fast = fakeTransport(clock, () => ({ kind: 'delivered', status: 200 }), 10);
    const stuck = fakeTransport(clock, () => ({ kind: 'delivered', status: 200 }), Infinity);
    const { collectors, samples } = countingCollectors(clock);
    const shared = new MemorySampleBuffer({ maxSamples: 1000, maxAgeMs: 48 * HOUR });
    const buffers = await DestinationBuffers.open(
      shared,
      [
        { name: 'primary', startsAt: 'oldest' },
        { name: 'slow', startsAt: 'now' },
      ],
      new MemoryCursorStore(),
      silentLogger,
    );
    const base = sendDeps('http://unused.invalid/', { collectors });
    const agent = new Agent(
      [
        { ...base, transport: fast, buffer: buffers.view('primary') },
        { ...base, transport: stuck, buffer: buffers.view('slow'), setAside: new SetAsideMemory() },
      ],
      { samplingIntervalMs: 100, sendingIntervalMs: 100, shutdownSendTimeoutMs: 50, clock },
    );
    agent.start();
    await clock.advance(450);
    t.same(samples, [0, 100, 200, 300, 400]);
    // Each send of the fast one: the newest tick alone (the rest went before) at every slot.
    t.same(fast.posts, [0, 100, 200, 300, 400], 'the fast destination sends on every slot');
    t.same(stuck.posts, [0], 'the stuck one has one request in flight, never a second');
    // The tick at 400 was in the buffer when the send of the same slot read it.
    t.equal(buffers.view('primary').size, 0, 'the fast one has taken every sample');
    t.equal(buffers.view('slow').size, 5, 'the buffer keeps them for the stuck one');
    t.equal(shared.size, 5);
    await clock.runUntil(agent.stop());
    t.equal(
      buffers.view('primary').size,
      0,
      'the last send at stop took the newest to the fast one',
    );
    t.equal(shared.size, 5, 'still kept after the stop: the stuck one never took them');
  },
);

t.test(
  'exiting to wait: agents started one after another from the anchor each left at its idle point sample and send exactly on the grid',
  async (t) => {
    const clock = new FakeClock(START);
    const transport = fakeTransport(clock, () => ({ kind: 'delivered', status: 200 }), 10);
    const { collectors, samples } = countingCollectors(clock);
    const deps = sendDeps('http://unused.invalid/', { transport, collectors });
    const MINUTE = 60_000;
    // Each process: started, runs until it says it is idle with the next work 30 s or more away, pauses.
    const idles: number[] = [];
    let anchor: Parameters<Agent['start']>[0];
    let processes = 0;
    while (samples.length < 31) {
      let idle: number | undefined;
      const agent = new Agent(deps, {
        samplingIntervalMs: MINUTE,
        sendingIntervalMs: 5 * MINUTE,
        shutdownSendTimeoutMs: 2000,
        sendJitter: 0.1,
        random: () => 0.5,
        clock,
        onSettled: (_standing, idleUntil) => {
          if (idleUntil !== undefined && idleUntil - clock.now() >= 30_000) idle ??= idleUntil;
        },
      });
      agent.start(anchor);
      processes++;
      while (idle === undefined) await clock.advance(1);
      anchor = await agent.pause();
      idles.push(idle - START);
      // The launcher starts the next one 2 s before the work, and this one 700 ms late on top.
      await clock.advance(idle - clock.now() - 2000 + (processes % 3 === 0 ? 2700 : 0));
    }
    t.same(
      samples.map((at) => Math.floor(at / MINUTE)),
      Array.from({ length: 31 }, (_, k) => k),
      "a sample every minute of the first start's grid, none lost, none doubled",
    );
    t.same(
      [...new Set(samples.map((at) => at % MINUTE))].sort((x, y) => x - y),
      [0, 700],
      'on its slot, or at once when the process started late (700 ms), the grid keeping its phase',
    );
    // A send is one request or two 10 ms apart (the backlog, then the newest tick).
    const sends = transport.posts.filter(
      (at, index, all) => index === 0 || at - all[index - 1]! > 1000,
    );
    // Slot 0 at start unjittered; each later slot 15 s (0.5 × 10 % of 5 min) past its time.
    t.same(
      sends.map((at) => (at === 0 ? 0 : Math.floor((at - 15_000) / (5 * MINUTE)))),
      [0, 1, 2, 3, 4, 5, 6],
      'a report at start, then one every 5 minutes, none lost, none doubled',
    );
    t.same(
      sends.slice(1).filter((at) => ![0, 700].includes((at - 15_000) % (5 * MINUTE))),
      [],
      'each 15 s past its slot, the jitter drawn kept across the exits (or at once when started late)',
    );
    t.ok(processes >= 31, `${processes} processes, one or more per minute`);
    t.same(
      idles.filter((at) => at % MINUTE !== 0 && (at - 15_000) % (5 * MINUTE) !== 0),
      [],
      'every exit waits for a sample slot or a jittered send',
    );
  },
);
