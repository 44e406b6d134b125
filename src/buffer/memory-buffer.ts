// The in-memory buffer (`buffer: memory`): nothing is written, a restart loses
// what was not sent. Bounded by count and age like the disk buffer.
import type { MetricPoint } from '../base/model.js';
import { inRanges, normalizeRanges } from './seq-ranges.js';
import {
  addDrops,
  validateBounds,
  type AckOutcome,
  type BufferBounds,
  type BufferStats,
  type BufferedPoint,
  type DropCounts,
  type DropReason,
  type ReadBatch,
  type ReadOptions,
  type SeqSpan,
  type SampleBuffer,
  type SeqRange,
} from './sample-buffer.js';

export class MemorySampleBuffer implements SampleBuffer {
  readonly kind = 'memory';
  /** Ascending seq. */
  private entries: BufferedPoint[] = [];
  private nextSeq = 1;
  private readonly droppedTotal: Partial<Record<DropReason, number>> = {};
  private currentBounds: BufferBounds;

  constructor(
    bounds: BufferBounds,
    private readonly now: () => number = Date.now,
  ) {
    validateBounds(bounds);
    this.currentBounds = bounds;
  }

  get bounds(): BufferBounds {
    return this.currentBounds;
  }

  get size(): number {
    return this.entries.length;
  }

  async setBounds(bounds: BufferBounds): Promise<{ dropped: DropCounts }> {
    validateBounds(bounds);
    this.currentBounds = bounds;
    return { dropped: this.enforceBounds() };
  }

  async append(points: readonly MetricPoint[]): Promise<{ dropped: DropCounts }> {
    for (const point of points) this.entries.push({ seq: this.nextSeq++, point });
    return { dropped: this.enforceBounds() };
  }

  private enforceBounds(): DropCounts {
    const dropped: Partial<Record<DropReason, number>> = {};
    const cutoffMs = this.now() - this.currentBounds.maxAgeMs;
    const young = this.entries.filter((entry) => entry.point.timestampMs >= cutoffMs);
    addDrops(dropped, 'age', this.entries.length - young.length);
    const overflow = Math.max(0, young.length - this.currentBounds.maxSamples);
    addDrops(dropped, 'full', overflow);
    this.entries = overflow > 0 ? young.slice(overflow) : young;
    for (const [reason, count] of Object.entries(dropped))
      addDrops(this.droppedTotal, reason as DropReason, count);
    return dropped;
  }

  async read(options: ReadOptions): Promise<ReadBatch> {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.entries[middle] as BufferedPoint).seq <= options.afterSeq) low = middle + 1;
      else high = middle;
    }
    const skip = options.skip ?? [];
    const maxPoints = Math.max(0, options.maxPoints);
    const points: BufferedPoint[] = [];
    let index = low;
    for (; index < this.entries.length && points.length < maxPoints; index++) {
      const entry = this.entries[index] as BufferedPoint;
      if (!inRanges(skip, entry.seq)) points.push(entry);
    }
    while (
      index < this.entries.length &&
      inRanges(skip, (this.entries[index] as BufferedPoint).seq)
    )
      index++;
    const last = points[points.length - 1];
    return {
      points,
      cursor: last?.seq ?? options.afterSeq,
      done: index >= this.entries.length,
    };
  }

  seqSpan(): SeqSpan | undefined {
    const first = this.entries[0];
    const last = this.entries[this.entries.length - 1];
    return first === undefined || last === undefined
      ? undefined
      : { lowest: first.seq, highest: last.seq };
  }

  async acknowledge(ranges: readonly SeqRange[], outcome: AckOutcome): Promise<void> {
    const normalized = normalizeRanges(ranges);
    if (normalized.length === 0) return;
    const before = this.entries.length;
    this.entries = this.entries.filter((entry) => !inRanges(normalized, entry.seq));
    if (outcome !== 'delivered') addDrops(this.droppedTotal, outcome, before - this.entries.length);
  }

  async countRefused(count: number): Promise<void> {
    addDrops(this.droppedTotal, 'rejected', count);
  }

  stats(): BufferStats {
    let oldest: number | undefined;
    for (const entry of this.entries)
      oldest =
        oldest === undefined ? entry.point.timestampMs : Math.min(oldest, entry.point.timestampMs);
    return {
      kind: 'memory',
      samples: this.entries.length,
      bytesOnDisk: 0,
      oldestSampleMs: oldest,
      dropped: { ...this.droppedTotal },
    };
  }

  async close(): Promise<void> {}
}
