// Where reports go: the primary destination (telemetry.endpoint and the keys
// beside it, Red Hat's Telemetry API by default) and any number more under
// telemetry.destinations, each delivered on its own (src/deliver/). This file
// holds what a destination is and the rules that span several; schema.ts
// reads each one's keys with the same readers as the primary's.
import type { RetryPolicy } from '../base/settings.js';
import type { AuthConfig, ConfiguredHeader } from './auth.js';
import type { TlsSettings } from './tls-settings.js';
import { quoteValue } from './redact.js';
import { TELEMETRY_RECEIVE_PATH } from '../base/telemeter-api.js';

export type Protocol = 'remote-write' | 'otlp';
export const PROTOCOLS: readonly Protocol[] = ['remote-write', 'otlp'];

/** The name the primary destination goes by in logs, `status` and `show`; no other may take it. */
export const PRIMARY_DESTINATION = 'primary';

/** The keys of one entry of telemetry.destinations. */
export const DESTINATION_KEYS = [
  'name',
  'endpoint',
  'protocol',
  'auth',
  'headers',
  'tls',
  'maxRequestBytes',
  'requestTimeout',
  'retry',
] as const;

/** The OTLP/HTTP path an exporter adds to a bare base URL (OTLP specification, "OTLP/HTTP Request"). */
export const OTLP_METRICS_PATH = '/v1/metrics';

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export interface Destination {
  /** `primary`, or the entry's own name. */
  readonly name: string;
  /** Where its keys sit in the config: `telemetry` or `telemetry.destinations[N]` (for messages). */
  readonly keyPath: string;
  readonly endpoint: string;
  readonly protocol: Protocol;
  readonly auth: AuthConfig;
  readonly headers: readonly ConfiguredHeader[];
  readonly tls: TlsSettings;
  readonly maxRequestBytes: number;
  readonly requestTimeoutMs: number;
  readonly retry: RetryPolicy;
}

/** A name shown in logs and used for a file name in dataDir: lower-case letters, digits and dashes. */
export function checkDestinationName(value: unknown, fail: (reason: string) => never): string {
  if (typeof value !== 'string') fail('is required: a name of lower-case letters, digits and "-"');
  if (!NAME.test(value))
    fail(
      `${quoteValue(value)} is not a name of lower-case letters, digits and "-" (at most 63, starting and ending with a letter or digit)`,
    );
  if (value === PRIMARY_DESTINATION)
    fail(
      `"${PRIMARY_DESTINATION}" is the name of telemetry.endpoint's destination; choose another`,
    );
  return value;
}

/** OTLP/HTTP: the URL as written, and a bare base URL (no path) gets /v1/metrics, as OTLP exporters do. */
export function otlpMetricsUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname === '/' || url.pathname === '') url.pathname = OTLP_METRICS_PATH;
  return url.toString();
}

/**
 * Two destinations with the same endpoint and protocol would get every sample
 * twice, under two cursors: a mistake (a drop-in repeating the main file's
 * entry), never what an admin wants. The message names both.
 */
export function duplicateOf(
  destinations: readonly Destination[],
  candidate: Destination,
): Destination | undefined {
  const where = comparable(candidate);
  return destinations.find(
    (other) =>
      other.name === candidate.name ||
      (comparable(other) === where && other.protocol === candidate.protocol),
  );
}

/**
 * The URL a request goes to, for comparing: no fragment (never sent), no empty
 * query, and a bare remote-write base URL as the primary's reads it (MicroShift's
 * form gets the Telemetry API's path), so `https://h/` and `https://h/metrics/v1/receive` meet.
 */
function comparable(destination: Destination): string {
  const url = new URL(destination.endpoint);
  url.hash = '';
  if (url.search === '?') url.search = '';
  if (destination.protocol === 'remote-write' && (url.pathname === '/' || url.pathname === ''))
    url.pathname = TELEMETRY_RECEIVE_PATH;
  return url.toString();
}
