// Pure: a request the receiver refused with 413 (its limit is lower than
// maxRequestBytes thought) cut in two halves, each to be sent on its own and
// split again if it is refused again. Halves by series; a request of one
// series by samples, oldest half first; a single sample cannot be cut, and is
// the only thing a 413 ever drops.
import { compress } from 'snappyjs';
import { encodeWriteRequest } from './encode.js';
import {
  splitSamples,
  type PlannedRequest,
  type RequestPlan,
  type SeriesWithAcks,
} from './plan-requests.js';

function requestOf(items: readonly SeriesWithAcks[]): PlannedRequest {
  const seqs: number[] = [];
  for (const item of items)
    for (const list of item.sampleSeqs) for (const seq of list) seqs.push(seq);
  return {
    body: compress(encodeWriteRequest(items.map((item) => item.series))),
    seqs,
    seriesCount: items.length,
    sampleCount: items.reduce((sum, item) => sum + item.series.samples.length, 0),
    items,
  };
}

export function splitRequest(request: PlannedRequest): RequestPlan {
  const { items } = request;
  if (items.length > 1) {
    const half = Math.ceil(items.length / 2);
    return {
      requests: [requestOf(items.slice(0, half)), requestOf(items.slice(half))],
      oversized: [],
    };
  }
  const only = items[0];
  if (only === undefined) return { requests: [], oversized: [] };
  if (only.series.samples.length > 1)
    return { requests: splitSamples(only, 2).map((piece) => requestOf([piece])), oversized: [] };
  return { requests: [], oversized: [{ labels: only.series.labels, seqs: request.seqs }] };
}
