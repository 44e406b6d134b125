// A full garbage collection after each sampling tick and each send, when the
// unit starts Node with --expose-gc (systemd/edge-telemetry.service).
//
// Why: the daemon works for milliseconds and then idles for the rest of
// samplingInterval, but V8 only collects its old generation once that has
// grown past a limit it raises as the heap grows, so RSS climbs by a MB or two
// of garbage before it falls back (bench:footprint: +1 to +2 MB over 300 ticks,
// flat with this).
//
// How depends on the V8 the line ships (chosen per line by an A/B of the
// release in one run, docs/footprint.md):
//
// - V8 12 and later (Node 22, 24, 26): one memory-reducing collection, V8's
//   "last resort" (what it runs before giving up at the heap limit). Besides
//   the garbage it gives back the young generation's semi-spaces at once and
//   compacts sparse old-space pages, which a plain gc() does not: start-up and
//   every tick leave both 1 MB semi-spaces committed, and old space keeps its
//   page slack. Measured host only, 25 s in, against the plain collections
//   below: -4.8 MB RSS on 22, -3.4 on 24, -1.4 on 26; CPU +6 ms a tick on 24
//   (60 ticks: 1.65 s against 1.27 s), once an hour at the defaults.
// - V8 11 (Node 20): it has no such flavour (the call collects nothing there).
//   V8 gives the semi-spaces back only in a full collection that finds the
//   recent allocation rate low, which it judges over its last ten collections
//   or last 5 s, whichever is shorter. So each shrink starts with ten minor
//   collections of a near-empty young generation (0.1-0.7 ms together,
//   --trace-gc), which push a burst out of that window, and one more shrink
//   follows SETTLE_MS after the last: its window then holds idle time, and V8
//   returns the semi-spaces.
//
// Between the steps of a send, one minor collection each (0.1-0.5 ms,
// --trace-gc). A send allocates ~1 MB in steps of 0.1-0.35 MB: the static
// collectors (a child process for `microshift version`), each batch read from
// the buffer, each request built and encoded, each TLS connection. When one
// step's garbage outgrows a small young generation, V8 grows it by 1 MB until
// the next shrink. A minor collection between steps keeps each step within it.
// Measured on Node 20, host only, as the unit runs it: each send's RSS peak
// went from +1.1 MB to +0.4-0.6 MB over the idle daemon.
//
// Without --expose-gc (tests, `node dist/cli.js`, a unit drop-in that removes
// the flag) there is no `gc` and both are no-ops: V8's own heuristics decide.
import { monotonicMs } from './timers.js';

/**
 * The daemon's memory measures, as one object the wiring passes down: the
 * agent, the send and the Kubernetes client call it at their steps and know
 * nothing of what it does. Which measure runs on which Node line is decided
 * here and in the launcher, nowhere else.
 */
export interface MemoryPolicy {
  /** After a sampling tick or a send: collects garbage now (and, on V8 11, once more SETTLE_MS after the last call). */
  readonly afterWork: () => void;
  /** Between two steps of a send, and after each Kubernetes API answer: one minor collection. */
  readonly betweenSteps: () => void;
}

/** No measures: tests, and every command but `run`. */
export const NO_MEMORY_POLICY: MemoryPolicy = { afterWork: () => {}, betweenSteps: () => {} };

/** How a shrink collects: by V8's memory-reducing collection, or by pushing a burst out of V8's allocation-rate window. */
export type ShrinkMode = 'memory-reducing' | 'rate-window';

/** The first V8 whose gc() takes `flavor: 'last-resort'` (Node 22's V8 12). */
const FIRST_V8_WITH_LAST_RESORT = 12;

/** The mode for a V8 version string such as process.versions.v8. */
export function shrinkModeFor(v8Version: string): ShrinkMode {
  return Number.parseInt(v8Version, 10) >= FIRST_V8_WITH_LAST_RESORT
    ? 'memory-reducing'
    : 'rate-window';
}

/** V8's allocation-rate window: its last ten collections (GCTracer's ring buffers). */
const RATE_WINDOW_COLLECTIONS = 10;
/** Idle time before the follow-up collection: a second of idling is a rate V8 calls low (250 ms was not, in the test's Node with its TypeScript loader). */
export const SETTLE_MS = 1000;

type ExposedGc = (options?: {
  readonly type: 'minor' | 'major';
  readonly execution?: 'sync';
  readonly flavor?: 'last-resort';
}) => void;

/** The follow-up's clock; its timer must not keep the process alive (a stopping daemon exits at once). */
export interface ShrinkClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): void;
}

const unrefClock: ShrinkClock = {
  now: monotonicMs,
  setTimeout: (callback, ms) => {
    setTimeout(callback, ms).unref();
  },
};

export function heapShrink(
  clock: ShrinkClock = unrefClock,
  mode: ShrinkMode = shrinkModeFor(process.versions.v8),
): MemoryPolicy {
  const gc: unknown = (globalThis as { gc?: unknown }).gc;
  if (typeof gc !== 'function') return NO_MEMORY_POLICY;
  const collect = gc as ExposedGc;
  const betweenSteps = () => collect({ type: 'minor' });
  if (mode === 'memory-reducing') {
    return {
      afterWork: () => collect({ type: 'major', execution: 'sync', flavor: 'last-resort' }),
      betweenSteps,
    };
  }
  const collectNow = () => {
    // A fresh options object each time: the window's rate must be low, not
    // zero (V8 reads zero as "unknown" and keeps the semi-spaces).
    for (let i = 0; i < RATE_WINDOW_COLLECTIONS; i++) collect({ type: 'minor' });
    collect();
  };
  let lastCallAt = 0;
  let followUpArmed = false;
  const followUp = () => {
    const idle = clock.now() - lastCallAt;
    if (idle < SETTLE_MS) {
      clock.setTimeout(followUp, SETTLE_MS - idle);
      return;
    }
    followUpArmed = false;
    collectNow();
  };
  return {
    afterWork: () => {
      collectNow();
      lastCallAt = clock.now();
      if (followUpArmed) return;
      followUpArmed = true;
      clock.setTimeout(followUp, SETTLE_MS);
    },
    betweenSteps,
  };
}
