// What `check-config` prints: the effective config in the file's own vocabulary.
import { stringify } from 'yaml';
import { formatDurationMs } from './duration.js';
import type { Config } from './schema.js';
import type { AuthConfig } from './auth.js';

/** Only paths and the username: secrets live in their files and are never read here. */
function authYaml(auth: AuthConfig): Record<string, string> {
  switch (auth.type) {
    case 'telemeter':
    case 'none':
      return { type: auth.type };
    case 'bearer':
      return { type: auth.type, credentialsFile: auth.credentialsFile.path };
    case 'basic':
      return { type: auth.type, username: auth.username, passwordFile: auth.passwordFile.path };
  }
}

export const REDACTED = 'REDACTED';

/**
 * The config holds no secret itself (tokens and passwords live in files), but a
 * URL may carry credentials: `user:password@` keeps the user, a lone `token@`
 * (no password) may be the secret itself and goes whole.
 */
export function redactUrl(value: string): string {
  if (value === '') return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return redactCredentials(value);
  }
  if (url.password !== '') url.password = REDACTED;
  else if (url.username !== '') url.username = REDACTED;
  return url.toString();
}

/**
 * For text that is not a valid URL (a rejected value, echoed in an error):
 * every `scheme://userinfo@` in it loses its secret part. The userinfo ends at
 * the last '@' before the host, as in a URL parser, so a password holding '@'
 * or ':' is hidden whole.
 */
export function redactCredentials(text: string): string {
  return text.replace(/(\/\/)([^/?#\s]*)@/g, (_match, slashes: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return `${slashes}${colon === -1 ? REDACTED : `${userinfo.slice(0, colon)}:${REDACTED}`}@`;
  });
}

/** A value quoted in a config error: JSON-quoted, credentials redacted. */
export function quoteValue(value: unknown): string {
  // JSON.stringify gives undefined for undefined and functions, whatever its declared type says.
  const text = (JSON.stringify(value) as string | undefined) ?? String(value);
  return redactCredentials(text);
}

/** The merged config, headed by the files it came from in the order applied, so an admin sees which drop-ins counted. */
export function effectiveConfigYaml(config: Config): string {
  const sources = [
    `# ${config.file}${config.kind === 'microshift' ? ' (a MicroShift config: drop-ins from config.d/)' : ''}`,
    ...config.dropIns.map((dropIn) => `# + ${dropIn}`),
  ];
  return (
    sources.join('\n') +
    '\n' +
    stringify({
      telemetry: {
        status: config.status,
        endpoint: config.endpoint,
        proxy: redactUrl(config.proxy),
        sendingInterval: formatDurationMs(config.sendingIntervalMs),
        samplingInterval: formatDurationMs(config.samplingIntervalMs),
        splay: formatDurationMs(config.splayMs),
        clusterIdFile: config.clusterIdFile,
        pullSecretFile: config.pullSecretFile,
        kubeconfig: config.kubeconfig,
        dataDir: config.dataDir,
        buffer: config.buffer,
        maxBufferedSamples: config.maxBufferedSamples,
        maxBufferedAge: formatDurationMs(config.maxBufferedAgeMs),
        maxRequestBytes: config.maxRequestBytes,
        requestTimeout: formatDurationMs(config.requestTimeoutMs),
        collectTimeout: formatDurationMs(config.collectTimeoutMs),
        retry: {
          maxAttempts: config.retry.maxAttempts,
          minDelay: formatDurationMs(config.retry.minDelayMs),
          maxDelay: formatDurationMs(config.retry.maxDelayMs),
          maxElapsed: formatDurationMs(config.retry.maxElapsedMs),
        },
        diskPaths: [...config.diskPaths],
        extraResources: config.extraResources.map((r) => `${r.group === '' ? '' : r.group + '/'}${r.version}/${r.resource}`),
        auth: authYaml(config.auth),
        // A header whose name says it holds a secret is shown as show shows it.
        headers: Object.fromEntries(config.headers.map((header) => [header.name, header.secret ? REDACTED : header.value])),
        // Paths and a name only: the files' contents are never printed.
        tls: {
          ...(config.tls.caFile === undefined ? {} : { caFile: config.tls.caFile.path }),
          ...(config.tls.certFile === undefined ? {} : { certFile: config.tls.certFile.path }),
          ...(config.tls.keyFile === undefined ? {} : { keyFile: config.tls.keyFile.path }),
          ...(config.tls.serverName === undefined ? {} : { serverName: config.tls.serverName }),
        },
      },
    })
  );
}
