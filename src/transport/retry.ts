// The only code that sleeps between attempts: one loop that classifies each
// result, waits max(backoff with jitter, Retry-After) within what is left of
// the round's time budget, and checks cancellation before each try and during
// each sleep.
import { sleep, systemClock, type Clock } from '../base/timers.js';
import type { SendResult } from './send-result.js';
import type { RetryPolicy } from '../base/settings.js';

export type { RetryPolicy };

type Retryable = Extract<SendResult, { kind: 'retryable' }>;

/** Why a retryable failure ended the round. */
export type GaveUp = 'attempts' | 'budget';

export type FinalResult =
  | (Exclude<SendResult, Retryable> & { readonly attempts: number })
  | (Retryable & { readonly attempts: number; readonly gaveUp: GaveUp });

export interface RetryDeps {
  readonly clock?: Clock;
  /** In [0, 1); the jitter's source. */
  readonly random?: () => number;
}

/**
 * The wait before retry number `retry` (1 for the first retry): the exponential
 * step min(maxDelay, minDelay·2^(retry−1)), jittered down to as little as half
 * of it so a fleet that failed together does not come back together, never
 * below minDelay.
 */
export function backoffMs(retry: number, policy: RetryPolicy, random: number): number {
  const step = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** Math.min(retry - 1, 52));
  return Math.max(policy.minDelayMs, Math.round(step * (0.5 + random / 2)));
}

/** The wait a retryable result asks for, or undefined when it cannot fit in `leftMs` (the round ends, samples kept). */
export function nextWaitMs(
  retry: number,
  result: Retryable,
  policy: RetryPolicy,
  random: number,
  leftMs: number,
): number | undefined {
  const retryAfterMs = result.retryAfterMs ?? 0;
  // A server asking for a pause longer than the budget left: not this round.
  if (retryAfterMs > leftMs || leftMs <= 0) return undefined;
  return Math.min(leftMs, Math.max(backoffMs(retry, policy, random), retryAfterMs));
}

export async function sendWithRetry(
  attempt: (signal: AbortSignal) => Promise<SendResult>,
  policy: RetryPolicy,
  signal: AbortSignal,
  onRetry: (result: Retryable, attemptNumber: number, waitMs: number) => void = () => {},
  deps: RetryDeps = {},
): Promise<FinalResult> {
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? Math.random;
  const startedAt = clock.now();
  for (let attempts = 1; ; attempts++) {
    if (signal.aborted) return { kind: 'cancelled', attempts: attempts - 1 };
    const result = await attempt(signal);
    if (result.kind !== 'retryable') return { ...result, attempts };
    // The attempt may have been cancelled while it ran.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    if (signal.aborted) return { kind: 'cancelled', attempts };
    if (attempts >= policy.maxAttempts) return { ...result, attempts, gaveUp: 'attempts' };
    const waitMs = nextWaitMs(
      attempts,
      result,
      policy,
      random(),
      policy.maxElapsedMs - (clock.now() - startedAt),
    );
    if (waitMs === undefined) return { ...result, attempts, gaveUp: 'budget' };
    onRetry(result, attempts, waitMs);
    if (!(await sleep(waitMs, signal, clock))) return { kind: 'cancelled', attempts };
  }
}
