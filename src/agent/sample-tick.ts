// The sampling tick: the dynamic collectors, their points into the buffer, and
// one line when a buffer bound dropped the oldest. Sending is send-report.ts.
import type { Logger } from '../log.js';
import type { Collector } from '../collect/collector.js';
import { runCollectors } from '../collect/run-collectors.js';
import type { SampleBuffer } from '../buffer/sample-buffer.js';

export interface SampleDeps {
  readonly log: Logger;
  readonly collectors: readonly Collector[];
  readonly buffer: SampleBuffer;
  readonly collectTimeoutMs: number;
}

/** One sampling tick: dynamic collectors into the buffer. */
export async function sampleOnce(deps: SampleDeps, signal: AbortSignal): Promise<number> {
  const result = await runCollectors(deps.collectors, 'dynamic', { timeoutMs: deps.collectTimeoutMs, signal, log: deps.log });
  const { dropped } = await deps.buffer.append(result.points);
  const memory = process.memoryUsage();
  deps.log.debug('sampled', {
    points: result.points.length,
    timestampMs: result.points[0]?.timestampMs,
    failed: result.failed.length,
    buffered: deps.buffer.size,
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
  });
  if ((dropped.full ?? 0) > 0 || (dropped.age ?? 0) > 0) {
    // One line a tick, with the counts: the bound that was hit and how many of the oldest went.
    deps.log.warn('sample buffer bound reached; oldest samples dropped', {
      full: dropped.full,
      age: dropped.age,
      maxBufferedSamples: deps.buffer.bounds.maxSamples,
      maxBufferedAgeMs: deps.buffer.bounds.maxAgeMs,
      buffered: deps.buffer.size,
    });
  }
  return result.points.length;
}
