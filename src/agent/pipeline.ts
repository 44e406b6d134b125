// Wires config into the parts: identity, collectors, transport.
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Collector } from '../collect/collector.js';
import { hostCollectors } from '../collect/host/index.js';
import type { HostPaths } from '../collect/host/host-paths.js';
import { resolveClusterId } from '../identity/cluster-id.js';
import { detectDeploymentType, type DeploymentType } from '../identity/deployment-type.js';
import { readPullSecretToken } from '../identity/pull-secret.js';
import type { SampleBuffer } from '../buffer/sample-buffer.js';
import { createHttpTransport } from '../transport/http-transport.js';
import { USER_AGENT } from '../version.js';
import type { SendDeps } from './send-report.js';

export interface PipelineOptions {
  readonly host?: HostPaths;
  /** Tests fix these instead of asking the machine. */
  readonly deploymentType?: DeploymentType;
  readonly version?: (signal: AbortSignal) => Promise<string | undefined>;
}

export async function createCollectors(config: Config, log: Logger, deploymentType: DeploymentType, options: PipelineOptions): Promise<Collector[]> {
  const host = options.host ?? { root: '' };
  const collectors = hostCollectors({
    host,
    diskPaths: config.diskPaths,
    deploymentType: async () => deploymentType,
    ...(options.version === undefined ? {} : { version: options.version }),
  });
  void log;
  return collectors;
}

export async function createSendDeps(config: Config, log: Logger, buffer: SampleBuffer, options: PipelineOptions = {}): Promise<SendDeps> {
  const clusterId = await resolveClusterId(config.clusterIdFile, config.dataDir);
  const deploymentType = options.deploymentType ?? (await detectDeploymentType({ root: options.host?.root ?? '' }));
  return {
    log,
    collectors: await createCollectors(config, log, deploymentType, options),
    buffer,
    transport: createHttpTransport({ url: config.endpoint, proxy: config.proxy, timeoutMs: config.requestTimeoutMs }),
    identity: { clusterId, deploymentType },
    readToken: () => readPullSecretToken(config.pullSecretFile),
    userAgent: USER_AGENT,
    retry: config.retry,
    maxRequestBytes: config.maxRequestBytes,
    collectTimeoutMs: config.collectTimeoutMs,
  };
}
