// Node capacity as both sides see it: the host reads its own, the cluster side
// reads Node objects. Shared here so neither imports the other.
import type { Labels } from '../base/model.js';

export const ARCH_LABEL = 'label_kubernetes_io_arch';
export const OS_ID_LABEL = 'label_node_openshift_io_os_id';
export const INSTANCE_TYPE_LABEL = 'label_beta_kubernetes_io_instance_type';

export interface NodeCapacity {
  readonly labels: Labels;
  readonly cpuCores: number;
  readonly memoryBytes: number;
}

export interface NodeCapacitySource {
  /** Capacity per set of node labels from the cluster, or undefined to fall back to the host's own. */
  capacity(signal: AbortSignal): Promise<readonly NodeCapacity[] | undefined>;
}
