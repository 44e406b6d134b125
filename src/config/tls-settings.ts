// `telemetry.tls` (and each destination's `tls`): a private CA, a client certificate and the server name for
// the endpoint. Pure like the rest of config/: paths are resolved, never read
// (credentials/tls-material.ts reads them, at start and at every send).
import path from 'node:path';
import { isPlainObject, type JsonObject } from './merge-patch.js';
import { quoteValue } from './redact.js';

export const TLS_KEYS = ['caFile', 'certFile', 'keyFile', 'serverName'] as const;
export type TlsFileKey = 'caFile' | 'certFile' | 'keyFile';

/** A file named in the config, and the config file that named it (for one-line errors). */
export interface TlsFileSetting {
  readonly path: string;
  readonly setIn: string;
}

/** Unset keys are absent. There is deliberately no key that weakens verification. */
export interface TlsSettings {
  /** PEM bundle of CAs trusted for the endpoint in addition to Node's roots. */
  readonly caFile?: TlsFileSetting;
  /** Client certificate (PEM, may hold its chain) and its private key: both or neither. */
  readonly certFile?: TlsFileSetting;
  readonly keyFile?: TlsFileSetting;
  /** SNI and the name the endpoint's certificate is checked against. */
  readonly serverName?: string;
}

type FailAt = (keyPath: string) => (reason: string) => never;

/**
 * RFC 1123 host names (a trailing dot allowed); no IP address: SNI carries
 * names only. An IPv6 address has colons, which no name has; a dotted IPv4
 * one is all digits and dots, which the last test refuses.
 */
const DNS_NAME =
  /^(?=.{1,253}\.?$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

export function isDnsName(value: string): boolean {
  return DNS_NAME.test(value) && !/^[0-9.]+$/.test(value);
}

/**
 * `telemetry.tls` (or a destination's, at `prefix`), validated. `fileOf` names the config file that set a key
 * (drop-ins override the main file); relative paths are relative to it.
 */
export function readTlsSettings(
  value: unknown,
  endpoint: string,
  fileOf: (keyPath: string) => string,
  failAt: FailAt,
  prefix = 'telemetry',
): TlsSettings {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value))
    return failAt(`${prefix}.tls`)(
      'must be a mapping of keys (caFile, certFile, keyFile, serverName)',
    );
  const tls: JsonObject = value;
  for (const key of Object.keys(tls)) {
    if (!(TLS_KEYS as readonly string[]).includes(key)) {
      const close = TLS_KEYS.find((candidate) => candidate.toLowerCase() === key.toLowerCase());
      const hint = /insecure|skip|verify/i.test(key)
        ? ' (TLS verification cannot be switched off)'
        : close === undefined
          ? ''
          : ` (did you mean ${close}?)`;
      failAt(`${prefix}.tls.${key}`)(`unknown key${hint}`);
    }
  }
  const file = (key: TlsFileKey): TlsFileSetting | undefined => {
    const raw = tls[key];
    if (raw === undefined || raw === null) return undefined;
    const keyPath = `${prefix}.tls.${key}`;
    if (typeof raw !== 'string' || raw === '') return failAt(keyPath)('must be a file path');
    const setIn = fileOf(keyPath);
    return { path: path.resolve(path.dirname(setIn), raw), setIn };
  };
  const caFile = file('caFile');
  const certFile = file('certFile');
  const keyFile = file('keyFile');
  if (certFile !== undefined && keyFile === undefined)
    failAt(`${prefix}.tls.keyFile`)(
      `missing: ${prefix}.tls.certFile needs the key of its certificate`,
    );
  if (keyFile !== undefined && certFile === undefined)
    failAt(`${prefix}.tls.certFile`)(
      `missing: ${prefix}.tls.keyFile needs the certificate it is the key of`,
    );
  let serverName: string | undefined;
  const rawName = tls.serverName;
  if (rawName !== undefined && rawName !== null) {
    if (typeof rawName !== 'string' || !isDnsName(rawName)) {
      return failAt(`${prefix}.tls.serverName`)(
        `${quoteValue(rawName)} is not a DNS name (SNI carries names, not IP addresses)`,
      );
    }
    serverName = rawName.replace(/\.$/, '').toLowerCase();
  }
  const settings: TlsSettings = {
    ...(caFile === undefined ? {} : { caFile }),
    ...(certFile === undefined ? {} : { certFile }),
    ...(keyFile === undefined ? {} : { keyFile }),
    ...(serverName === undefined ? {} : { serverName }),
  };
  if (Object.keys(settings).length > 0 && new URL(endpoint).protocol !== 'https:') {
    // TLS options on a clear-text endpoint would be silently unused: the admin meant https.
    failAt(`${prefix}.tls`)(
      `is set, but ${prefix}.endpoint ${quoteValue(endpoint)} is not https://`,
    );
  }
  return settings;
}

/** The files telemetry.tls names, in the order they are read. */
export function tlsFiles(
  settings: TlsSettings,
): { readonly key: TlsFileKey; readonly file: string }[] {
  return (['caFile', 'certFile', 'keyFile'] as const).flatMap((key) => {
    const setting = settings[key];
    return setting === undefined ? [] : [{ key, file: setting.path }];
  });
}
