// The one interface the agent sees for where dynamic samples wait until a
// receiver has taken them. Two implementations: on disk (durable, the default)
// and in memory (nothing written; a restart loses what was not sent).
import type { BufferedPoint, MetricPoint } from '../base/model.js';

export type { BufferedPoint } from '../base/model.js';

/** Inclusive range of seqs. Acknowledging a seq no longer held is a no-op. */
export interface SeqRange {
  readonly first: number;
  readonly last: number;
}

/**
 * Why samples left without being delivered. full/age/corrupt/unwritable are
 * decided by the buffer; rejected/oversized by the send (a final refusal).
 */
export type DropReason = 'full' | 'age' | 'corrupt' | 'unwritable' | 'rejected' | 'oversized';
export type DropCounts = Readonly<Partial<Record<DropReason, number>>>;

/** How a send releases samples: delivered ones simply leave, the others are counted as dropped. */
export type AckOutcome = 'delivered' | 'rejected' | 'oversized';

export interface ReadBatch {
  /** Oldest first (by seq), at most maxPoints. */
  readonly points: readonly BufferedPoint[];
  /** Pass back as afterSeq for the next batch: the last seq returned (afterSeq itself when none). */
  readonly cursor: number;
  /** Nothing is held after cursor (at the time of the read). */
  readonly done: boolean;
}

export interface ReadOptions {
  readonly afterSeq: number;
  readonly maxPoints: number;
  readonly skip?: readonly SeqRange[];
}

export interface SeqSpan {
  readonly lowest: number;
  readonly highest: number;
}

export interface BufferStats {
  readonly kind: 'disk' | 'memory';
  readonly samples: number;
  readonly bytesOnDisk: number;
  readonly oldestSampleMs: number | undefined;
  /** Since this process opened the buffer. */
  readonly dropped: DropCounts;
}

export interface BufferBounds {
  readonly maxSamples: number;
  /** Samples whose timestamp is older than now minus this go. */
  readonly maxAgeMs: number;
}

export interface SampleBuffer {
  readonly kind: 'disk' | 'memory';
  /**
   * Adds one tick's points; it resolves once they are durable (disk). When a
   * bound is hit the oldest go: what this call dropped, by reason.
   */
  append(points: readonly MetricPoint[]): Promise<{ readonly dropped: DropCounts }>;
  /**
   * Up to maxPoints held points with seq > afterSeq, oldest first, none of
   * them in `skip` (sorted, not overlapping: what one destination already took
   * while another has not). Memory held is bounded by maxPoints.
   */
  read(options: ReadOptions): Promise<ReadBatch>;
  /** The lowest and highest seq held, undefined when empty; a restart numbers new samples from highest + 1. */
  seqSpan(): SeqSpan | undefined;
  /** Releases the held points in these ranges (sorted, not overlapping). */
  acknowledge(ranges: readonly SeqRange[], outcome: AckOutcome): Promise<void>;
  /**
   * Counts samples a receiver refused after it took their request (OTLP's
   * partial success names how many, not which): the request is acknowledged
   * as delivered, and this says how many of it were lost.
   */
  countRefused(count: number): Promise<void>;
  /** A reload may change the bounds; tightening drops the oldest at once. */
  setBounds(bounds: BufferBounds): Promise<{ readonly dropped: DropCounts }>;
  stats(): BufferStats;
  readonly size: number;
  readonly bounds: BufferBounds;
  close(): Promise<void>;
}

export function validateBounds(bounds: BufferBounds): void {
  if (!Number.isInteger(bounds.maxSamples) || bounds.maxSamples < 1)
    throw new RangeError('buffer capacity must be a positive integer');
  if (!(bounds.maxAgeMs > 0)) throw new RangeError('buffer maximum age must be positive');
}

export function addDrops(
  into: Partial<Record<DropReason, number>>,
  reason: DropReason,
  count: number,
): void {
  if (count > 0) into[reason] = (into[reason] ?? 0) + count;
}
