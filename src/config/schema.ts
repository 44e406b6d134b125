// Turns the merged `telemetry:` stanza into a frozen Config, or one ConfigError
// that names the key. Pure: file paths are only resolved, never read.
import type { ExtraResource, RetryPolicy } from '../base/settings.js';
import path from 'node:path';
import { ConfigError } from './errors.js';
import { MAX_DURATION_MS, parseDurationMs, formatDurationMs } from './duration.js';
import { isPlainObject, type JsonObject } from './merge-patch.js';
import { quoteValue } from './redact.js';
import { readTlsSettings, type TlsSettings } from './tls-settings.js';
import {
  DEFAULT_ENDPOINT,
  TELEMETER_BODY_LIMIT_BYTES,
  TELEMETRY_RECEIVE_PATH,
} from '../base/telemeter-api.js';
import {
  checkEndpointTransport,
  readAuth,
  readHeaders,
  type AuthConfig,
  type ConfiguredHeader,
} from './auth.js';
import {
  DESTINATION_KEYS,
  PRIMARY_DESTINATION,
  PROTOCOLS,
  checkDestinationName,
  duplicateOf,
  otlpMetricsUrl,
  type Destination,
  type Protocol,
} from './destinations.js';

/** MicroShift's own cluster id (the kube-system namespace's UID), written on its first start. */
export const MICROSHIFT_CLUSTER_ID_FILE = '/var/lib/microshift/cluster-id';
/** MicroShift's keys, where (as in MicroShift) "" means the default. */
const EMPTY_MEANS_DEFAULT: readonly string[] = ['status', 'endpoint', 'proxy'];

export interface Config {
  readonly file: string;
  /** 'microshift': a MicroShift config.yaml, with its config.d/ drop-ins; 'own': ours, with telemetry.d/. */
  readonly kind: 'own' | 'microshift';
  /** The drop-ins merged over `file`, in the order applied. */
  readonly dropIns: readonly string[];
  /** The file that set each key a later line names (a drop-in's, else `file`): an admin edits the file named. */
  readonly setIn: Readonly<Record<'status' | 'dataDir' | 'buffer' | 'protocol', string>>;
  readonly status: 'Enabled' | 'Disabled';
  readonly endpoint: string;
  readonly proxy: string;
  readonly sendingIntervalMs: number;
  readonly samplingIntervalMs: number;
  /** The first send waits a random part of this after start (0: at once), so a fleet booted together does not send together. */
  readonly splayMs: number;
  /** '' means: generate an anonymous id once and keep it in dataDir. */
  readonly clusterIdFile: string;
  readonly pullSecretFile: string;
  /** '' means: no cluster metrics. */
  readonly kubeconfig: string;
  readonly dataDir: string;
  /** disk: durable in dataDir/buffer (default); memory: nothing written, a restart loses unsent samples. */
  readonly buffer: 'disk' | 'memory';
  readonly maxBufferedSamples: number;
  /** Buffered samples older than this go. */
  readonly maxBufferedAgeMs: number;
  readonly maxRequestBytes: number;
  readonly requestTimeoutMs: number;
  readonly collectTimeoutMs: number;
  readonly retry: RetryPolicy;
  readonly diskPaths: readonly string[];
  readonly extraResources: readonly ExtraResource[];
  /** The endpoint's private CA, client certificate and server name (config/tls-settings.ts). */
  readonly tls: TlsSettings;
  /** How each request is authorised; secrets stay in their files, read at every send. */
  readonly auth: AuthConfig;
  /** Extra request headers (tenant headers), as written; never a reserved one. */
  readonly headers: readonly ConfiguredHeader[];
  /** What the primary destination (the keys above) speaks. */
  readonly protocol: Protocol;
  /** telemetry.destinations: more destinations, each delivered on its own (destinationsOf lists them all). */
  readonly destinations: readonly Destination[];
}

/** Every destination, the primary (telemetry.endpoint and the keys beside it) first. */
export function destinationsOf(config: Config): readonly Destination[] {
  return [
    {
      name: PRIMARY_DESTINATION,
      keyPath: 'telemetry',
      endpoint: config.endpoint,
      protocol: config.protocol,
      auth: config.auth,
      headers: config.headers,
      tls: config.tls,
      maxRequestBytes: config.maxRequestBytes,
      requestTimeoutMs: config.requestTimeoutMs,
      retry: config.retry,
    },
    ...config.destinations,
  ];
}

/** Which file last set a key path (drop-ins override the main file). */
export type Provenance = (keyPath: string) => string | undefined;

type Fail = (reason: string) => never;
type Reader<T> = (value: unknown, fail: Fail) => T;

const durationReader =
  (minimumMs: number): Reader<number> =>
  (value: unknown, fail: Fail) => {
    // YAML reads `splay: 0` as a number; Go's ParseDuration takes "0" too. Any other number lacks its unit.
    if (value === 0) value = '0';
    if (typeof value !== 'string') fail('must be a duration string such as "90s", "30m" or "24h"');
    const ms = parseDurationMs(value);
    if (ms === undefined)
      fail(`${quoteValue(value)} is not a duration (use Go form such as 90s, 30m, 1h30m)`);
    if (ms < minimumMs)
      fail(`${quoteValue(value)} is shorter than the minimum ${formatDurationMs(minimumMs)}`);
    if (ms > MAX_DURATION_MS)
      fail(
        `${quoteValue(value)} is longer than the maximum ${formatDurationMs(MAX_DURATION_MS)} (a year)`,
      );
    return ms;
  };

const stringReader: Reader<string> = (value: unknown, fail: Fail): string => {
  if (typeof value !== 'string') fail('must be a string');
  return value;
};

const integerReader =
  (min: number, max: number): Reader<number> =>
  (value: unknown, fail: Fail) => {
    if (typeof value !== 'number' || !Number.isInteger(value)) fail('must be a whole number');
    if (value < min || value > max) fail(`must be between ${min} and ${max}, not ${value}`);
    return value;
  };

const statusReader: Reader<'Enabled' | 'Disabled'> = (value: unknown, fail: Fail) => {
  if (value !== 'Enabled' && value !== 'Disabled') {
    fail(`must be Enabled or Disabled (exact case), not ${quoteValue(value)}`);
  }
  return value;
};

const httpUrlReader =
  (allowEmpty: boolean, allowCredentials: boolean): Reader<string> =>
  (value: unknown, fail: Fail) => {
    if (typeof value !== 'string') fail('must be a URL string');
    if (value === '' && allowEmpty) return '';
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      fail(`${quoteValue(value)} is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      fail(`${quoteValue(value)} must be an http or https URL`);
    if (!allowCredentials && (url.username !== '' || url.password !== ''))
      fail('must not carry credentials in the URL');
    return url.toString();
  };

const protocolReader: Reader<Protocol> = (value: unknown, fail: Fail) => {
  if (typeof value !== 'string' || !(PROTOCOLS as readonly string[]).includes(value))
    fail(`must be ${PROTOCOLS.join(' or ')}, not ${quoteValue(value)}`);
  return value as Protocol;
};

const bufferKindReader: Reader<'disk' | 'memory'> = (value: unknown, fail: Fail) => {
  if (value !== 'disk' && value !== 'memory')
    fail(`must be disk or memory, not ${JSON.stringify(value)}`);
  return value;
};

/**
 * Defaults sized for 30 days offline at the default samplingInterval (1h): the
 * full catalog is 10 dynamic series (3 host, 6 resource counts, containers),
 * 7,200 samples in 30 days; 50,000 leaves room for 59 extraResources. The age
 * bound is 31 days, so a 30-day outage loses nothing.
 */
export const DEFAULT_MAX_BUFFERED_SAMPLES = 50_000;
export const DEFAULT_MAX_BUFFERED_AGE_MS = 744 * 3_600_000;

const RESOURCE_PATTERN = /^(?:([a-z0-9.-]+)\/)?(v[a-z0-9]+)\/([a-z0-9-]+)$/;

const extraResourcesReader: Reader<ExtraResource[]> = (value: unknown, fail: Fail) => {
  if (!Array.isArray(value)) fail('must be a list of "group/version/resource" entries');
  return value.map((entry, index) => {
    const match = typeof entry === 'string' ? RESOURCE_PATTERN.exec(entry) : null;
    if (match === null) {
      fail(
        `entry ${index} ${quoteValue(entry)} is not "group/version/resource" (e.g. policies.kubewarden.io/v1/clusteradmissionpolicies)`,
      );
    }
    return { group: match[1] ?? '', version: match[2] as string, resource: match[3] as string };
  });
};

const pathListReader: Reader<string[]> = (value: unknown, fail: Fail) => {
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string' || entry === '')) {
    fail('must be a list of paths');
  }
  return value as string[];
};

/** Accepts MicroShift's base-URL form ("https://infogw.api.openshift.com") by adding the receive path. */
export function receiveUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname === '/' || url.pathname === '') url.pathname = TELEMETRY_RECEIVE_PATH;
  return url.toString();
}

function resolveFrom(file: string, value: string): string {
  return value === '' ? '' : path.resolve(path.dirname(file), value);
}

const RETRY_KEYS = ['maxAttempts', 'minDelay', 'maxDelay', 'maxElapsed'] as const;
export const TELEMETRY_KEYS = [
  'status',
  'endpoint',
  'proxy',
  'sendingInterval',
  'samplingInterval',
  'splay',
  'clusterIdFile',
  'pullSecretFile',
  'kubeconfig',
  'dataDir',
  'buffer',
  'maxBufferedSamples',
  'maxBufferedAge',
  'maxRequestBytes',
  'requestTimeout',
  'collectTimeout',
  'retry',
  'diskPaths',
  'extraResources',
  'tls',
  'auth',
  'headers',
  'protocol',
  'destinations',
] as const;

export interface ValidateOptions {
  readonly kind?: Config['kind'];
  readonly dropIns?: readonly string[];
}

export function validateTelemetry(
  stanza: unknown,
  mainFile: string,
  provenance: Provenance,
  options: ValidateOptions = {},
): Config {
  const kind = options.kind ?? 'own';
  const fileOf = (keyPath: string) => provenance(keyPath) ?? mainFile;
  const failAt =
    (keyPath: string) =>
    (reason: string): never => {
      throw new ConfigError(fileOf(keyPath), keyPath, reason);
    };
  if (stanza === undefined || stanza === null) stanza = {};
  if (!isPlainObject(stanza)) failAt('telemetry')('must be a mapping of keys');
  const telemetry = stanza as JsonObject;
  rejectUnknownKeys(telemetry, TELEMETRY_KEYS, 'telemetry', failAt);

  const read = <T>(
    object: JsonObject,
    prefix: string,
    key: string,
    reader: Reader<T>,
    fallback: T,
  ): T => {
    const value = object[key];
    if (value === undefined) return fallback;
    if (value === '' && prefix === 'telemetry' && EMPTY_MEANS_DEFAULT.includes(key))
      return fallback;
    return reader(value, failAt(`${prefix}.${key}`));
  };
  const t = (key: string) => ({ object: telemetry, prefix: 'telemetry', key });
  const at = <T>(
    where: { object: JsonObject; prefix: string; key: string },
    reader: Reader<T>,
    fallback: T,
  ): T => read(where.object, where.prefix, where.key, reader, fallback);
  const fileFor = (key: string, fallback: string) =>
    resolveFrom(fileOf(`telemetry.${key}`), at(t(key), stringReader, fallback));

  /**
   * The keys every destination has, read the same way for the primary
   * (`telemetry`) and for each entry of telemetry.destinations. Defaults are
   * the same for all but the endpoint and the auth type, which only the
   * primary has defaults for (Red Hat's Telemetry API, its pull secret).
   */
  const readDestination = (
    object: JsonObject,
    keyPath: string,
    name: string,
    primary: boolean,
  ): Destination => {
    const d = (key: string) => ({ object, prefix: keyPath, key });
    const protocol = at(d('protocol'), protocolReader, 'remote-write');
    if (!primary && object.endpoint === undefined)
      failAt(`${keyPath}.endpoint`)('is required: the URL this destination receives at');
    const written = at(d('endpoint'), httpUrlReader(false, false), DEFAULT_ENDPOINT);
    // MicroShift's base-URL form for the primary; OTLP exporters' /v1/metrics for OTLP; anything else as written.
    const endpoint =
      protocol === 'otlp' ? otlpMetricsUrl(written) : primary ? receiveUrl(written) : written;
    const telemeterHost = new URL(DEFAULT_ENDPOINT).host;
    if (protocol === 'otlp' && new URL(endpoint).host === telemeterHost)
      failAt(`${keyPath}.protocol`)(
        `otlp, but ${keyPath}.endpoint is Red Hat's Telemetry API${object.endpoint === undefined ? ' (the default)' : ''}, which takes remote-write only`,
      );
    const retryRaw = object.retry ?? {};
    if (!isPlainObject(retryRaw)) failAt(`${keyPath}.retry`)('must be a mapping of keys');
    rejectUnknownKeys(retryRaw as JsonObject, RETRY_KEYS, `${keyPath}.retry`, failAt);
    const r = (key: string) => ({
      object: retryRaw as JsonObject,
      prefix: `${keyPath}.retry`,
      key,
    });
    const minDelayMs = at(r('minDelay'), durationReader(1), 1000);
    const maxDelayMs = at(r('maxDelay'), durationReader(1), 300_000);
    if (minDelayMs > maxDelayMs)
      failAt(`${keyPath}.retry.minDelay`)(`is longer than ${keyPath}.retry.maxDelay`);
    const auth = readAuth(object.auth, failAt, fileOf, keyPath, primary ? 'telemeter' : 'none');
    if (auth.type === 'telemeter' && protocol !== 'remote-write')
      failAt(`${keyPath}.auth.type`)(
        `telemeter is Red Hat's Telemetry API's bearer, sent with remote-write only; ${keyPath}.protocol is ${protocol}`,
      );
    const headers = readHeaders(object.headers, failAt, keyPath);
    checkEndpointTransport(endpoint, auth, failAt(`${keyPath}.endpoint`), headers);
    // Credentials for one's own backend must never go to Red Hat's API because the endpoint was left at its default.
    if (auth.type !== 'telemeter' && new URL(endpoint).host === telemeterHost) {
      failAt(`${keyPath}.auth.type`)(
        `${auth.type} is for your own backend, but ${keyPath}.endpoint is Red Hat's Telemetry API${endpoint === DEFAULT_ENDPOINT && object.endpoint === undefined ? ' (the default)' : ''}, which takes only the telemeter bearer; set ${keyPath}.endpoint`,
      );
    }
    return {
      name,
      keyPath,
      endpoint,
      protocol,
      auth,
      headers,
      tls: readTlsSettings(object.tls, endpoint, fileOf, failAt, keyPath),
      maxRequestBytes: at(
        d('maxRequestBytes'),
        integerReader(1024, 64 * 1024 * 1024),
        TELEMETER_BODY_LIMIT_BYTES,
      ),
      requestTimeoutMs: at(d('requestTimeout'), durationReader(100), 30_000),
      retry: {
        maxAttempts: at(r('maxAttempts'), integerReader(1, 100), 6),
        minDelayMs,
        maxDelayMs,
        maxElapsedMs: at(r('maxElapsed'), durationReader(1000), 900_000),
      },
    };
  };

  const samplingIntervalMs = at(t('samplingInterval'), durationReader(1000), 3_600_000);
  const sendingIntervalMs = at(t('sendingInterval'), durationReader(1000), 86_400_000);
  if (samplingIntervalMs > sendingIntervalMs) {
    failAt('telemetry.samplingInterval')(
      `${formatDurationMs(samplingIntervalMs)} is longer than sendingInterval ${formatDurationMs(sendingIntervalMs)}`,
    );
  }
  // "0s" is allowed: the default, sending at start as MicroShift does.
  const splayMs = at(t('splay'), durationReader(0), 0);
  if (splayMs > sendingIntervalMs) {
    failAt('telemetry.splay')(
      `${formatDurationMs(splayMs)} is longer than sendingInterval ${formatDurationMs(sendingIntervalMs)}`,
    );
  }
  const primary = readDestination(telemetry, 'telemetry', PRIMARY_DESTINATION, true);
  const destinations: Destination[] = [];
  const listRaw: unknown = telemetry.destinations ?? [];
  if (!Array.isArray(listRaw))
    return failAt('telemetry.destinations')(
      'must be a list of destinations (each with name and endpoint; a drop-in that sets it replaces the whole list)',
    );
  for (const [index, entry] of (listRaw as unknown[]).entries()) {
    const keyPath = `telemetry.destinations[${index}]`;
    if (!isPlainObject(entry))
      return failAt(keyPath)('must be a mapping of keys (name, endpoint, protocol, auth, …)');
    rejectUnknownKeys(entry, DESTINATION_KEYS, keyPath, failAt);
    const name = checkDestinationName(entry.name, failAt(`${keyPath}.name`));
    const destination = readDestination(entry, keyPath, name, false);
    const twin = duplicateOf([primary, ...destinations], destination);
    if (twin !== undefined)
      failAt(twin.name === name ? `${keyPath}.name` : `${keyPath}.endpoint`)(
        twin.name === name
          ? `${quoteValue(name)} is used twice (also ${twin.keyPath}); names must be unique`
          : `${twin.keyPath} already sends ${destination.protocol} to ${quoteValue(destination.endpoint)}; each destination must differ`,
      );
    destinations.push(destination);
  }

  const config: Omit<Config, 'tls'> = {
    file: mainFile,
    kind,
    dropIns: [...(options.dropIns ?? [])],
    setIn: {
      status: fileOf('telemetry.status'),
      dataDir: fileOf('telemetry.dataDir'),
      buffer: fileOf('telemetry.buffer'),
      protocol: fileOf('telemetry.protocol'),
    },
    status: at(t('status'), statusReader, 'Enabled'),
    endpoint: primary.endpoint,
    proxy: at(t('proxy'), httpUrlReader(true, true), ''),
    sendingIntervalMs,
    splayMs,
    samplingIntervalMs,
    // With a MicroShift config, _id is MicroShift's own cluster id unless the admin says otherwise.
    clusterIdFile: fileFor(
      'clusterIdFile',
      kind === 'microshift' ? MICROSHIFT_CLUSTER_ID_FILE : '',
    ),
    pullSecretFile: fileFor('pullSecretFile', '/etc/crio/openshift-pull-secret'),
    kubeconfig: fileFor('kubeconfig', '/var/lib/microshift/resources/kubeadmin/kubeconfig'),
    dataDir: fileFor('dataDir', '/var/lib/edge-telemetry'),
    buffer: at(t('buffer'), bufferKindReader, 'disk'),
    maxBufferedSamples: at(
      t('maxBufferedSamples'),
      integerReader(1, 10_000_000),
      DEFAULT_MAX_BUFFERED_SAMPLES,
    ),
    maxBufferedAgeMs: at(t('maxBufferedAge'), durationReader(60_000), DEFAULT_MAX_BUFFERED_AGE_MS),
    maxRequestBytes: primary.maxRequestBytes,
    requestTimeoutMs: primary.requestTimeoutMs,
    collectTimeoutMs: at(t('collectTimeout'), durationReader(100), 10_000),
    retry: primary.retry,
    diskPaths: at(t('diskPaths'), pathListReader, [
      '/var/lib/microshift',
      '/var/lib/containers',
      '/var',
      '/',
    ]),
    extraResources: at(t('extraResources'), extraResourcesReader, []),
    auth: primary.auth,
    headers: primary.headers,
    protocol: primary.protocol,
    destinations,
  };
  if (config.dataDir === '') failAt('telemetry.dataDir')('must not be empty');
  return deepFreeze({ ...config, tls: primary.tls });
}

function rejectUnknownKeys(
  object: JsonObject,
  known: readonly string[],
  prefix: string,
  failAt: (keyPath: string) => (reason: string) => never,
): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) {
      const close = known.find((candidate) => candidate.toLowerCase() === key.toLowerCase());
      failAt(`${prefix}.${key}`)(
        `unknown key${close === undefined ? '' : ` (did you mean ${close}?)`}`,
      );
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
