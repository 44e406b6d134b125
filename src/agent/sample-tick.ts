// The sampling tick: the dynamic collectors, their points into the buffer, and
// one line when a buffer bound dropped the oldest. Sending is deliver/send-report.ts.
import type { Logger } from '../base/log.js';
import type { Collector } from '../collect/collector.js';
import { runCollectors } from '../collect/run-collectors.js';
import type { SampleBuffer } from '../buffer/sample-buffer.js';
import type { Clock } from '../base/timers.js';

export interface SampleDeps {
  readonly log: Logger;
  readonly collectors: readonly Collector[];
  readonly buffer: SampleBuffer;
  readonly collectTimeoutMs: number;
  /** The daemon's sampling grid: a tick's collectors get at most SAMPLING_SHARE of it. */
  readonly samplingIntervalMs?: number;
  /** The clock collector deadlines run on (the agent's); the system clock when absent. */
  readonly clock?: Clock;
}

/**
 * A tick never runs into the next: collectors get at most this part of the
 * sampling interval (and never more than collectTimeout), so an API that
 * takes collectTimeout to fail costs its own series, not every other tick.
 */
export const SAMPLING_SHARE = 0.8;

/** How long this tick's collectors get. */
export function tickTimeoutMs(
  deps: Pick<SampleDeps, 'collectTimeoutMs' | 'samplingIntervalMs'>,
): number {
  return deps.samplingIntervalMs === undefined
    ? deps.collectTimeoutMs
    : Math.min(deps.collectTimeoutMs, Math.floor(deps.samplingIntervalMs * SAMPLING_SHARE));
}

/** One sampling tick: dynamic collectors into the buffer. */
export async function sampleOnce(deps: SampleDeps, signal: AbortSignal): Promise<number> {
  const result = await runCollectors(deps.collectors, 'dynamic', {
    timeoutMs: tickTimeoutMs(deps),
    signal,
    log: deps.log,
    ...(deps.clock === undefined ? {} : { clock: deps.clock }),
  });
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
