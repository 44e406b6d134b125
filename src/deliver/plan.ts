// What sending some points consists of, decided in one place for every
// command that turns points into requests (the daemon's send, `once`,
// `export`): the requests, each with the seqs a 2xx acknowledges, and the
// samples that can never go (no receiver takes their series: rejected; no
// request can hold one: oversized), with their seqs, to drop and count.
// Whoever sends or writes the requests releases exactly these.
import type { BufferedPoint, MetricPoint } from '../base/model.js';
import { buildReport, type RejectedSeries, type ReportIdentity } from '../report/build-report.js';
import { planRequests, type Oversized, type PlannedRequest } from './plan-requests.js';
import type { WireFormat } from './wire-format.js';

export interface DeliveryPlan {
  readonly requests: readonly PlannedRequest[];
  readonly rejected: readonly RejectedSeries[];
  readonly oversized: readonly Oversized[];
}

/** `staticPoints` are taken afresh (no seqs); `buffered` carry the seqs their requests acknowledge. */
export function planDelivery(
  staticPoints: readonly MetricPoint[],
  buffered: readonly BufferedPoint[],
  identity: ReportIdentity,
  maxRequestBytes: number,
  format: WireFormat,
): DeliveryPlan {
  const report = buildReport(staticPoints, buffered, identity);
  const plan = planRequests(report.series, maxRequestBytes, format);
  return { requests: plan.requests, rejected: report.rejected, oversized: plan.oversized };
}
