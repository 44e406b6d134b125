// cluster:usage:resources:sum — objects per resource, from one `limit=1`
// request each (remainingItemCount), running pods as table rows page by page.
import type { MetricPoint } from '../../base/model.js';
import type { Collector } from '../collector.js';
import type { KubeConnection } from '../../kube/connection.js';
import type { ApiResult, KubeApi } from '../../kube/kube-api.js';
import { ACCEPT_METADATA_ONLY, ACCEPT_TABLE, sumPages } from '../../kube/list-pages.js';
import { PODS, countedResources, type ExtraResource, type ResourceRef } from './resources.js';
import { point, settle } from './settle.js';

export const RESOURCES_METRIC = 'cluster:usage:resources:sum';
const HELP = { [RESOURCES_METRIC]: 'Number of Kubernetes objects by resource.' };

async function countResource(
  api: KubeApi,
  ref: ResourceRef,
  signal: AbortSignal,
): Promise<ApiResult<number>> {
  if (ref === PODS) {
    // A selector means no remainingItemCount: page through, as table rows with no objects.
    return sumPages(
      api,
      ref.path,
      { accept: ACCEPT_TABLE, fieldSelector: 'status.phase=Running', includeObject: 'None' },
      signal,
    );
  }
  return sumPages(api, ref.path, { accept: ACCEPT_METADATA_ONLY, shortcut: true }, signal);
}

export function resourceCountCollector(
  connection: KubeConnection,
  extra: readonly ExtraResource[],
): Collector {
  const refs = [PODS, ...countedResources(extra)];
  return {
    name: 'cluster-resources',
    kind: 'dynamic',
    help: HELP,
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
        if (count !== undefined)
          points.push(point(RESOURCES_METRIC, { resource: ref.label }, count, nowMs));
      }
      return points;
    },
  };
}
