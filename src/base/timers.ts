// Timers for any duration the config allows (up to a year). Node's setTimeout
// keeps its delay in a signed 32-bit field: anything above 2^31-1 ms (~24.8
// days) becomes 1 ms, so `sendingInterval: 720h` would fire every millisecond
// and `requestTimeout: 720h` would time out at once. Here a long wait is a chain
// of timeouts of at most 2^31-1 ms, each re-aimed at the deadline by the clock,
// which also absorbs a timer that fires a little early.

/** The longest delay Node's setTimeout honours. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export type TimerHandle = object | number;

/** The clock and timers a module uses; tests pass a fake one to assert exact behaviour. */
export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

const origin = process.hrtime.bigint();

/**
 * Monotonic milliseconds since this module loaded, as performance.now() counts
 * from the process' start. Not performance.now() itself: the global's first use
 * loads Node's whole perf_hooks (ten modules: 0.3 MB of RSS for the daemon's
 * life on Node 24 and 26, and about 3 ms of every wake's CPU on 26).
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint() - origin) / 1e6;
}

/** The process' clock: monotonicMs() and Node's timers (ref'd: pending work keeps the daemon's loop alive). */
export const systemClock: Clock = {
  now: monotonicMs,
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * A time on `clock`'s monotonic scale as a wall-clock time, for what a person
 * reads (the status file): the grids run on the monotonic clock, so a clock
 * step moves no tick, and only this reading of them follows the step.
 */
export function wallTimeOf(monotonicAtMs: number, clock: Clock, wallNowMs = Date.now()): number {
  return wallNowMs + Math.max(0, monotonicAtMs - clock.now());
}

export interface LongTimer {
  cancel(): void;
}

/** Calls `callback` once, asynchronously, no earlier than `ms` from now by `clock`, whatever `ms` is (Infinity: never). */
export function longTimeout(
  callback: () => void,
  ms: number,
  clock: Clock = systemClock,
): LongTimer {
  const deadline = clock.now() + Math.max(0, ms);
  let handle: TimerHandle | undefined;
  let cancelled = false;
  // Whole milliseconds, at least 1: a timer that fired 0.3 ms early is re-armed, not spun on.
  const arm = () => {
    handle = clock.setTimeout(
      fire,
      Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(deadline - clock.now()))),
    );
  };
  const fire = () => {
    if (cancelled) return;
    if (deadline - clock.now() > 0) {
      arm();
      return;
    }
    handle = undefined;
    callback();
  };
  if (Number.isFinite(deadline)) arm();
  return {
    cancel() {
      cancelled = true;
      if (handle !== undefined) clock.clearTimeout(handle);
      handle = undefined;
    },
  };
}

/** Waits `ms`; resolves true when the time has passed, false as soon as `signal` aborts. Never rejects. */
export function sleep(
  ms: number,
  signal: AbortSignal,
  clock: Clock = systemClock,
): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = longTimeout(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      },
      ms,
      clock,
    );
    const onAbort = () => {
      timer.cancel();
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A signal that aborts `ms` from now (AbortSignal.timeout overflows like setTimeout). Dispose it when done. */
export function deadlineSignal(
  ms: number,
  reason: () => Error,
  clock: Clock = systemClock,
): { readonly signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const timer = longTimeout(() => controller.abort(reason()), ms, clock);
  return { signal: controller.signal, dispose: () => timer.cancel() };
}
