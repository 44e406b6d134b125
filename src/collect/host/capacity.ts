import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { Labels } from '../../model.js';
import type { Collector } from '../collector.js';
import { hostFile, type HostPaths } from './host-paths.js';
import { kubernetesArch, parseOsRelease } from './os-release.js';

export const CPU_CAPACITY_METRIC = 'cluster:capacity_cpu_cores:sum';
export const MEMORY_CAPACITY_METRIC = 'cluster:capacity_memory_bytes:sum';

export const ARCH_LABEL = 'label_kubernetes_io_arch';
export const OS_ID_LABEL = 'label_node_openshift_io_os_id';
export const INSTANCE_TYPE_LABEL = 'label_beta_kubernetes_io_instance_type';

export interface NodeLabelSource {
  /** Node labels in the series' vocabulary, or undefined to fall back to the host's own. */
  capacityLabels(signal: AbortSignal): Promise<Labels | undefined>;
}

export async function hostCapacityLabels(host: HostPaths, signal?: AbortSignal): Promise<Labels> {
  const labels: Record<string, string> = { [ARCH_LABEL]: kubernetesArch(process.arch) };
  const osId = await readFile(hostFile(host, '/etc/os-release'), { encoding: 'utf8', signal }).then(
    (text) => parseOsRelease(text).ID,
    () => undefined,
  );
  if (osId !== undefined && osId !== '') labels[OS_ID_LABEL] = osId;
  // A bare host has no instance type; an empty label is no label in Prometheus, so it is left out.
  return labels;
}

/** CPU and memory capacity; labels from the cluster's Node objects when there is a cluster. */
export function capacityCollector(host: HostPaths, nodeLabels?: NodeLabelSource): Collector {
  return {
    name: 'host-capacity',
    kind: 'static',
    async collect({ signal, nowMs }) {
      const labels = (await nodeLabels?.capacityLabels(signal)) ?? (await hostCapacityLabels(host, signal));
      return [
        { name: CPU_CAPACITY_METRIC, labels, value: os.cpus().length, timestampMs: nowMs },
        { name: MEMORY_CAPACITY_METRIC, labels, value: os.totalmem(), timestampMs: nowMs },
      ];
    },
  };
}
