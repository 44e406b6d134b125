import type { Collector } from '../../src/collect/collector.js';
import type { SendDeps } from '../../src/deliver/send-report.js';
import { SetAsideMemory } from '../../src/deliver/set-aside.js';
import { MemorySampleBuffer } from '../../src/buffer/memory-buffer.js';
import { createHttpTransport } from '../../src/transport/http-transport.js';
import { silentLogger, type Logger } from '../../src/base/log.js';
import { knownIdentity } from '../../src/deliver/identity-source.js';
import { TOKEN } from './files.js';
import { requestHeaders, requestSecrets } from '../../src/remote-write/headers.js';

/** A collector with fixed figures, so a test knows exactly what should arrive. */
export function fixedCollector(
  kind: 'static' | 'dynamic',
  name: string,
  value: () => number,
): Collector {
  return {
    name,
    kind,
    help: {},
    collect: async ({ nowMs }) => [{ name, labels: {}, value: value(), timestampMs: nowMs }],
  };
}

export function sendDeps(
  url: string,
  overrides: Partial<SendDeps> = {},
  log: Logger = silentLogger,
): SendDeps {
  return {
    log,
    collectors: [
      fixedCollector('static', 'cluster:capacity_cpu_cores:sum', () => 4),
      fixedCollector('dynamic', 'cluster:cpu_usage_cores:sum', () => 1.5),
    ],
    buffer: new MemorySampleBuffer({ maxSamples: 1000, maxAgeMs: 86_400_000 }),
    transport: createHttpTransport({ url, proxy: '', timeoutMs: 5000 }),
    identity: knownIdentity({ clusterId: 'cluster-0123', deploymentType: 'microshift-rpm' }),
    // The daemon's own wiring, over the token a test pull secret holds.
    resolveAuth: async (clusterId) => ({
      ok: true,
      headers: requestHeaders('edge-telemetry/test', [], {
        type: 'telemeter',
        token: TOKEN,
        clusterId,
      }),
      secrets: requestSecrets([], { type: 'telemeter', token: TOKEN, clusterId }),
    }),
    userAgent: 'edge-telemetry/test',
    retry: { maxAttempts: 4, minDelayMs: 50, maxDelayMs: 5000, maxElapsedMs: 60_000 },
    maxRequestBytes: 128 * 1024,
    collectTimeoutMs: 2000,
    setAside: new SetAsideMemory(),
    ...overrides,
  };
}
