// What `check-config` prints: the effective config in the file's own vocabulary.
// Its own module, apart from redact.ts, so that the YAML writer is loaded by
// check-config only: the daemon's start-up graph holds no YAML code
// (src/base/yaml-parse-evictable.ts says why).
import { stringify } from 'yaml';
import { formatDurationMs } from './duration.js';
import type { Config } from './schema.js';
import type { AuthConfig } from './auth.js';
import { REDACTED, redactUrl } from './redact.js';

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
        endpoint: redactUrl(config.endpoint),
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
        extraResources: config.extraResources.map(
          (r) => `${r.group === '' ? '' : r.group + '/'}${r.version}/${r.resource}`,
        ),
        auth: authYaml(config.auth),
        // A header whose name says it holds a secret is shown as show shows it.
        headers: Object.fromEntries(
          config.headers.map((header) => [header.name, header.secret ? REDACTED : header.value]),
        ),
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
