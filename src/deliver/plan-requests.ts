// Pure: cuts a report into request bodies that each stay under the receiver's
// size limit once encoded and compressed (telemeter answers 413 at 128 KiB),
// whatever the protocol: the wire format (wire-format.ts) encodes.
import type { Label, Series } from '../base/model.js';
import type { WireFormat } from './wire-format.js';

export interface SeriesWithAcks {
  readonly series: Series;
  /** For each sample, the opaque numbers handed back with the request that carries it. */
  readonly sampleSeqs: readonly (readonly number[])[];
}

export interface PlannedRequest {
  /** The protocol's body: snappy of a WriteRequest, or an ExportMetricsServiceRequest (gzip when smaller). */
  readonly body: Uint8Array;
  /** Content-Encoding when the body's varies by request (OTLP's gzip); remote-write's is always snappy. */
  readonly contentEncoding?: string;
  readonly seqs: readonly number[];
  readonly seriesCount: number;
  readonly sampleCount: number;
  /** What the body holds, so a request refused with 413 can be cut in two (split-request.ts). */
  readonly items: readonly SeriesWithAcks[];
}

export interface Oversized {
  readonly labels: readonly Label[];
  readonly seqs: readonly number[];
}

export interface RequestPlan {
  readonly requests: readonly PlannedRequest[];
  /** A single sample whose labels alone exceed the limit: it can never be sent. */
  readonly oversized: readonly Oversized[];
}

export function planRequests(
  items: readonly SeriesWithAcks[],
  maxBodyBytes: number,
  format: WireFormat,
): RequestPlan {
  const requests: PlannedRequest[] = [];
  const oversized: Oversized[] = [];
  // Start from the assumption that nothing compresses, then learn the real ratio.
  let ratio = 1;
  const emit = (group: readonly SeriesWithAcks[]): void => {
    if (group.length === 0) return;
    const encoded = format.encode(group.map((item) => item.series));
    const body = encoded.body;
    if (body.length < maxBodyBytes) {
      ratio = Math.max(0.05, body.length / encoded.rawBytes);
      requests.push({
        body,
        ...(encoded.contentEncoding === undefined
          ? {}
          : { contentEncoding: encoded.contentEncoding }),
        seqs: collectSeqs(group),
        seriesCount: group.length,
        sampleCount: group.reduce((sum, item) => sum + item.series.samples.length, 0),
        items: group,
      });
      return;
    }
    if (group.length > 1) {
      const half = Math.ceil(group.length / 2);
      emit(group.slice(0, half));
      emit(group.slice(half));
      return;
    }
    const only = group[0] as SeriesWithAcks;
    if (only.series.samples.length > 1) {
      for (const piece of splitSamples(only, 2)) emit([piece]);
      return;
    }
    oversized.push({ labels: only.series.labels, seqs: collectSeqs([only]) });
  };

  let group: SeriesWithAcks[] = [];
  let groupBytes = 0;
  for (const item of items) {
    const budget = (maxBodyBytes * 0.9) / ratio;
    const size = format.estimatedSeriesSize(item.series);
    if (size > budget) {
      // A long series (days of buffered samples) goes out in pieces, oldest first.
      emit(group);
      group = [];
      groupBytes = 0;
      const pieces = Math.ceil(size / budget);
      for (const piece of splitSamples(item, pieces)) emit([piece]);
      continue;
    }
    if (groupBytes + size > budget) {
      emit(group);
      group = [];
      groupBytes = 0;
    }
    group.push(item);
    groupBytes += size;
  }
  emit(group);
  return { requests, oversized };
}

function collectSeqs(group: readonly SeriesWithAcks[]): number[] {
  const seqs: number[] = [];
  for (const item of group)
    for (const list of item.sampleSeqs) for (const seq of list) seqs.push(seq);
  return seqs;
}

/** Splits one series' samples into consecutive runs, each with its own samples' seqs. */
export function splitSamples(item: SeriesWithAcks, pieces: number): SeriesWithAcks[] {
  const samples = item.series.samples;
  const perPiece = Math.ceil(samples.length / pieces);
  const out: SeriesWithAcks[] = [];
  for (let start = 0; start < samples.length; start += perPiece) {
    const end = Math.min(samples.length, start + perPiece);
    out.push({
      series: { labels: item.series.labels, samples: samples.slice(start, end) },
      sampleSeqs: item.sampleSeqs.slice(start, end),
    });
  }
  return out;
}
