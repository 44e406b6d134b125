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

/** A header whose name says it holds a secret is shown as show shows it. */
function headersYaml(headers: Config['headers']): Record<string, string> {
  return Object.fromEntries(
    headers.map((header) => [header.name, header.secret ? REDACTED : header.value]),
  );
}

/** Paths and a name only: the files' contents are never printed. */
function tlsYaml(tls: Config['tls']): Record<string, string> {
  return {
    ...(tls.caFile === undefined ? {} : { caFile: tls.caFile.path }),
    ...(tls.certFile === undefined ? {} : { certFile: tls.certFile.path }),
    ...(tls.keyFile === undefined ? {} : { keyFile: tls.keyFile.path }),
    ...(tls.serverName === undefined ? {} : { serverName: tls.serverName }),
  };
}

function retryYaml(retry: Config['retry']): Record<string, string | number> {
  return {
    maxAttempts: retry.maxAttempts,
    minDelay: formatDurationMs(retry.minDelayMs),
    maxDelay: formatDurationMs(retry.maxDelayMs),
    maxElapsed: formatDurationMs(retry.maxElapsedMs),
  };
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
        retry: retryYaml(config.retry),
        diskPaths: [...config.diskPaths],
        extraResources: config.extraResources.map(
          (r) => `${r.group === '' ? '' : r.group + '/'}${r.version}/${r.resource}`,
        ),
        auth: authYaml(config.auth),
        headers: headersYaml(config.headers),
        tls: tlsYaml(config.tls),
        protocol: config.protocol,
        destinations: config.destinations.map((destination) => ({
          name: destination.name,
          endpoint: redactUrl(destination.endpoint),
          protocol: destination.protocol,
          auth: authYaml(destination.auth),
          headers: headersYaml(destination.headers),
          tls: tlsYaml(destination.tls),
          maxRequestBytes: destination.maxRequestBytes,
          requestTimeout: formatDurationMs(destination.requestTimeoutMs),
          retry: retryYaml(destination.retry),
        })),
      },
    })
  );
}
