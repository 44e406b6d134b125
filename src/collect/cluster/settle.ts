// How the cluster collectors treat an API answer: a value, or one notice (said
// once, cleared when it works again) and undefined. They never throw for API trouble.
import type { Labels, MetricPoint } from '../../base/model.js';
import type { KubeConnection } from '../../kube/connection.js';
import type { ApiResult } from '../../kube/kube-api.js';

/** What to do with a result: the value, or undefined after saying what went wrong (once). */
export function settle<T>(
  connection: KubeConnection,
  key: string,
  what: string,
  result: ApiResult<T>,
): T | undefined {
  switch (result.kind) {
    case 'ok':
      connection.reachable();
      connection.notices.resolved(key, `${what} available again`);
      return result.value;
    case 'denied':
      connection.reachable();
      connection.notices.problem(
        key,
        `${what} not available (HTTP ${result.status}); its series is left out`,
        { status: result.status },
      );
      return undefined;
    case 'bad-response':
      connection.reachable();
      connection.notices.problem(key, `${what}: unreadable answer; its series is left out`, {
        reason: result.reason,
      });
      return undefined;
    case 'unreachable':
      connection.unreachable(result.reason, result.status);
      return undefined;
  }
}

export function point(
  name: string,
  labels: Labels,
  value: number,
  timestampMs: number,
): MetricPoint {
  return { name, labels, value, timestampMs };
}
