// The request headers. Built here and only here: the reserved ones first, then
// the configured extra headers (config refuses a reserved name), then the
// credentials. Scrubbing what a receiver echoes back is in scrub.ts.
import { REDACTED } from './scrub.js';
import { authSecrets, authorizationHeader, type ResolvedAuth } from './authorization.js';

export { REDACTED, scrubSecrets } from './scrub.js';
export { telemeterBearer } from './authorization.js';

export const REMOTE_WRITE_VERSION = '0.1.0';

/** A configured extra header (telemetry.headers); `secret` when its name says it carries one. */
export interface ExtraHeader {
  readonly name: string;
  readonly value: string;
  readonly secret: boolean;
}

/** Remote-write 1.0's own headers (the specification); an OTLP destination has its own (deliver/wire-format.ts). */
export const REMOTE_WRITE_CONTENT_HEADERS: Readonly<Record<string, string>> = {
  'Content-Encoding': 'snappy',
  'Content-Type': 'application/x-protobuf',
  'X-Prometheus-Remote-Write-Version': REMOTE_WRITE_VERSION,
};

/** Every header of a request, in the order sent: the protocol's content headers first. */
export function requestHeaders(
  userAgent: string,
  extra: readonly ExtraHeader[],
  auth: ResolvedAuth,
  content: Readonly<Record<string, string>> = REMOTE_WRITE_CONTENT_HEADERS,
): Record<string, string> {
  const headers: Record<string, string> = { ...content, 'User-Agent': userAgent };
  for (const header of extra) headers[header.name] = header.value;
  const authorization = authorizationHeader(auth);
  if (authorization !== undefined) headers.Authorization = authorization;
  return headers;
}

/** Every value a reply could echo that must not reach a log: the credentials, and the secret-looking extra headers. */
export function requestSecrets(extra: readonly ExtraHeader[], auth: ResolvedAuth): string[] {
  return [
    ...authSecrets(auth),
    ...extra.filter((header) => header.secret).map((header) => header.value),
  ];
}

/**
 * The headers as `show` prints them: the same builder, with the credentials'
 * scheme kept and their value replaced, and secret-looking extra headers redacted.
 */
export function shownHeaders(
  userAgent: string,
  extra: readonly ExtraHeader[],
  authType: ResolvedAuth['type'],
  content: Readonly<Record<string, string>> = REMOTE_WRITE_CONTENT_HEADERS,
): Record<string, string> {
  const placeholder: ResolvedAuth =
    authType === 'basic'
      ? { type: 'basic', username: '', password: '' }
      : authType === 'bearer'
        ? { type: 'bearer', token: '' }
        : authType === 'telemeter'
          ? { type: 'telemeter', token: '', clusterId: '' }
          : { type: 'none' };
  const headers = requestHeaders(userAgent, extra, placeholder, content);
  for (const header of extra) if (header.secret) headers[header.name] = REDACTED;
  if (headers.Authorization !== undefined)
    headers.Authorization = `${headers.Authorization.split(' ')[0] ?? ''} ${REDACTED}`;
  return headers;
}
