// Pure: turns collected points into remote-write series the receivers accept.
import {
  CLUSTER_ID_LABEL,
  DEPLOYMENT_TYPE_LABEL,
  METRIC_NAME_LABEL,
  type BufferedPoint,
  type Label,
  type MetricPoint,
  type Sample,
  type Series,
} from '../base/model.js';
import { validateSeriesLabels } from './validate-series.js';

/** A series and the buffer entries it carries, so a 2xx can acknowledge exactly those. */
export interface ReportSeries {
  readonly series: Series;
  /** Parallel to series.samples: the buffer entries each sample stands for (none for static ones). */
  readonly sampleSeqs: readonly (readonly number[])[];
}

export interface RejectedSeries {
  readonly labels: readonly Label[];
  readonly reason: string;
  readonly seqs: readonly number[];
}

export interface Report {
  readonly series: readonly ReportSeries[];
  readonly rejected: readonly RejectedSeries[];
}

export interface ReportIdentity {
  readonly clusterId: string;
  readonly deploymentType: string;
}

export function buildReport(
  staticPoints: readonly MetricPoint[],
  buffered: readonly BufferedPoint[],
  identity: ReportIdentity,
): Report {
  const groups = new Map<
    string,
    { labels: Label[]; samples: { sample: Sample; seq: number | undefined }[] }
  >();
  const add = (point: MetricPoint, seq: number | undefined) => {
    const labels = seriesLabels(point, identity);
    const key = labels.map((label) => `${label.name}\u0000${label.value}`).join('\u0001');
    let group = groups.get(key);
    if (group === undefined) {
      group = { labels, samples: [] };
      groups.set(key, group);
    }
    group.samples.push({ sample: { value: point.value, timestampMs: point.timestampMs }, seq });
  };
  for (const entry of buffered) add(entry.point, entry.seq);
  for (const point of staticPoints) add(point, undefined);

  const series: ReportSeries[] = [];
  const rejected: RejectedSeries[] = [];
  for (const group of groups.values()) {
    const seqs = group.samples.flatMap((entry) => (entry.seq === undefined ? [] : [entry.seq]));
    const problem = validateSeriesLabels(group.labels);
    if (problem !== undefined) {
      rejected.push({ labels: group.labels, reason: problem, seqs });
      continue;
    }
    const { samples, sampleSeqs } = orderSamples(group.samples);
    const badSample = samples.find(
      (sample) => !Number.isSafeInteger(sample.timestampMs) || sample.timestampMs < 0,
    );
    if (badSample !== undefined) {
      rejected.push({
        labels: group.labels,
        reason: `invalid timestamp ${badSample.timestampMs}`,
        seqs,
      });
      continue;
    }
    series.push({ series: { labels: group.labels, samples }, sampleSeqs });
  }
  return { series, rejected };
}

/** The point's labels plus __name__, _id and type, exactly once each, sorted by name. */
function seriesLabels(point: MetricPoint, identity: ReportIdentity): Label[] {
  const labels: Label[] = [
    { name: METRIC_NAME_LABEL, value: point.name },
    { name: CLUSTER_ID_LABEL, value: identity.clusterId },
    { name: DEPLOYMENT_TYPE_LABEL, value: identity.deploymentType },
  ];
  for (const [name, value] of Object.entries(point.labels)) {
    // The identity labels belong to the daemon; a collector cannot set them.
    if (name === METRIC_NAME_LABEL || name === CLUSTER_ID_LABEL || name === DEPLOYMENT_TYPE_LABEL)
      continue;
    labels.push({ name, value });
  }
  return labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Oldest first. Of two samples at the same millisecond the later one wins, as a
 * receiver keeps only one; both buffer entries are acknowledged with it.
 */
function orderSamples(entries: readonly { sample: Sample; seq: number | undefined }[]): {
  samples: Sample[];
  sampleSeqs: number[][];
} {
  const byTime = new Map<number, { sample: Sample; seqs: number[] }>();
  for (const entry of entries) {
    const slot = byTime.get(entry.sample.timestampMs);
    const seqs = slot?.seqs ?? [];
    if (entry.seq !== undefined) seqs.push(entry.seq);
    byTime.set(entry.sample.timestampMs, { sample: entry.sample, seqs });
  }
  const ordered = [...byTime.values()].sort((a, b) => a.sample.timestampMs - b.sample.timestampMs);
  return {
    samples: ordered.map((slot) => slot.sample),
    sampleSeqs: ordered.map((slot) => slot.seqs),
  };
}
