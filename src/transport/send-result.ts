// Expected HTTP outcomes are values, never exceptions. One attempt ends in
// exactly one of these kinds, and every caller switches on all of them.
//
// Text that came from the receiver (`body`, `location`, and `reason` when it
// quotes a body) is as received: it may echo the credentials. Pass it through
// scrubSecrets (remote-write/headers.ts) before it goes anywhere.

import type { TlsCheck } from './tls-options.js';

export type RetryableCause = 'status' | 'network' | 'timeout' | 'proxy';

export type SendResult =
  /** 2xx: the receiver took the request's samples; `body` only when the transport was asked for it (OTLP's partial success). */
  | { readonly kind: 'delivered'; readonly status: number; readonly body?: Uint8Array }
  /** 5xx, 429, 408, a network error, no answer in time, an unusable proxy: worth trying again (Retry-After in ms when the receiver gave one). */
  | {
      readonly kind: 'retryable';
      readonly cause: RetryableCause;
      readonly status?: number;
      readonly retryAfterMs?: number;
      readonly reason: string;
    }
  /** 400, 422 and other 4xx (and 5xx a protocol says not to retry: OTLP's 500, 501): this request's samples would be refused again; drop them and count them. */
  | { readonly kind: 'refused'; readonly status: number; readonly body: string }
  /** 401, 403, 404, 405, 407, 410, 431: credentials, endpoint or the path; samples kept, no retry this round, the admin has something to fix. */
  | {
      readonly kind: 'configuration';
      readonly status: number;
      readonly body: string;
      readonly hint: string;
    }
  /** 413: split the request and send the halves. */
  | { readonly kind: 'too-large'; readonly status: 413; readonly body: string }
  /**
   * The TLS handshake failed a check (unknown CA, name, expiry, protocol
   * version, a client certificate wanted or refused), or our own TLS files
   * cannot be used: trying again changes nothing until the admin acts. Samples
   * kept, no retry this round; `reason` says which check.
   */
  | {
      readonly kind: 'tls';
      readonly check: TlsCheck;
      readonly reason: string;
      readonly hint: string;
    }
  /** 3xx: not followed (the bearer must not go elsewhere); not a delivery; samples kept. */
  | {
      readonly kind: 'redirect';
      readonly status: number;
      readonly location: string | undefined;
      readonly body: string;
    }
  /** The caller's signal ended the attempt (shutdown, reload): samples kept, nothing to log as a failure. */
  | { readonly kind: 'cancelled' };

export type SendResultKind = SendResult['kind'];

/** Longest part of a response body kept (read, then the connection is cut): enough to scrub an echoed header whole before the log line is truncated. */
export const MAX_REPLY_READ_BYTES = 16 * 1024;

/** Retry-After as seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function parseRetryAfterMs(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** Remote-write 1.0 retries 5xx and 429; 408 too (below). A protocol with other rules passes its own (OTLP's: 429, 502, 503, 504). */
export function remoteWriteRetryable(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status < 600);
}

/** How a protocol reads replies: which statuses it retries, what an error body says, whether a 2xx body matters. */
export interface ReplyRules {
  readonly retryable: (status: number) => boolean;
  /** An error reply's body as text for the log line (a protocol may answer in protobuf). */
  readonly text: (body: Uint8Array, contentType: string | undefined) => string;
  /** Read a 2xx body (bounded, as error bodies are) and return it with the result. */
  readonly readSuccessBody: boolean;
}

/** Remote-write's reading of replies: what a transport uses when told no other. */
export const REMOTE_WRITE_REPLIES: ReplyRules = {
  retryable: remoteWriteRetryable,
  text: (body) => Buffer.from(body).toString('utf8'),
  readSuccessBody: false,
};

/** What the admin should look at, by status. */
const CONFIGURATION_HINTS: Readonly<Record<number, string>> = {
  401: 'check the pull secret (telemetry.pullSecretFile), or telemetry.auth when its type is not telemeter; the Telemetry API also answers 401 when its own auth backend fails, so the next send tries again',
  403: 'the credentials are not allowed to send; check the pull secret (telemetry.pullSecretFile), or telemetry.auth when its type is not telemeter',
  404: 'check telemetry.endpoint: nothing receives remote-write at that URL',
  405: 'check telemetry.endpoint: that URL does not take a POST',
  407: 'check telemetry.proxy: the proxy wants credentials (http://user:password@host:port)',
  410: 'check telemetry.endpoint: that URL no longer receives remote-write',
  431: 'the request headers are larger than the receiver or a proxy on the way takes: shorten telemetry.headers, or raise that limit',
};

/**
 * The one place a status is judged. The remote-write specification retries
 * 5xx and 429 and never other 4xx; within "other 4xx", statuses that mean the
 * credentials, the URL or the path are wrong keep the samples (the admin may
 * fix them, and Red Hat's server also answers 401 when its auth backend
 * fails), and 413 means "smaller, please". 408 is what a proxy or server says
 * when it gave up waiting for the request (RFC 9110 15.5.9: the client may
 * repeat it): the path's trouble, not the data's, so it is retried like a 5xx.
 * 431 is about the headers, which are the same for every request: no sample
 * is at fault.
 */
export function classifyResponse(
  status: number,
  body: string,
  headers: { readonly retryAfter?: string | undefined; readonly location?: string | undefined },
  nowMs: number,
  retryable: (status: number) => boolean = remoteWriteRetryable,
): SendResult {
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (retryable(status)) {
    const retryAfterMs = parseRetryAfterMs(headers.retryAfter, nowMs);
    return {
      kind: 'retryable',
      cause: 'status',
      status,
      reason: `HTTP ${status}${body === '' ? '' : `: ${body}`}`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  if (status >= 300 && status < 400)
    return { kind: 'redirect', status, location: headers.location, body };
  if (status === 413) return { kind: 'too-large', status, body };
  const hint = CONFIGURATION_HINTS[status];
  if (hint !== undefined) return { kind: 'configuration', status, body, hint };
  if (status >= 400 && status < 600) return { kind: 'refused', status, body };
  // 1xx as a final answer, 6xx and beyond: a broken receiver or middlebox, worth another try.
  return { kind: 'retryable', cause: 'status', status, reason: `unexpected HTTP ${status}` };
}
