// The only code that sleeps between attempts. p-retry gives the exponential
// backoff with jitter and the attempt/time bounds; Retry-After stretches a wait,
// never shortens it.
import pRetry from 'p-retry';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SendResult } from './send-result.js';

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxElapsedMs: number;
}

export type FinalResult = SendResult & { readonly attempts: number };

class RetryableFailure extends Error {
  constructor(readonly result: Extract<SendResult, { kind: 'retryable' }>) {
    super(result.reason);
  }
}

export async function sendWithRetry(
  attempt: (signal: AbortSignal) => Promise<SendResult>,
  policy: RetryPolicy,
  signal: AbortSignal,
  onRetry: (result: Extract<SendResult, { kind: 'retryable' }>, attemptNumber: number, waitMs: number | undefined) => void = () => {},
): Promise<FinalResult> {
  let attempts = 0;
  let notBefore = 0;
  try {
    return await pRetry(
      async () => {
        const wait = notBefore - performance.now();
        if (wait > 0) await sleep(wait, undefined, { signal });
        attempts++;
        const result = await attempt(signal);
        if (result.kind === 'retryable') throw new RetryableFailure(result);
        return { ...result, attempts };
      },
      {
        retries: policy.maxAttempts - 1,
        factor: 2,
        minTimeout: policy.minDelayMs,
        maxTimeout: policy.maxDelayMs,
        randomize: true,
        maxRetryTime: policy.maxElapsedMs,
        signal,
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          if (!(error instanceof RetryableFailure)) return;
          const retryAfterMs = error.result.retryAfterMs;
          if (retryAfterMs !== undefined && retryAfterMs > policy.maxDelayMs) {
            // A server asking for a longer pause than we would ever wait: give
            // up for this round; the samples stay for the next send.
            throw error;
          }
          notBefore = retryAfterMs === undefined ? 0 : performance.now() + retryAfterMs;
          if (retriesLeft > 0) onRetry(error.result, attemptNumber, retryAfterMs);
        },
      },
    );
  } catch (error) {
    if (error instanceof RetryableFailure) return { ...error.result, attempts };
    if (signal.aborted) return { kind: 'retryable', reason: 'cancelled', attempts };
    throw error;
  }
}
