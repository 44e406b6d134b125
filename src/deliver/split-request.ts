// Pure: a request the receiver refused with 413 (its limit is lower than
// maxRequestBytes thought) cut in two halves, each to be sent on its own and
// split again if it is refused again. Halves by series; a request of one
// series by samples, oldest half first; a single sample cannot be cut, and is
// the only thing a 413 ever drops.
import type { WireFormat } from './wire-format.js';
import {
  splitSamples,
  type PlannedRequest,
  type RequestPlan,
  type SeriesWithAcks,
} from './plan-requests.js';

function requestOf(items: readonly SeriesWithAcks[], format: WireFormat): PlannedRequest {
  const seqs: number[] = [];
  for (const item of items)
    for (const list of item.sampleSeqs) for (const seq of list) seqs.push(seq);
  const encoded = format.encode(items.map((item) => item.series));
  return {
    body: encoded.body,
    ...(encoded.contentEncoding === undefined ? {} : { contentEncoding: encoded.contentEncoding }),
    seqs,
    seriesCount: items.length,
    sampleCount: items.reduce((sum, item) => sum + item.series.samples.length, 0),
    items,
  };
}

export function splitRequest(request: PlannedRequest, format: WireFormat): RequestPlan {
  const { items } = request;
  if (items.length > 1) {
    const half = Math.ceil(items.length / 2);
    return {
      requests: [requestOf(items.slice(0, half), format), requestOf(items.slice(half), format)],
      oversized: [],
    };
  }
  const only = items[0];
  if (only === undefined) return { requests: [], oversized: [] };
  if (only.series.samples.length > 1)
    return {
      requests: splitSamples(only, 2).map((piece) => requestOf([piece], format)),
      oversized: [],
    };
  return { requests: [], oversized: [{ labels: only.series.labels, seqs: request.seqs }] };
}
