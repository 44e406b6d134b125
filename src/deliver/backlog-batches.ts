// How a send walks the backlog: batch sizes that make about one request each,
// and the newest tick, which goes with the current values, apart from the rest.
import type { BufferedPoint } from '../base/model.js';
import type { SampleBuffer } from '../buffer/sample-buffer.js';

/** Backlog points read for the first request of a send; later batches follow what the requests measured. */
export const FIRST_BATCH_POINTS = 2048;
/** However well samples compress, a batch never holds more (bounds the heap while sending). */
export const MAX_BATCH_POINTS = 16_384;
const MIN_BATCH_POINTS = 256;

/** Points that should fill about 80 % of maxRequestBytes, at the bytes per sample a request just took. */
export function nextBatchPoints(
  maxRequestBytes: number,
  bodyBytes: number,
  samples: number,
): number {
  if (samples === 0 || bodyBytes === 0) return FIRST_BATCH_POINTS;
  const fitting = Math.floor((maxRequestBytes * 0.8) / (bodyBytes / samples));
  return Math.max(MIN_BATCH_POINTS, Math.min(MAX_BATCH_POINTS, fitting));
}

/** Pure: the points of the newest timestamp (one tick shares it), apart from the rest. */
export function splitNewestTick(points: readonly BufferedPoint[]): {
  older: readonly BufferedPoint[];
  newest: readonly BufferedPoint[];
} {
  let newestMs = -Infinity;
  for (const entry of points) newestMs = Math.max(newestMs, entry.point.timestampMs);
  return {
    older: points.filter((entry) => entry.point.timestampMs !== newestMs),
    newest: points.filter((entry) => entry.point.timestampMs === newestMs),
  };
}

/**
 * The samples of the newest tick held after `afterSeq`: the rest of the
 * backlog is read through in batches (never held whole) and only the points
 * sharing the newest timestamp are kept. Undefined when nothing is held after it.
 */
export async function newestTick(
  buffer: SampleBuffer,
  afterSeq: number,
  batchPoints: number,
): Promise<{ points: BufferedPoint[] } | undefined> {
  let newest: BufferedPoint[] = [];
  let newestMs = -Infinity;
  for (let cursor = afterSeq; ;) {
    const batch = await buffer.read({ afterSeq: cursor, maxPoints: batchPoints });
    for (const entry of batch.points) {
      if (entry.point.timestampMs > newestMs) {
        newestMs = entry.point.timestampMs;
        newest = [];
      }
      if (entry.point.timestampMs === newestMs) newest.push(entry);
    }
    if (batch.done || batch.points.length === 0) break;
    cursor = batch.cursor;
  }
  return newest.length === 0 ? undefined : { points: newest };
}
