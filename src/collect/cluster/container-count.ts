// cluster:usage:containers:sum — running containers as each kubelet counts
// them (node proxy), else from the Running pods' statuses.
import type { Collector } from '../collector.js';
import type { KubeConnection } from '../../kube/connection.js';
import {
  ACCEPT_JSON,
  FULL_OBJECTS_PAGE_LIMIT,
  runningContainersInPods,
  sumPages,
} from '../../kube/list-pages.js';
import { nodeNames } from './nodes.js';
import { metricSummer } from './prometheus-text.js';
import { PODS } from './resources.js';
import { point, settle } from './settle.js';

export const CONTAINERS_METRIC = 'cluster:usage:containers:sum';
const HELP = { [CONTAINERS_METRIC]: 'Running containers.' };

/** How long a forbidden node proxy is left alone before it is tried again. */
export const PROXY_RETRY_MS = 3_600_000;

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
    help: HELP,
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
          const result = await api.getLines(
            `/api/v1/nodes/${name}/proxy/metrics`,
            summer.add,
            signal,
          );
          if (result.kind === 'denied') {
            proxyDenied = true;
            break;
          }
          if (settle(connection, 'containers', 'kubelet metrics', result) === undefined) return [];
          total += summer.sum;
        }
        if (!proxyDenied) {
          proxyDeniedAtMs = undefined;
          connection.notices.resolved(
            'containers-proxy',
            'node proxy to the kubelet metrics allowed again; running containers counted by the kubelets',
          );
          return [point(CONTAINERS_METRIC, {}, total, nowMs)];
        }
        proxyDeniedAtMs = nowMs;
        connection.notices.problem(
          'containers-proxy',
          'node proxy to the kubelet metrics is forbidden; counting running containers from the pods instead, which reads whole pod objects and costs more',
        );
      }
      const fallback = await sumPages(
        api,
        PODS.path,
        {
          accept: ACCEPT_JSON,
          fieldSelector: 'status.phase=Running',
          perPage: runningContainersInPods,
          pageLimit: FULL_OBJECTS_PAGE_LIMIT,
        },
        signal,
      );
      const running = settle(connection, 'containers', 'running containers from pods', fallback);
      return running === undefined ? [] : [point(CONTAINERS_METRIC, {}, running, nowMs)];
    },
  };
}
