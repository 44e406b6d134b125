// Node objects: listed page by page (nodes are few), their names for the node
// proxy, and their capacity grouped by the labels the backend groups by.
import {
  ARCH_LABEL,
  INSTANCE_TYPE_LABEL,
  OS_ID_LABEL,
  type NodeCapacity,
  type NodeCapacitySource,
} from '../node-capacity.js';
import type { KubeConnection } from '../../kube/connection.js';
import type { ApiResult, KubeApi } from '../../kube/kube-api.js';
import {
  ACCEPT_JSON,
  ACCEPT_METADATA_ONLY,
  FULL_OBJECTS_PAGE_LIMIT,
  sumPages,
} from '../../kube/list-pages.js';
import { parseQuantity } from './quantity.js';
import { settle } from './settle.js';

export interface NodeObject {
  metadata?: { name?: unknown; labels?: Record<string, unknown> };
  status?: { capacity?: Record<string, unknown>; images?: unknown };
}

/** Nodes kept while listing: an edge cluster has a handful; more is a wrong answer, and each whole Node can be 50 KB. */
export const MAX_NODES = 1000;

/** Every Node, page by page: whole objects (ACCEPT_JSON) or metadata only. Nodes are few. */
export async function listNodes(
  api: KubeApi,
  accept: string,
  signal: AbortSignal,
): Promise<ApiResult<NodeObject[]>> {
  const nodes: NodeObject[] = [];
  const result = await sumPages(
    api,
    '/api/v1/nodes',
    {
      accept,
      ...(accept === ACCEPT_JSON ? { pageLimit: FULL_OBJECTS_PAGE_LIMIT } : {}),
      perPage: (body) => {
        const items = (body as { items?: unknown }).items;
        if (!Array.isArray(items) || nodes.length + items.length > MAX_NODES) return undefined;
        for (const item of items)
          if (typeof item === 'object' && item !== null) nodes.push(item as NodeObject);
        return items.length;
      },
    },
    signal,
  );
  return result.kind === 'ok' ? { kind: 'ok', value: nodes } : result;
}

/** Node names, metadata only; a name that is not a DNS name is not put in a URL path. */
export async function nodeNames(api: KubeApi, signal: AbortSignal): Promise<ApiResult<string[]>> {
  const result = await listNodes(api, ACCEPT_METADATA_ONLY, signal);
  if (result.kind !== 'ok') return result;
  const names = result.value
    .map((node) => node.metadata?.name)
    .filter((name): name is string => typeof name === 'string' && /^[a-z0-9.-]+$/.test(name));
  return { kind: 'ok', value: names };
}

/** Pure: capacity summed per distinct set of node labels, as the backend's rule groups it. */
export function capacityByNodeLabels(nodes: readonly NodeObject[]): NodeCapacity[] {
  const groups = new Map<string, NodeCapacity>();
  for (const node of nodes) {
    const source = node.metadata?.labels ?? {};
    const labels: Record<string, string> = {};
    const copy = (from: string, to: string) => {
      const value = source[from];
      if (typeof value === 'string' && value !== '') labels[to] = value;
    };
    copy('kubernetes.io/arch', ARCH_LABEL);
    copy('node.openshift.io/os_id', OS_ID_LABEL);
    if (source['node.kubernetes.io/instance-type'] !== undefined)
      copy('node.kubernetes.io/instance-type', INSTANCE_TYPE_LABEL);
    else copy('beta.kubernetes.io/instance-type', INSTANCE_TYPE_LABEL);
    const cpuCores = parseQuantity(node.status?.capacity?.cpu) ?? 0;
    const memoryBytes = parseQuantity(node.status?.capacity?.memory) ?? 0;
    const key = JSON.stringify(Object.entries(labels).sort());
    const group = groups.get(key);
    groups.set(key, {
      labels,
      cpuCores: (group?.cpuCores ?? 0) + cpuCores,
      memoryBytes: (group?.memoryBytes ?? 0) + memoryBytes,
    });
  }
  return [...groups.values()];
}

export function nodeCapacitySource(connection: KubeConnection): NodeCapacitySource {
  return {
    async capacity(signal) {
      const api = await connection.get();
      if (api === undefined) return undefined;
      const nodes = settle(
        connection,
        'nodes-full',
        'node objects',
        await listNodes(api, ACCEPT_JSON, signal),
      );
      if (nodes === undefined || nodes.length === 0) return undefined;
      return capacityByNodeLabels(nodes);
    },
  };
}
