import os from 'node:os';
import { linkedSignal } from '../../base/abort.js';
import { untilAborted } from '../run-collectors.js';
import type { Labels } from '../../base/model.js';
import type { Collector } from '../collector.js';
import { ARCH_LABEL, OS_ID_LABEL, type NodeCapacitySource } from '../node-capacity.js';
import { readHostText, type HostPaths } from './host-paths.js';
import { kubernetesArch, MAX_OS_RELEASE_BYTES, parseOsRelease } from './os-release.js';

export const CPU_CAPACITY_METRIC = 'cluster:capacity_cpu_cores:sum';
export const MEMORY_CAPACITY_METRIC = 'cluster:capacity_memory_bytes:sum';
const HELP = {
  [CPU_CAPACITY_METRIC]: 'CPU cores of the node.',
  [MEMORY_CAPACITY_METRIC]: 'Memory of the node in bytes.',
};

export async function hostCapacityLabels(host: HostPaths): Promise<Labels> {
  const labels: Record<string, string> = { [ARCH_LABEL]: kubernetesArch(process.arch) };
  const osId = await readHostText(host, '/etc/os-release', MAX_OS_RELEASE_BYTES).then(
    (text) => parseOsRelease(text).ID,
    () => undefined,
  );
  if (osId !== undefined && osId !== '') labels[OS_ID_LABEL] = osId;
  // A bare host has no instance type; an empty label is no label in Prometheus, so it is left out.
  return labels;
}

/**
 * The part of the capacity collector's deadline the cluster gets: whatever
 * the API does (no answer, a slow exec plugin), the host's own figures are
 * read in the rest, so the two capacity series always go.
 */
export const CLUSTER_CAPACITY_SHARE = 0.75;

/** The cluster's capacities within its share of the deadline; undefined when it has none, fails or is late. */
async function clusterCapacity(
  cluster: NodeCapacitySource,
  signal: AbortSignal,
  timeoutMs: number,
) {
  const linked = linkedSignal(
    signal,
    Math.floor(timeoutMs * CLUSTER_CAPACITY_SHARE),
    () => new Error('cluster capacity deadline'),
  );
  try {
    // A source that ignores its signal is not waited for; late or failed, the host's figures go.
    return await untilAborted(cluster.capacity(linked.signal), linked.signal).catch(
      () => undefined,
    );
  } finally {
    linked.dispose();
  }
}

/** CPU and memory capacity: from the cluster's Node objects when there is a cluster that answers in time, else this host's. */
export function capacityCollector(host: HostPaths, cluster?: NodeCapacitySource): Collector {
  return {
    name: 'capacity',
    help: HELP,
    kind: 'static',
    async collect({ signal, timeoutMs, nowMs }) {
      const fromCluster =
        cluster === undefined ? undefined : await clusterCapacity(cluster, signal, timeoutMs);
      const groups = fromCluster ?? [
        {
          labels: await hostCapacityLabels(host),
          cpuCores: os.cpus().length,
          memoryBytes: os.totalmem(),
        },
      ];
      return groups.flatMap((group) => [
        {
          name: CPU_CAPACITY_METRIC,
          labels: group.labels,
          value: group.cpuCores,
          timestampMs: nowMs,
        },
        {
          name: MEMORY_CAPACITY_METRIC,
          labels: group.labels,
          value: group.memoryBytes,
          timestampMs: nowMs,
        },
      ]);
    },
  };
}
