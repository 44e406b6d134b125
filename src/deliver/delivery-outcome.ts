// What one request's final result means for its samples, decided in one place
// with an exhaustive switch, and the one log line that says so (every text that
// came from the receiver scrubbed of the credentials first).
import type { LogFields, Logger } from '../base/log.js';
import { scrubSecrets } from '../remote-write/headers.js';
import type { FinalResult } from '../transport/retry.js';

/**
 * - acknowledge: the receiver took the samples; they leave the buffer.
 * - drop: refused for good (400, 422, other 4xx); they leave the buffer, counted as dropped.
 * - split: 413; cut the request in two (splitRequest) and send the halves, in order, before anything else. A 413 to a
 *   request of one sample is the path's limit, not the data's (no request can be smaller): keep.
 * - keep: not delivered (retries exhausted, credentials or URL, a failed TLS check, a redirect, cancelled); they stay
 *   buffered and this send stops: the requests after it would meet the same answer.
 */
export type DeliveryAction = 'acknowledge' | 'drop' | 'split' | 'keep';

export interface RequestFacts {
  readonly seriesCount: number;
  readonly sampleCount: number;
  readonly bodyBytes: number;
}

/** What becomes of the samples when a send stops: the daemon keeps them for its next send; `once` and `upload` say their own. */
export const KEPT_FOR_NEXT_SEND = 'samples kept, no retry until the next send';

/** `context` goes into the line that says samples were kept (where the send stopped); `kept` says what becomes of them. */
export function judgeResult(
  result: FinalResult,
  request: RequestFacts,
  log: Logger,
  secrets: readonly string[],
  context: LogFields = {},
  kept: string = KEPT_FOR_NEXT_SEND,
): DeliveryAction {
  const scrub = (text: string | undefined) =>
    text === undefined ? undefined : scrubSecrets(text, secrets);
  switch (result.kind) {
    case 'delivered':
      return 'acknowledge';
    case 'refused':
      // Sending the same bytes again would be refused again (remote-write spec).
      log.error('receiver refused the request; its samples are dropped', {
        status: result.status,
        series: request.seriesCount,
        samples: request.sampleCount,
        body: scrub(result.body),
      });
      return 'drop';
    case 'too-large':
      if (request.sampleCount <= 1) {
        // Halving ends here: every request would meet the same limit, and dropping would lose data that is not at fault.
        log.error(
          `receiver or a proxy on the way refused a request of one sample as too large (413); ${kept}`,
          {
            bodyBytes: request.bodyBytes,
            hint: 'something between here and the receiver takes bodies smaller than any request; raise its limit (the Telemetry API takes up to 128 KiB)',
            body: scrub(result.body),
            ...context,
          },
        );
        return 'keep';
      }
      log.warn('receiver refused the request as too large (413); sending it again in two halves', {
        bodyBytes: request.bodyBytes,
        series: request.seriesCount,
        samples: request.sampleCount,
        hint: 'the receiver takes less than telemetry.maxRequestBytes; lower it to save the extra requests',
      });
      return 'split';
    case 'configuration':
      log.error(`receiver refused the credentials or the URL; ${kept}`, {
        status: result.status,
        hint: result.hint,
        body: scrub(result.body),
        ...context,
      });
      return 'keep';
    case 'tls':
      // The reason names the check that failed (or the file); it never holds key material.
      log.error(`${result.reason}; ${kept}`, { hint: result.hint, ...context });
      return 'keep';
    case 'redirect':
      log.error(
        `receiver answered with a redirect, not followed (the token goes only to telemetry.endpoint); ${kept}`,
        {
          status: result.status,
          location: scrub(result.location),
          hint: 'set telemetry.endpoint to the URL that receives remote-write',
          ...context,
        },
      );
      return 'keep';
    case 'retryable':
      // The retries are spent, so "no retry until the next send" would say nothing more.
      log.warn(
        `send failed; ${kept === KEPT_FOR_NEXT_SEND ? 'samples kept for the next send' : kept}`,
        {
          attempts: result.attempts,
          gaveUp: result.gaveUp,
          reason: scrub(result.reason),
          ...context,
        },
      );
      return 'keep';
    case 'cancelled':
      return 'keep';
  }
}
