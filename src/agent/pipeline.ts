// Wires config into the parts: identity, collectors, transport.
import { destinationsOf, type Config } from '../config/schema.js';
import { PRIMARY_DESTINATION, type Destination } from '../config/destinations.js';
import { withFields } from '../base/log.js';
import type { DestinationBuffers, DestinationEntry } from '../buffer/destination-buffers.js';
import { wireProtocol } from '../deliver/wire-format.js';
import type { TlsSettings } from '../config/tls-settings.js';
import type { Logger } from '../base/log.js';
import type { MemoryPolicy } from '../base/heap-shrink.js';
import type { Collector } from '../collect/collector.js';
import type { CpuReadings } from '../collect/host/cpu.js';
import { hostCollectors } from '../collect/host/index.js';
import { microShiftVersion } from '../collect/host/version.js';
import type { HostPaths } from '../collect/host/host-paths.js';
import { detectDeploymentType, type DeploymentType } from '../identity/deployment-type.js';
import type { SampleBuffer } from '../buffer/sample-buffer.js';
import type { HttpTransportOptions, Transport } from '../transport/http-transport.js';
import { USER_AGENT } from '../base/version.js';
import type { SendDeps } from '../deliver/send-report.js';
import { SetAsideMemory } from '../deliver/set-aside.js';
import { startIdentity } from '../deliver/identity-source.js';
import type { TlsMaterial, TlsSource } from '../transport/tls-options.js';
import { createAuthSource } from '../credentials/auth-source.js';
import type { AnswerKeeping } from '../base/program-answer.js';
import path from 'node:path';

export interface PipelineOptions {
  readonly host?: HostPaths;
  /** Tests fix these instead of asking the machine. */
  readonly deploymentType?: DeploymentType;
  readonly version?: (signal: AbortSignal) => Promise<string | undefined>;
  /** CRI-O's image list; tests point it elsewhere. */
  readonly imagesFile?: string;
  /** The daemon's memory measures (src/base/heap-shrink.ts), for the send and the Kubernetes client. */
  readonly memory?: MemoryPolicy;
  /** The previous /proc/stat reading, which the daemon keeps across processes (wake-state.ts). */
  readonly cpu?: CpuReadings;
  /** Each destination's set-aside memory by name, kept across processes likewise; a new one when absent. */
  readonly setAside?: (destination: string) => SetAsideMemory;
  /** The cluster problems already warned about (ProblemNotices), kept across processes likewise. */
  readonly openProblems?: Set<string>;
  /**
   * Where microshift's and bootc's answers are kept for the next process of
   * this boot (dataDir: program-answer.ts says why); undefined: asked at each send.
   */
  readonly keepAnswers?: { readonly dir: string; readonly bootId: string };
}

/** The files in `keepAnswers.dir` that keep each program's answer. */
const MICROSHIFT_VERSION_FILE = 'microshift-version.json';
const BOOTC_STATUS_FILE = 'bootc-status.json';

function keepingIn(where: PipelineOptions['keepAnswers'], file: string): AnswerKeeping | undefined {
  return where === undefined
    ? undefined
    : { file: path.join(where.dir, file), bootId: where.bootId };
}

/** Cluster metrics when a kubeconfig is set, or when running in a pod with a service account. */
async function clusterPart(config: Config, log: Logger, options: PipelineOptions) {
  const { inClusterAvailable } = await import('../kube/in-cluster.js');
  if (config.kubeconfig === '' && !(await inClusterAvailable())) return undefined;
  const [{ KubeConnection }, cluster, { loadKubeEndpoint }] = await Promise.all([
    import('../kube/connection.js'),
    import('../collect/cluster/index.js'),
    import('../kube/kubeconfig.js'),
  ]);
  const connection = new KubeConnection(
    config.kubeconfig,
    loadKubeEndpoint,
    Math.min(config.requestTimeoutMs, config.collectTimeoutMs),
    log,
    options.memory,
    options.openProblems,
  );
  return {
    capacity: cluster.nodeCapacitySource(connection),
    collectors: cluster.clusterCollectors(connection, {
      extraResources: config.extraResources,
      ...(options.imagesFile === undefined ? {} : { imagesFile: options.imagesFile }),
    }),
  };
}

export async function createCollectors(
  config: Config,
  log: Logger,
  deploymentType: () => Promise<DeploymentType>,
  options: PipelineOptions,
): Promise<Collector[]> {
  const host = options.host ?? { root: '' };
  const cluster = await clusterPart(config, log, options);
  const keeping = keepingIn(options.keepAnswers, MICROSHIFT_VERSION_FILE);
  return [
    ...hostCollectors({
      host,
      diskPaths: config.diskPaths,
      deploymentType,
      version: options.version ?? ((signal) => microShiftVersion(signal, keeping)),
      ...(cluster === undefined ? {} : { cluster: cluster.capacity }),
      ...(options.cpu === undefined ? {} : { cpu: options.cpu }),
    }),
    ...(cluster?.collectors ?? []),
  ];
}

/**
 * The transport's TLS source: telemetry.tls's files, read again at every
 * attempt (rotation needs no restart). Undefined without them: Node's
 * defaults. The reader (node:crypto for parsing) is loaded at the first send
 * that needs it, not at start.
 */
export function tlsSourceFor(settings: TlsSettings): TlsSource | undefined {
  if (Object.keys(settings).length === 0) return undefined;
  return async (): Promise<TlsMaterial> =>
    (await import('../credentials/tls-material.js')).readTlsMaterial(settings);
}

/**
 * A transport whose module (node:http, node:tls, node:net: about 25 ms of CPU
 * to load under --lite-mode) is loaded at its first post. A daemon that exits
 * between ticks starts about 24 times a day to take one sample and send
 * nothing; those starts must not pay for the sending machinery.
 */
export function lazyTransport(options: HttpTransportOptions): Transport {
  let making: Promise<Transport> | undefined;
  // Each post's own stop, so a close ends it in every phase, the module's loading included.
  const posts = new Set<AbortController>();
  return {
    async post(body, headers, signal) {
      const closing = new AbortController();
      posts.add(closing);
      try {
        making ??= import('../transport/http-transport.js').then(({ createHttpTransport }) =>
          createHttpTransport(options),
        );
        const transport = await making;
        return await transport.post(body, headers, AbortSignal.any([signal, closing.signal]));
      } finally {
        posts.delete(closing);
      }
    },
    close() {
      for (const closing of posts) closing.abort();
    },
  };
}

/** A destination's transport: its endpoint, TLS and timeout, the shared proxy, its protocol's reading of replies. */
export function createTransport(
  config: Config,
  destination: Destination = destinationsOf(config)[0] as Destination,
) {
  const tls = tlsSourceFor(destination.tls);
  return lazyTransport({
    url: destination.endpoint,
    proxy: config.proxy,
    timeoutMs: destination.requestTimeoutMs,
    reply: wireProtocol(destination.protocol).replies,
    ...(tls === undefined ? {} : { tls }),
  });
}

/** Where each destination starts in the buffer when it has no cursor yet (DestinationBuffers). */
export function destinationEntries(config: Config): DestinationEntry[] {
  return destinationsOf(config).map((destination) => ({
    name: destination.name,
    startsAt: destination.name === PRIMARY_DESTINATION ? 'oldest' : 'now',
  }));
}

/** What every destination's send shares: the collectors and the cluster identity. */
async function sharedParts(config: Config, log: Logger, options: PipelineOptions) {
  const root = options.host?.root ?? '';
  let finding: Promise<DeploymentType> | undefined;
  // Asked once, at the first send or static reading, not at start (identity-source.ts says why).
  const deploymentType = () =>
    (finding ??=
      options.deploymentType === undefined
        ? detectDeploymentType({ root, keeping: keepingIn(options.keepAnswers, BOOTC_STATUS_FILE) })
        : Promise.resolve(options.deploymentType));
  // Throws for a cluster id file that exists and is unusable; one that does not exist yet is waited for.
  const identity = await startIdentity(config.clusterIdFile, config.dataDir, deploymentType);
  return { identity, collectors: await createCollectors(config, log, deploymentType, options) };
}

/** One destination's send: its own transport, credentials, retries, size limit and set-aside memory. */
function sendDepsFor(
  config: Config,
  destination: Destination,
  shared: Awaited<ReturnType<typeof sharedParts>> & { log: Logger; buffer: SampleBuffer },
  options: PipelineOptions,
): SendDeps {
  const protocol = wireProtocol(destination.protocol);
  return {
    log: shared.log,
    collectors: shared.collectors,
    buffer: shared.buffer,
    transport: createTransport(config, destination),
    identity: shared.identity,
    resolveAuth: createAuthSource(
      { ...destination, pullSecretFile: config.pullSecretFile },
      USER_AGENT,
      protocol.contentHeaders,
    ),
    userAgent: USER_AGENT,
    retry: destination.retry,
    maxRequestBytes: destination.maxRequestBytes,
    collectTimeoutMs: config.collectTimeoutMs,
    samplingIntervalMs: config.samplingIntervalMs,
    setAside: options.setAside?.(destination.name) ?? new SetAsideMemory(),
    protocol,
    ...(options.memory === undefined ? {} : { memory: options.memory }),
  };
}

/**
 * One SendDeps per destination, the primary first, each on its own view of
 * the buffer. Log lines name the destination when there is more than one.
 */
export async function createDestinationSends(
  config: Config,
  log: Logger,
  buffers: DestinationBuffers,
  options: PipelineOptions = {},
): Promise<SendDeps[]> {
  const shared = await sharedParts(config, log, options);
  const destinations = destinationsOf(config);
  return destinations.map((destination) =>
    sendDepsFor(
      config,
      destination,
      {
        ...shared,
        log: destinations.length > 1 ? withFields(log, { destination: destination.name }) : log,
        buffer: buffers.view(destination.name),
      },
      options,
    ),
  );
}

/** The primary destination alone, on `buffer` as it is (show, export, tests). */
export async function createSendDeps(
  config: Config,
  log: Logger,
  buffer: SampleBuffer,
  options: PipelineOptions = {},
): Promise<SendDeps> {
  const shared = await sharedParts(config, log, options);
  return sendDepsFor(
    config,
    destinationsOf(config)[0] as Destination,
    { ...shared, log, buffer },
    options,
  );
}
