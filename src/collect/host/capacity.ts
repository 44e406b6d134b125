import os from 'node:os';
import type { Labels } from '../../model.js';
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

/** CPU and memory capacity: from the cluster's Node objects when there is a cluster, else this host's. */
export function capacityCollector(host: HostPaths, cluster?: NodeCapacitySource): Collector {
  return {
    name: 'capacity',
    help: HELP,
    kind: 'static',
    async collect({ signal, nowMs }) {
      const fromCluster = await cluster?.capacity(signal);
      const groups = fromCluster ?? [{ labels: await hostCapacityLabels(host), cpuCores: os.cpus().length, memoryBytes: os.totalmem() }];
      return groups.flatMap((group) => [
        { name: CPU_CAPACITY_METRIC, labels: group.labels, value: group.cpuCores, timestampMs: nowMs },
        { name: MEMORY_CAPACITY_METRIC, labels: group.labels, value: group.memoryBytes, timestampMs: nowMs },
      ]);
    },
  };
}
