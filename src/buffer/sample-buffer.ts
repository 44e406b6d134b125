import type { MetricPoint } from '../model.js';

export interface BufferedPoint {
  /** Increasing with every append; a send acknowledges points by these numbers. */
  readonly seq: number;
  readonly point: MetricPoint;
}

/**
 * Where dynamic samples wait until a receiver has taken them. Kept small so
 * that a durable, on-disk implementation can stand in for the in-memory one.
 */
export interface SampleBuffer {
  /** Adds points; when full the oldest go, and how many is returned. */
  append(points: readonly MetricPoint[]): Promise<{ dropped: number }>;
  /** Everything held, oldest first. */
  pending(): Promise<readonly BufferedPoint[]>;
  /** Forgets points a receiver answered 2xx for (or rejected for good). */
  remove(seqs: ReadonlySet<number>): Promise<void>;
  readonly size: number;
  readonly capacity: number;
  readonly droppedTotal: number;
}

export class MemorySampleBuffer implements SampleBuffer {
  private entries: BufferedPoint[] = [];
  private nextSeq = 1;
  private dropped = 0;

  constructor(private limit: number) {
    MemorySampleBuffer.checkCapacity(limit);
  }

  private static checkCapacity(capacity: number): void {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('buffer capacity must be a positive integer');
  }

  get capacity(): number {
    return this.limit;
  }

  /** A reload may change maxBufferedSamples; shrinking drops the oldest. Returns how many went. */
  resize(capacity: number): number {
    MemorySampleBuffer.checkCapacity(capacity);
    this.limit = capacity;
    return this.trim();
  }

  private trim(): number {
    const overflow = Math.max(0, this.entries.length - this.limit);
    if (overflow > 0) {
      this.entries.splice(0, overflow);
      this.dropped += overflow;
    }
    return overflow;
  }

  get size(): number {
    return this.entries.length;
  }

  get droppedTotal(): number {
    return this.dropped;
  }

  async append(points: readonly MetricPoint[]): Promise<{ dropped: number }> {
    for (const point of points) this.entries.push({ seq: this.nextSeq++, point });
    return { dropped: this.trim() };
  }

  async pending(): Promise<readonly BufferedPoint[]> {
    return this.entries.slice();
  }

  async remove(seqs: ReadonlySet<number>): Promise<void> {
    if (seqs.size === 0) return;
    this.entries = this.entries.filter((entry) => !seqs.has(entry.seq));
  }
}
