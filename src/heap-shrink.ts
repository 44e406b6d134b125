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
// Without --expose-gc (tests, `node dist/cli.js`, a unit drop-in that removes
// the flag) there is no `gc` and this is a no-op: V8's own heuristics decide.

/** Collects garbage now, or does nothing when Node was started without --expose-gc. */
export type HeapShrink = () => void;

export function heapShrink(): HeapShrink {
  const gc: unknown = (globalThis as { gc?: unknown }).gc;
  if (typeof gc !== 'function') return () => {};
  return () => {
    (gc as () => void)();
  };
}
