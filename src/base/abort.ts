// A child signal that aborts with its parent or after a deadline, and lets go
// of the parent when disposed. AbortSignal.any and AbortSignal.timeout are not
// used on long-lived parents: in Node 20 every derived signal stays registered
// on its source, and the daemon's source lives for weeks. AbortSignal.timeout
// also overflows above 2^31-1 ms; the deadline here is a long timer.
import { longTimeout, systemClock, type Clock } from './timers.js';

export interface LinkedSignal {
  readonly signal: AbortSignal;
  dispose(): void;
}

export function linkedSignal(
  parent: AbortSignal,
  timeoutMs: number,
  timeoutReason: () => Error,
  clock: Clock = systemClock,
): LinkedSignal {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onParentAbort, { once: true });
  // A ref'd timer: a stuck operation must not let the event loop empty out unnoticed.
  const timer = longTimeout(() => controller.abort(timeoutReason()), timeoutMs, clock);
  return {
    signal: controller.signal,
    dispose() {
      timer.cancel();
      parent.removeEventListener('abort', onParentAbort);
    },
  };
}
