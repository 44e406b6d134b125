// instance:etcd_object_counts:sum — what the API server stores, from its own /metrics.
import type { Collector } from '../collector.js';
import type { KubeConnection } from '../../kube/connection.js';
import { metricSummer } from './prometheus-text.js';
import { point, settle } from './settle.js';

export const OBJECT_COUNTS_METRIC = 'instance:etcd_object_counts:sum';
const HELP = { [OBJECT_COUNTS_METRIC]: 'Objects stored by the API server.' };

/** Objects the API server stores, from its own /metrics: megabytes, so once per send. */
export function objectCountCollector(connection: KubeConnection): Collector {
  return {
    name: 'cluster-object-counts',
    kind: 'static',
    help: HELP,
    async collect({ signal, nowMs }) {
      const api = await connection.get();
      if (api === undefined) return [];
      const summer = metricSummer('apiserver_storage_objects');
      const result = await api.getLines('/metrics', summer.add, signal);
      if (settle(connection, 'apiserver-metrics', 'API server /metrics', result) === undefined)
        return [];
      return summer.seen === 0 ? [] : [point(OBJECT_COUNTS_METRIC, {}, summer.sum, nowMs)];
    },
  };
}
