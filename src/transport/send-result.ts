// Expected HTTP outcomes are values, never exceptions.

export type SendResult =
  | { readonly kind: 'delivered'; readonly status: number }
  /** Worth trying again later: network error, timeout, 5xx, 429. */
  | { readonly kind: 'retryable'; readonly status?: number; readonly retryAfterMs?: number; readonly reason: string }
  /** The receiver refused this body for good (4xx other than 429, or a redirect we must not follow). */
  | { readonly kind: 'rejected'; readonly status: number; readonly body: string };

/** Longest response body kept for the log. */
export const MAX_ERROR_BODY_BYTES = 1024;

/** Retry-After as seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function parseRetryAfterMs(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** The remote-write specification's rule: 5xx and 429 retried, other 4xx never. */
export function classifyResponse(status: number, body: string, retryAfterHeader: string | undefined, nowMs: number): SendResult {
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfterMs(retryAfterHeader, nowMs);
    return { kind: 'retryable', status, reason: `HTTP ${status}${body === '' ? '' : `: ${body}`}`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }
  if (status >= 300 && status < 400) return { kind: 'rejected', status, body: `redirect not followed${body === '' ? '' : `: ${body}`}` };
  if (status >= 400) return { kind: 'rejected', status, body };
  return { kind: 'retryable', status, reason: `unexpected HTTP ${status}` };
}
