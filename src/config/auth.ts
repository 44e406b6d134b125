// `telemetry.auth` and `telemetry.headers`: how each request proves who sends
// it, and the extra headers a multi-tenant backend (Thanos, Mimir) needs.
// Pure, like the rest of the schema: secret files are only named here, read
// at every send (they rotate), never stored in the Config.
import path from 'node:path';
import { isLoopbackHost } from '../base/loopback.js';
import { isPlainObject, type JsonObject } from './merge-patch.js';
import { quoteValue } from './redact.js';

export type AuthType = 'telemeter' | 'bearer' | 'basic' | 'none';
export const AUTH_TYPES: readonly AuthType[] = ['telemeter', 'bearer', 'basic', 'none'];

/** A secret file and the config file that named it (a later error about its mode names both). */
export interface SecretFileRef {
  readonly path: string;
  /** `telemetry.auth.credentialsFile` or `telemetry.auth.passwordFile`. */
  readonly key: string;
  readonly setIn: string;
}

export type AuthConfig =
  /** Red Hat's Telemetry API: a bearer of base64 JSON of the pull secret's token and the cluster id (telemetry.pullSecretFile). */
  | { readonly type: 'telemeter' }
  | { readonly type: 'bearer'; readonly credentialsFile: SecretFileRef }
  | { readonly type: 'basic'; readonly username: string; readonly passwordFile: SecretFileRef }
  | { readonly type: 'none' };

/** Which keys each type takes; any other key under telemetry.auth is an error naming it. */
const KEYS_BY_TYPE: Readonly<Record<AuthType, readonly string[]>> = {
  telemeter: ['type'],
  bearer: ['type', 'credentialsFile'],
  basic: ['type', 'username', 'passwordFile'],
  none: ['type'],
};
const ALL_AUTH_KEYS = ['type', 'credentialsFile', 'username', 'passwordFile'];

/**
 * Headers the sender owns: the protocol's own, the credentials, and what HTTP
 * itself computes. Lower case, compared case-insensitively.
 */
export const RESERVED_HEADERS: readonly string[] = [
  'authorization',
  'content-encoding',
  'content-type',
  'user-agent',
  'x-prometheus-remote-write-version',
  'host',
  'content-length',
];

/**
 * Hop-by-hop and framing headers (RFC 9110 §7.6.1, RFC 9112): they describe the
 * connection, not the request, and one set by hand breaks every request
 * (`Transfer-Encoding: chunked` over a Content-Length body is a 400 for each).
 */
export const CONNECTION_HEADERS: readonly string[] = [
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'proxy-authorization',
  'proxy-authenticate',
  'proxy-connection',
];

/** A configured header whose name says it carries a secret: redacted in `show`, scrubbed from replies. */
export const SECRET_HEADER_NAME = /key|token|secret|pass|auth|cookie/i;

/** RFC 9110 token characters. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Visible ASCII, space and tab: no CR/LF (header injection), no control characters, nothing a proxy could re-encode. */
const HEADER_VALUE = /^[\t\x20-\x7e]+$/;

type Fail = (reason: string) => never;
type FailAt = (keyPath: string) => Fail;

/**
 * `prefix` is where the stanza sits: `telemetry` (the primary destination) or
 * `telemetry.destinations[N]`; absent, the type is `fallback` (telemeter for the
 * primary, as MicroShift sends; none for another destination, which must not
 * get Red Hat's credential unless it asks for it).
 */
export function readAuth(
  raw: unknown,
  failAt: FailAt,
  fileOf: (keyPath: string) => string,
  prefix = 'telemetry',
  fallback: AuthType = 'telemeter',
): AuthConfig {
  if (raw === undefined) return { type: fallback } as AuthConfig;
  if (!isPlainObject(raw))
    failAt(`${prefix}.auth`)('must be a mapping of keys (type: telemeter, bearer, basic or none)');
  const auth = raw as JsonObject;
  const typeValue = auth.type ?? fallback;
  if (typeof typeValue !== 'string' || !(AUTH_TYPES as readonly string[]).includes(typeValue)) {
    failAt(`${prefix}.auth.type`)(
      `must be telemeter, bearer, basic or none, not ${quoteValue(typeValue)}`,
    );
  }
  const type = typeValue as AuthType;
  const allowed = KEYS_BY_TYPE[type];
  for (const key of Object.keys(auth)) {
    if (allowed.includes(key)) continue;
    const known = ALL_AUTH_KEYS.includes(key);
    const close = ALL_AUTH_KEYS.find((candidate) => candidate.toLowerCase() === key.toLowerCase());
    failAt(`${prefix}.auth.${key}`)(
      known
        ? `not used with auth type ${type}${allowed.length > 1 ? ` (it takes ${allowed.filter((k) => k !== 'type').join(', ')})` : ''}`
        : `unknown key${close === undefined ? '' : ` (did you mean ${close}?)`}`,
    );
  }
  const secretFile = (key: string): SecretFileRef => {
    const keyPath = `${prefix}.auth.${key}`;
    const value = auth[key];
    const fail: Fail = failAt(keyPath);
    if (value === undefined) fail(`is required with auth type ${type}`);
    if (typeof value !== 'string' || value === '')
      fail('must be the path of a file holding the secret');
    // Relative to the file that set it, as pullSecretFile is.
    const setIn = fileOf(keyPath);
    return { path: path.resolve(path.dirname(setIn), value), key: keyPath, setIn };
  };
  switch (type) {
    case 'telemeter':
    case 'none':
      return { type };
    case 'bearer':
      return { type, credentialsFile: secretFile('credentialsFile') };
    case 'basic': {
      const username = auth.username;
      const fail: Fail = failAt(`${prefix}.auth.username`);
      if (username === undefined) fail('is required with auth type basic');
      // RFC 7617: the user-id cannot hold a colon; CR/LF or controls would break the header.
      if (
        typeof username !== 'string' ||
        username === '' ||
        username.includes(':') ||
        !HEADER_VALUE.test(username)
      ) {
        fail('must be a non-empty string of printable ASCII without ":"');
      }
      return { type, username, passwordFile: secretFile('passwordFile') };
    }
  }
}

/** A configured header, as written; `secret` when its name says it carries one. */
export interface ConfiguredHeader {
  readonly name: string;
  readonly value: string;
  readonly secret: boolean;
}

export function readHeaders(
  raw: unknown,
  failAt: FailAt,
  prefix = 'telemetry',
): readonly ConfiguredHeader[] {
  if (raw === undefined) return [];
  if (!isPlainObject(raw))
    failAt(`${prefix}.headers`)(
      'must be a mapping of header names to values (e.g. X-Scope-OrgID: tenant-a)',
    );
  const headers: ConfiguredHeader[] = [];
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(raw as JsonObject)) {
    const fail: Fail = failAt(`${prefix}.headers.${name}`);
    if (!HEADER_NAME.test(name)) fail('is not a valid HTTP header name');
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.includes(lower)) {
      fail(
        lower === 'authorization'
          ? `is reserved: credentials go in ${prefix}.auth`
          : 'is reserved: edge-telemetry sets it itself',
      );
    }
    if (CONNECTION_HEADERS.includes(lower)) {
      fail(
        lower === 'proxy-authorization'
          ? 'is reserved: proxy credentials go in the telemetry.proxy URL'
          : 'is a connection header, which HTTP sets itself; it cannot be configured',
      );
    }
    if (seen.has(lower)) fail('is set twice (header names are case-insensitive)');
    seen.add(lower);
    const secret = SECRET_HEADER_NAME.test(name);
    // A secret-looking value is never quoted back.
    const quoted = secret ? '' : ` ${quoteValue(value)}`;
    if (typeof value !== 'string')
      fail(
        `must be a string (quote it in YAML), not${quoted === '' ? ' a ' + typeof value : quoted}`,
      );
    if (!HEADER_VALUE.test(value))
      fail(
        `must be non-empty printable ASCII without CR or LF${quoted === '' ? '' : `, not${quoted}`}`,
      );
    headers.push({ name, value, secret });
  }
  return headers;
}

/** A credential never travels in clear text, except over loopback (a local receiver, a sidecar proxy). */
export function checkEndpointTransport(
  endpoint: string,
  auth: AuthConfig,
  fail: (reason: string) => never,
  headers: readonly ConfiguredHeader[] = [],
): void {
  const url = new URL(endpoint);
  if (url.protocol !== 'http:' || isLoopbackHost(url.hostname)) return;
  if (auth.type !== 'none') {
    fail(
      `${quoteValue(endpoint)} is plain http to a host that is not loopback: auth type ${auth.type} would send its credentials in clear text; use https (or auth type none)`,
    );
  }
  // A header named like a secret (X-Api-Key, a token) is a credential too.
  const secret = headers.find((header) => header.secret);
  if (secret !== undefined)
    fail(
      `${quoteValue(endpoint)} is plain http to a host that is not loopback: header ${secret.name} would go in clear text; use https`,
    );
}
