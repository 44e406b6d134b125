// The cluster side of the catalog. These collectors never throw for API
// trouble: a resource the API denies is left out with one warning, an API
// that does not answer costs the cluster series of this round and one warning.
import { readFile } from 'node:fs/promises';
import type { ExtraResource } from '../../config/schema.js';
import type { Labels, MetricPoint } from '../../model.js';
import type { Collector } from '../collector.js';
import type { NodeCapacity, NodeCapacitySource } from '../host/capacity.js';
import { ARCH_LABEL, INSTANCE_TYPE_LABEL, OS_ID_LABEL } from '../host/capacity.js';
import type { KubeConnection } from './connection.js';
import type { ApiResult, KubeApi } from './kube-api.js';
import { ACCEPT_JSON, ACCEPT_METADATA_ONLY, ACCEPT_TABLE, runningContainersInPods, sumPages } from './list-pages.js';
import { metricSummer } from './prometheus-text.js';
import { parseQuantity } from './quantity.js';
import { PODS, countedResources, type ResourceRef } from './resources.js';

export const RESOURCES_METRIC = 'cluster:usage:resources:sum';
export const CONTAINERS_METRIC = 'cluster:usage:containers:sum';
export const IMAGES_METRIC = 'cluster:usage:container_images:sum';
export const OBJECT_COUNTS_METRIC = 'instance:etcd_object_counts:sum';

/** How long a forbidden node proxy is left alone before it is tried again. */
export const PROXY_RETRY_MS = 3_600_000;

/** CRI-O keeps its image list here (containers-storage, overlay driver). */
export const CRIO_IMAGES_FILE = '/var/lib/containers/storage/overlay-images/images.json';

export interface ClusterCollectorOptions {
  readonly extraResources: readonly ExtraResource[];
  readonly imagesFile?: string;
}

/** What to do with a result: the value, or undefined after saying what went wrong (once). */
function settle<T>(connection: KubeConnection, key: string, what: string, result: ApiResult<T>): T | undefined {
  switch (result.kind) {
    case 'ok':
      connection.reachable();
      connection.notices.resolved(key, `${what} available again`);
      return result.value;
    case 'denied':
      connection.reachable();
      connection.notices.problem(key, `${what} not available (HTTP ${result.status}); its series is left out`, { status: result.status });
      return undefined;
    case 'bad-response':
      connection.reachable();
      connection.notices.problem(key, `${what}: unreadable answer; its series is left out`, { reason: result.reason });
      return undefined;
    case 'unreachable':
      connection.unreachable(result.reason, result.status);
      return undefined;
  }
}

function point(name: string, labels: Labels, value: number, timestampMs: number): MetricPoint {
  return { name, labels, value, timestampMs };
}

async function countResource(api: KubeApi, ref: ResourceRef, signal: AbortSignal): Promise<ApiResult<number>> {
  if (ref === PODS) {
    // A selector means no remainingItemCount: page through, as table rows with no objects.
    return sumPages(api, ref.path, { accept: ACCEPT_TABLE, fieldSelector: 'status.phase=Running', includeObject: 'None' }, signal);
  }
  return sumPages(api, ref.path, { accept: ACCEPT_METADATA_ONLY, shortcut: true }, signal);
}

export function resourceCountCollector(connection: KubeConnection, extra: readonly ExtraResource[]): Collector {
  const refs = [PODS, ...countedResources(extra)];
  return {
    name: 'cluster-resources',
    kind: 'dynamic',
    async collect({ signal, nowMs }) {
      const api = await connection.get();
      if (api === undefined) return [];
      const points: MetricPoint[] = [];
      for (const ref of refs) {
        const result = await countResource(api, ref, signal);
        if (result.kind === 'unreachable') {
          settle(connection, `resource:${ref.label}`, `resource ${ref.label}`, result);
          return []; // the rest would wait on the same dead API
        }
        const count = settle(connection, `resource:${ref.label}`, `resource ${ref.label}`, result);
        if (count !== undefined) points.push(point(RESOURCES_METRIC, { resource: ref.label }, count, nowMs));
      }
      return points;
    },
  };
}

interface NodeObject {
  metadata?: { name?: unknown; labels?: Record<string, unknown> };
  status?: { capacity?: Record<string, unknown>; images?: unknown };
}

/** Every Node, page by page: whole objects (ACCEPT_JSON) or metadata only. Nodes are few. */
async function listNodes(api: KubeApi, accept: string, signal: AbortSignal): Promise<ApiResult<NodeObject[]>> {
  const nodes: NodeObject[] = [];
  const result = await sumPages(api, '/api/v1/nodes', {
    accept,
    perPage: (body) => {
      const items = (body as { items?: unknown }).items;
      if (!Array.isArray(items)) return undefined;
      for (const item of items) if (typeof item === 'object' && item !== null) nodes.push(item as NodeObject);
      return items.length;
    },
  }, signal);
  return result.kind === 'ok' ? { kind: 'ok', value: nodes } : result;
}

/** Node names, metadata only; a name that is not a DNS name is not put in a URL path. */
async function nodeNames(api: KubeApi, signal: AbortSignal): Promise<ApiResult<string[]>> {
  const result = await listNodes(api, ACCEPT_METADATA_ONLY, signal);
  if (result.kind !== 'ok') return result;
  const names = result.value.map((node) => node.metadata?.name).filter((name): name is string => typeof name === 'string' && /^[a-z0-9.-]+$/.test(name));
  return { kind: 'ok', value: names };
}

/**
 * Running containers as each kubelet counts them, through the API server's
 * node proxy; when that is forbidden, from the Running pods' statuses.
 */
export function containerCountCollector(connection: KubeConnection): Collector {
  // After a refusal the proxy is asked again now and then: RBAC may be granted later.
  let proxyDeniedAtMs: number | undefined;
  return {
    name: 'cluster-containers',
    kind: 'dynamic',
    async collect({ signal, nowMs }) {
      const api = await connection.get();
      if (api === undefined) return [];
      if (proxyDeniedAtMs === undefined || nowMs - proxyDeniedAtMs >= PROXY_RETRY_MS) {
        const names = settle(connection, 'nodes', 'node list', await nodeNames(api, signal));
        if (names === undefined) return [];
        let total = 0;
        let proxyDenied = false;
        for (const name of names) {
          const summer = metricSummer('kubelet_running_containers', { container_state: 'running' });
          const result = await api.getLines(`/api/v1/nodes/${name}/proxy/metrics`, summer.add, signal);
          if (result.kind === 'denied') {
            proxyDenied = true;
            break;
          }
          if (settle(connection, 'containers', 'kubelet metrics', result) === undefined) return [];
          total += summer.sum;
        }
        if (!proxyDenied) {
          proxyDeniedAtMs = undefined;
          connection.notices.resolved('containers-proxy', 'node proxy to the kubelet metrics allowed again; running containers counted by the kubelets');
          return [point(CONTAINERS_METRIC, {}, total, nowMs)];
        }
        proxyDeniedAtMs = nowMs;
        connection.notices.problem(
          'containers-proxy',
          'node proxy to the kubelet metrics is forbidden; counting running containers from the pods instead, which reads whole pod objects and costs more',
        );
      }
      const fallback = await sumPages(api, PODS.path, { accept: ACCEPT_JSON, fieldSelector: 'status.phase=Running', perPage: runningContainersInPods }, signal);
      const running = settle(connection, 'containers', 'running containers from pods', fallback);
      return running === undefined ? [] : [point(CONTAINERS_METRIC, {}, running, nowMs)];
    },
  };
}

/** Objects the API server stores, from its own /metrics: megabytes, so once per send. */
export function objectCountCollector(connection: KubeConnection): Collector {
  return {
    name: 'cluster-object-counts',
    kind: 'static',
    async collect({ signal, nowMs }) {
      const api = await connection.get();
      if (api === undefined) return [];
      const summer = metricSummer('apiserver_storage_objects');
      const result = await api.getLines('/metrics', summer.add, signal);
      if (settle(connection, 'apiserver-metrics', 'API server /metrics', result) === undefined) return [];
      return summer.seen === 0 ? [] : [point(OBJECT_COUNTS_METRIC, {}, summer.sum, nowMs)];
    },
  };
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
    if (source['node.kubernetes.io/instance-type'] !== undefined) copy('node.kubernetes.io/instance-type', INSTANCE_TYPE_LABEL);
    else copy('beta.kubernetes.io/instance-type', INSTANCE_TYPE_LABEL);
    const cpuCores = parseQuantity(node.status?.capacity?.cpu) ?? 0;
    const memoryBytes = parseQuantity(node.status?.capacity?.memory) ?? 0;
    const key = JSON.stringify(Object.entries(labels).sort());
    const group = groups.get(key);
    groups.set(key, { labels, cpuCores: (group?.cpuCores ?? 0) + cpuCores, memoryBytes: (group?.memoryBytes ?? 0) + memoryBytes });
  }
  return [...groups.values()];
}

export function nodeCapacitySource(connection: KubeConnection): NodeCapacitySource {
  return {
    async capacity(signal) {
      const api = await connection.get();
      if (api === undefined) return undefined;
      const nodes = settle(connection, 'nodes-full', 'node objects', await listNodes(api, ACCEPT_JSON, signal));
      if (nodes === undefined || nodes.length === 0) return undefined;
      return capacityByNodeLabels(nodes);
    },
  };
}

/** Pure: images in CRI-O's containers-storage list. */
export function countStorageImages(json: string): number | undefined {
  try {
    const images = JSON.parse(json) as unknown;
    return Array.isArray(images) ? images.length : undefined;
  } catch {
    return undefined;
  }
}

/** Images on the node's disk: CRI-O's own list when readable, else the nodes' status.images. */
export function imageCountCollector(connection: KubeConnection, imagesFile: string = CRIO_IMAGES_FILE): Collector {
  return {
    name: 'cluster-images',
    kind: 'static',
    async collect({ signal, nowMs }) {
      const local = await readFile(imagesFile, { encoding: 'utf8', signal }).then(countStorageImages, () => undefined);
      if (local !== undefined) return [point(IMAGES_METRIC, {}, local, nowMs)];
      const api = await connection.get();
      if (api === undefined) return [];
      const nodes = settle(connection, 'nodes-full', 'node objects', await listNodes(api, ACCEPT_JSON, signal));
      if (nodes === undefined) return [];
      const images = nodes.reduce((sum, node) => sum + (Array.isArray(node.status?.images) ? node.status.images.length : 0), 0);
      return [point(IMAGES_METRIC, {}, images, nowMs)];
    },
  };
}

export function clusterCollectors(connection: KubeConnection, options: ClusterCollectorOptions): Collector[] {
  return [
    resourceCountCollector(connection, options.extraResources),
    containerCountCollector(connection),
    objectCountCollector(connection),
    imageCountCollector(connection, options.imagesFile),
  ];
}
