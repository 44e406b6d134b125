// The heap shrink: real collections under the unit's --expose-gc (what is
// unreferenced goes; the young generation start-up filled is given back once
// the daemon idles), exact calls with a fake gc and clock, nothing without it.
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  SETTLE_MS,
  heapShrink,
  shrinkModeFor,
  type ShrinkClock,
} from '../../src/base/heap-shrink.js';
import { launcherFlags } from '../helpers/launcher.js';

const run = promisify(execFile);
const moduleUrl = pathToFileURL(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/base/heap-shrink.ts'),
).href;

/** Runs `body` in a fresh Node with `flags` after `shrink` is made; returns its stdout. */
async function inFreshNode(flags: string[], body: string[]): Promise<string> {
  const script = [
    `const { heapShrink } = await import(${JSON.stringify(moduleUrl)});`,
    'const shrink = heapShrink().afterWork;',
    ...body,
  ].join('\n');
  const { stdout } = await run(
    process.execPath,
    [...flags, '--import', '@tapjs/typescript/import', '--input-type=module', '-e', script],
    { timeout: 60_000 },
  );
  return stdout;
}

/** In a fresh Node with `flags`: is an object nobody references still there after one heap shrink? */
const survivesShrink = (flags: string[]) =>
  inFreshNode(flags, [
    'let ref = new WeakRef({ payload: new Array(1000).fill(1) });',
    // A WeakRef target lives until the current job ends.
    'await new Promise((resolve) => setImmediate(resolve));',
    'shrink();',
    "process.stdout.write(ref.deref() === undefined ? 'collected' : 'alive');",
  ]);

t.test(
  'with --expose-gc (as the unit starts Node) it collects what nothing references',
  async (t) => {
    t.equal(await survivesShrink(['--expose-gc']), 'collected');
  },
);

t.test('without --expose-gc it does nothing, and there is no gc to call', async (t) => {
  t.equal(
    typeof (globalThis as { gc?: unknown }).gc,
    'undefined',
    'tap runs this file without --expose-gc',
  );
  t.equal(await survivesShrink([]), 'alive');
});

t.test(
  `on Node.js ${process.versions.node}, the young generation a burst filled is given back after SETTLE_MS of idling, more than by a plain gc() (V8's own rate window)`,
  async (t) => {
    // The launcher's flags for this line. A burst like start-up's: a few MB
    // allocated fast, some kept. V8 sizes the young generation by the recent
    // allocation rate and survival: V8 11, 13 and 14 grow it to both semi-spaces
    // within one round here, V8 12 (Node 22) on a loaded machine (tap runs two
    // files at once, CI four lines' worth of servers) sometimes not at all, as
    // a descheduled process reads as a slow allocator. So the burst goes on,
    // round after round, until the young generation has grown past what a
    // shrink may leave (a quarter of the semi-spaces), for 40 rounds at most;
    // a burst that never grew it measures nothing and fails the premise.
    const semiSpaces = 2 * 1024 * 1024;
    const grownEnough = semiSpaces / 4;
    const grown = async (how: string): Promise<{ before: number; after: number; rounds: number }> =>
      JSON.parse(
        await inFreshNode(launcherFlags(), [
          "const v8 = await import('node:v8');",
          "const young = () => v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').physical_space_size;",
          // Kept in a ring: each round keeps as much as start-up does, and 40 rounds stay far under the 64 MB heap.
          'const kept = new Array(10_000);',
          'let rounds = 0;',
          'let k = 0;',
          `while (rounds < 40 && (rounds === 0 || young() <= ${grownEnough})) {`,
          '  rounds++;',
          "  for (let i = 0; i < 200_000; i++) { const o = { i, s: 'x' + i, a: new Array(24).fill(i) }; if (i % 20 === 0) kept[k++ % kept.length] = o; }",
          '}',
          'const before = young();',
          how,
          `await new Promise((resolve) => setTimeout(resolve, ${SETTLE_MS + 500}));`,
          'process.stdout.write(JSON.stringify({ before, after: young(), rounds, kept: k }));',
        ]),
      ) as { before: number; after: number; rounds: number };
    const plain = await grown(`gc(); setTimeout(() => gc(), ${SETTLE_MS});`);
    const shrunk = await grown('shrink();');
    t.ok(
      plain.before > grownEnough,
      `the burst grew the young generation (${plain.before} bytes of ${semiSpaces} after ${plain.rounds} rounds)`,
    );
    t.ok(
      shrunk.before > grownEnough,
      `the burst grew the young generation (${shrunk.before} bytes of ${semiSpaces} after ${shrunk.rounds} rounds)`,
    );
    // The A/B on this line: after a plain gc() now and a second later V8 20
    // keeps both semi-spaces (it still sees the burst in its window), 24's keep
    // one and 26's half of one; the shrink gives back more on each.
    t.ok(
      shrunk.after < plain.after,
      `the shrink keeps less than plain gc() calls (${shrunk.after} bytes against ${plain.after})`,
    );
    t.ok(
      shrunk.after <= grownEnough,
      `the shrink and its follow-up give them back (${shrunk.after} bytes left of ${semiSpaces})`,
    );
  },
);

/** A fake gc recording each call's type, and a fake clock whose timers fire when told. */
function fakes(t: Test) {
  const calls: string[] = [];
  (globalThis as { gc?: unknown }).gc = (options?: { type: string; flavor?: string }) =>
    calls.push(
      options?.flavor === undefined
        ? (options?.type ?? 'major')
        : `${options.type} ${options.flavor}`,
    );
  t.teardown(() => delete (globalThis as { gc?: unknown }).gc);
  let now = 0;
  const timers: { at: number; callback: () => void }[] = [];
  const clock: ShrinkClock = {
    now: () => now,
    setTimeout: (callback, ms) => timers.push({ at: now + ms, callback }),
  };
  const advance = (ms: number) => {
    const until = now + ms;
    for (;;) {
      timers.sort((a, b) => a.at - b.at);
      const next = timers[0];
      if (next === undefined || next.at > until) break;
      timers.shift();
      now = next.at;
      next.callback();
    }
    now = until;
  };
  return { calls, clock, advance, pending: () => timers.length };
}

const ONE_SHRINK = [...Array<string>(10).fill('minor'), 'major'];

t.test(
  'the mode by V8: memory-reducing from V8 12 (Node 22) on, the rate window on V8 11',
  async (t) => {
    t.equal(shrinkModeFor('11.3.244.8-node.33'), 'rate-window');
    t.equal(shrinkModeFor('12.4.254.21-node.33'), 'memory-reducing');
    t.equal(shrinkModeFor('13.6.233.10-node.28'), 'memory-reducing');
    t.equal(shrinkModeFor('14.2.1.0-node.1'), 'memory-reducing');
  },
);

t.test(
  `on Node.js ${process.versions.node} (V8 ${process.versions.v8}), the chosen mode's premise holds: a last-resort gc() collects exactly where it is used`,
  async (t) => {
    // V8 11's gc() does not know the flavour and collects nothing; were that
    // to change, or a later V8 to drop it, the choice would be wrong.
    const collected = await inFreshNode(
      ['--expose-gc'],
      [
        'let ref = new WeakRef({ payload: new Array(1000).fill(1) });',
        'await new Promise((resolve) => setImmediate(resolve));',
        "gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });",
        "process.stdout.write(ref.deref() === undefined ? 'collected' : 'alive');",
      ],
    );
    t.equal(
      collected,
      shrinkModeFor(process.versions.v8) === 'memory-reducing' ? 'collected' : 'alive',
    );
  },
);

t.test(
  'memory-reducing: each call is one last-resort collection, and nothing follows',
  async (t) => {
    const { calls, clock, advance, pending } = fakes(t);
    const shrink = heapShrink(clock, 'memory-reducing');
    shrink.afterWork();
    shrink.afterWork();
    t.same(calls, ['major last-resort', 'major last-resort']);
    t.equal(pending(), 0, 'no follow-up armed');
    advance(10 * SETTLE_MS);
    shrink.betweenSteps();
    t.same(calls, ['major last-resort', 'major last-resort', 'minor']);
  },
);

t.test(
  'rate window: each call is ten minor collections, then a full one; one follow-up SETTLE_MS after the last call',
  async (t) => {
    const { calls, clock, advance, pending } = fakes(t);
    const shrink = heapShrink(clock, 'rate-window').afterWork;
    shrink();
    t.same(calls, ONE_SHRINK);
    t.equal(pending(), 1, 'the follow-up is armed');
    advance(SETTLE_MS - 1);
    t.equal(calls.length, 11, 'not before SETTLE_MS');
    advance(1);
    t.same(calls, [...ONE_SHRINK, ...ONE_SHRINK], 'the follow-up is one more shrink');
    t.equal(pending(), 0, 'and nothing after it');
    advance(10 * SETTLE_MS);
    t.equal(calls.length, 22);
  },
);

t.test(
  'rate window: calls closer than SETTLE_MS share one follow-up, SETTLE_MS after the last of them',
  async (t) => {
    const { calls, clock, advance, pending } = fakes(t);
    const shrink = heapShrink(clock, 'rate-window').afterWork;
    const gap = 0.6 * SETTLE_MS;
    shrink();
    advance(gap);
    shrink();
    t.equal(pending(), 1, 'still one follow-up');
    advance(SETTLE_MS - gap);
    t.equal(
      calls.length,
      22,
      'the first deadline passes: the daemon worked 0.4 × SETTLE_MS ago, so the follow-up waits',
    );
    advance(gap - 1);
    t.equal(calls.length, 22);
    advance(1);
    t.equal(calls.length, 33, 'the follow-up: SETTLE_MS after the second call');
    t.equal(pending(), 0);
  },
);

t.test('between the steps of a send: exactly one minor collection, and no follow-up', async (t) => {
  const { calls, clock, advance, pending } = fakes(t);
  const shrink = heapShrink(clock, 'rate-window');
  shrink.betweenSteps();
  shrink.betweenSteps();
  t.same(calls, ['minor', 'minor']);
  t.equal(pending(), 0, 'no timer armed');
  advance(10 * SETTLE_MS);
  t.same(calls, ['minor', 'minor']);
});

t.test('without --expose-gc both are no-ops', async (t) => {
  const { clock, pending } = fakes(t);
  delete (globalThis as { gc?: unknown }).gc;
  const shrink = heapShrink(clock);
  shrink.afterWork();
  shrink.betweenSteps();
  t.equal(pending(), 0);
});
