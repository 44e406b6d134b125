// The reserved request headers. Built here and only here; configuration can
// never override them. Scrubbing what a receiver echoes back is in scrub.ts.
import { REDACTED } from './scrub.js';

export { REDACTED, scrubSecrets } from './scrub.js';

export const REMOTE_WRITE_VERSION = '0.1.0';

/** Telemeter's bearer: base64 of a JSON object, serialised by JSON.stringify so any character in the token is escaped correctly. */
export function telemeterBearer(token: string, clusterId: string): string {
  return Buffer.from(JSON.stringify({ authorization_token: token, cluster_id: clusterId }), 'utf8').toString('base64');
}

export function remoteWriteHeaders(bearer: string, userAgent: string): Record<string, string> {
  return {
    'Content-Encoding': 'snappy',
    'Content-Type': 'application/x-protobuf',
    'X-Prometheus-Remote-Write-Version': REMOTE_WRITE_VERSION,
    'User-Agent': userAgent,
    Authorization: `Bearer ${bearer}`,
  };
}

/** Headers as `show` prints them: the bearer replaced. */
export function redactHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = { ...headers };
  if (out.Authorization !== undefined) out.Authorization = `Bearer ${REDACTED}`;
  return out;
}
