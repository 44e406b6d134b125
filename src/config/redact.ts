// What `check-config` prints: the effective config in the file's own vocabulary.
import { stringify } from 'yaml';
import { formatDurationMs } from './duration.js';
import type { Config } from './schema.js';

/** The config holds no secret itself (the token lives in pullSecretFile); the proxy URL may carry credentials. */
export function redactUrl(value: string): string {
  if (value === '') return value;
  const url = new URL(value);
  if (url.password !== '') url.password = 'REDACTED';
  return url.toString();
}

export function effectiveConfigYaml(config: Config): string {
  return stringify({
    telemetry: {
      status: config.status,
      endpoint: config.endpoint,
      proxy: redactUrl(config.proxy),
      sendingInterval: formatDurationMs(config.sendingIntervalMs),
      samplingInterval: formatDurationMs(config.samplingIntervalMs),
      clusterIdFile: config.clusterIdFile,
      pullSecretFile: config.pullSecretFile,
      kubeconfig: config.kubeconfig,
      dataDir: config.dataDir,
      maxBufferedSamples: config.maxBufferedSamples,
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
    },
  });
}
