// A full garbage collection after each sampling tick and each send, when the
// unit starts Node with --expose-gc (systemd/edge-telemetry.service).
//
// Why: the daemon works for milliseconds and then idles for the rest of
// samplingInterval, but V8 only collects its old generation once that has
// grown past a limit it raises as the heap grows, so RSS climbs by a MB or two
// of garbage before it falls back (bench:footprint: +1 to +2 MB over 300 ticks,
// flat with this). A collection of this ~6 MB heap takes 8-34 ms of CPU with
// --lite-mode on a 2-core test machine (--trace-gc), once per tick (an hour by
// default).
//
// The young generation: start-up (loading and compiling the modules) fills
// V8's two 1 MB semi-spaces, and V8 gives them back only in a full collection
// that finds the recent allocation rate low, which it judges over its last ten
// collections or last 5 s, whichever is shorter. A start-up burst stays in
// that window for 5-9 s (2 MB more RSS until then; the unit's
// --max-semi-space-size=1 is already V8's floor), and so does a large send.
// So each shrink starts with ten minor collections of a near-empty young
// generation (0.1-0.7 ms together, --trace-gc), which push the burst out of the
// window, and one more shrink follows SETTLE_MS after the last: its window then
// holds idle time, and V8 returns the semi-spaces; what a send still grows
// goes SETTLE_MS after it. If a Node release judges otherwise, this costs a
// millisecond and changes nothing.
//
// Between the steps of a send, one minor collection each (0.1-0.5 ms,
// --trace-gc). A send allocates ~1 MB in steps of 0.1-0.35 MB: the static
// collectors (a child process for `microshift version`), each batch read from
// the buffer, each request built and encoded, each TLS connection. After a
// shrink the young generation is small; when one step's garbage outgrows it, V8
// grows it by 1 MB and keeps that until the follow-up shrink a second after the
// send. A minor collection between steps keeps each step within it. Measured
// on the host-only daemon as the unit runs it: each send's RSS peak went from
// +1.1 MB to +0.4-0.6 MB over the idle daemon.
//
// Without --expose-gc (tests, `node dist/cli.js`, a unit drop-in that removes
// the flag) there is no `gc` and both are no-ops: V8's own heuristics decide.

export interface HeapShrink {
  /** After a sampling tick or a send: collects garbage now, and once more SETTLE_MS after the last call. */
  readonly afterWork: () => void;
  /** Between two steps of a send: one minor collection. */
  readonly betweenSteps: () => void;
}

/** V8's allocation-rate window: its last ten collections (GCTracer's ring buffers). */
const RATE_WINDOW_COLLECTIONS = 10;
/** Idle time before the follow-up collection: a second of idling is a rate V8 calls low (250 ms was not, in the test's Node with its TypeScript loader). */
export const SETTLE_MS = 1000;

type ExposedGc = (options?: { readonly type: 'minor' | 'major' }) => void;

/** The follow-up's clock; its timer must not keep the process alive (a stopping daemon exits at once). */
export interface ShrinkClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): void;
}

const unrefClock: ShrinkClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => {
    setTimeout(callback, ms).unref();
  },
};

export function heapShrink(clock: ShrinkClock = unrefClock): HeapShrink {
  const gc: unknown = (globalThis as { gc?: unknown }).gc;
  if (typeof gc !== 'function') return { afterWork: () => {}, betweenSteps: () => {} };
  const collect = gc as ExposedGc;
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
    betweenSteps: () => collect({ type: 'minor' }),
  };
}
