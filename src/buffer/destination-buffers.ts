// One durable buffer, several destinations, each with its own cursor: every
// destination reads every sample, and a sample leaves the buffer only when
// every destination has taken it (delivered, or refused for good) or the
// buffer's bounds drop it. Each destination sees a SampleBuffer of its own
// (a view), so one send module serves one destination or five alike.
//
// A view's cursor is the set of seqs that destination took while the buffer
// still holds them for another (cursor-files.ts keeps it durable). Written
// before the buffer forgets anything, so after a crash no destination loses a
// sample, and one that took a request gets at most that request again.
import type { Logger } from '../base/log.js';
import type { MetricPoint } from '../base/model.js';
import type { CursorState, CursorStore, SeqAnchor } from './cursor-files.js';
import { countSeqs, intersectRanges, normalizeRanges, subtractRanges } from './seq-ranges.js';
import {
  addDrops,
  type AckOutcome,
  type BufferBounds,
  type BufferStats,
  type DropCounts,
  type DropReason,
  type ReadBatch,
  type ReadOptions,
  type SampleBuffer,
  type SeqRange,
  type SeqSpan,
} from './sample-buffer.js';

export interface DestinationEntry {
  readonly name: string;
  /**
   * Where a destination without a cursor starts: `oldest`, every sample held
   * (the primary destination: before cursors existed it was the only one, and
   * the buffer held exactly what it had not taken); `now`, after what is held
   * (a destination added to the config gets the samples from then on).
   */
  readonly startsAt: 'oldest' | 'now';
}

interface Cursor {
  taken: SeqRange[];
  readonly dropped: Partial<Record<DropReason, number>>;
}

/** What a cursor counts for its destination; corrupt and unwritable stay the shared buffer's. */
function countedBefore(dropped: DropCounts): Partial<Record<DropReason, number>> {
  const counted: Partial<Record<DropReason, number>> = {};
  for (const reason of ['full', 'age', 'rejected', 'oversized'] as const)
    addDrops(counted, reason, dropped[reason] ?? 0);
  return counted;
}

/** Clipped to what the buffer holds: a restart numbers new samples from the highest held + 1. */
function clip(ranges: readonly SeqRange[], span: SeqSpan | undefined): SeqRange[] {
  return span === undefined
    ? []
    : intersectRanges(normalizeRanges(ranges), [{ first: span.lowest, last: span.highest }]);
}

export class DestinationBuffers {
  private readonly cursors = new Map<string, Cursor>();
  /** Seqs released from the shared buffer because every destination took them (not kept on disk: a restart clips cursors instead). */
  private released: SeqRange[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  /** Cursors whose last write the disk refused. */
  private readonly unsaved = new Set<string>();

  private constructor(
    /** The one buffer in dataDir; its own stats are the whole buffer's. */
    readonly shared: SampleBuffer,
    private readonly store: CursorStore,
    private readonly log: Logger,
  ) {}

  /**
   * Loads each destination's cursor (a new one starts where its entry says),
   * forgets the cursors of destinations no longer configured, and releases
   * what every destination has taken: all of it, so no crash in between loses
   * or doubles anything.
   */
  static async open(
    base: SampleBuffer,
    entries: readonly DestinationEntry[],
    store: CursorStore,
    log: Logger,
  ): Promise<DestinationBuffers> {
    const buffers = new DestinationBuffers(base, store, log);
    const stored = await store.load();
    const span = base.seqSpan();
    const changed = new Set<string>();
    for (const entry of entries) {
      let kept = stored.get(entry.name);
      if (kept !== undefined && !(await DestinationBuffers.sameNumbering(base, kept, span))) {
        // Sending that destination samples twice is better than never.
        log.warn(
          'buffer: a destination cursor is from an earlier numbering of the buffer (an older release ran, or segments were restored); that destination gets every held sample again',
          { destination: entry.name },
        );
        kept = { taken: [], dropped: kept.dropped };
        changed.add(entry.name);
      }
      if (kept === undefined) changed.add(entry.name);
      const taken =
        kept?.taken ??
        (entry.startsAt === 'now' && span !== undefined
          ? [{ first: span.lowest, last: span.highest }]
          : []);
      // The first start with cursors: the drops the buffer counted so far were the primary's (it was the only one).
      const inherited =
        kept === undefined && entry.startsAt === 'oldest'
          ? countedBefore(base.stats().dropped)
          : {};
      buffers.cursors.set(entry.name, {
        taken: clip(taken, span),
        dropped: { ...(kept?.dropped ?? inherited) },
      });
      if (kept !== undefined && countSeqs(clip(taken, span)) !== countSeqs(kept.taken))
        changed.add(entry.name);
    }
    const removed = [...stored.keys()].filter((name) => !buffers.cursors.has(name));
    for (const name of changed) await buffers.persist(name);
    const heldBefore = base.size;
    await buffers.releaseTakenByAll();
    // What leaves now only because a destination that still lacked it is gone from the config (renamed, or a
    // drop-in's list that replaced the main file's): said with its count, never silently.
    const leftWithRemoved = heldBefore - base.size;
    for (const name of removed) {
      log.warn(
        leftWithRemoved > 0
          ? 'buffer: a destination is no longer configured; the samples only it still lacked leave the buffer'
          : 'buffer: a destination is no longer configured; its cursor is removed',
        { destination: name, ...(leftWithRemoved > 0 ? { samples: leftWithRemoved } : {}) },
      );
      await store.remove(name).catch((error: unknown) =>
        log.warn('buffer: cannot remove a cursor file; it is ignored', {
          destination: name,
          reason: (error as NodeJS.ErrnoException).code ?? String(error),
        }),
      );
    }
    return buffers;
  }

  /** The view a destination's send works on. */
  view(name: string): SampleBuffer {
    if (!this.cursors.has(name)) throw new Error(`no destination named ${name}`);
    return new DestinationView(this, name);
  }

  get names(): readonly string[] {
    return [...this.cursors.keys()];
  }

  private cursor(name: string): Cursor {
    const cursor = this.cursors.get(name);
    if (cursor === undefined) throw new Error(`no destination named ${name}`);
    return cursor;
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Writes a cursor whole. A disk that refuses (full, read-only) is logged once
   * and tried again at the next change: the cursor stays right in memory, and
   * the worst a crash before a write that works can do is send that
   * destination again what it took meanwhile. Never a crash of the daemon.
   */
  private async persist(name: string): Promise<void> {
    const cursor = this.cursor(name);
    const taken = subtractRanges(cursor.taken, this.released);
    const state: CursorState = {
      taken,
      dropped: cursor.dropped,
      ...(await this.anchorOf(taken)),
    };
    try {
      await this.store.save(name, state);
      this.unsaved.delete(name);
    } catch (error) {
      if (this.unsaved.size === 0)
        this.log.warn(
          'buffer: cannot write a destination cursor; kept in memory and written at the next change',
          { destination: name, reason: (error as NodeJS.ErrnoException).code ?? String(error) },
        );
      this.unsaved.add(name);
    }
  }

  /** The highest of `taken` the buffer holds, with its sample's timestamp (one read of its segment). */
  private async anchorOf(taken: readonly SeqRange[]): Promise<{ anchor?: SeqAnchor }> {
    const highest = taken[taken.length - 1]?.last;
    if (highest === undefined) return {};
    const read = await this.shared.read({ afterSeq: highest - 1, maxPoints: 1 });
    const entry = read.points[0];
    return entry?.seq === highest
      ? { anchor: { seq: highest, timestampMs: entry.point.timestampMs } }
      : {};
  }

  /**
   * Whether a stored cursor was written against this buffer's numbering. The
   * buffer numbers its samples afresh from 1 once it is empty at a start (an
   * older release that knows no cursors sends everything, then buffers anew);
   * a cursor of the earlier numbering would then hide new samples. Within one
   * numbering a sample with a lower seq was appended earlier, so the first
   * held sample the cursor covers is no newer than its anchor (the highest
   * seq it took, and that sample's timestamp), and the anchor itself, when
   * held, is the same sample. A clock stepped back can fail this check: that
   * destination is then sent its held samples again, never fewer.
   */
  private static async sameNumbering(
    base: SampleBuffer,
    state: CursorState,
    span: SeqSpan | undefined,
  ): Promise<boolean> {
    const anchor = state.anchor;
    const first = clip(state.taken, span)[0]?.first;
    if (anchor === undefined || first === undefined) return true;
    const entry = (await base.read({ afterSeq: first - 1, maxPoints: 1 })).points[0];
    if (entry === undefined || entry.seq > anchor.seq) return true;
    return entry.seq === anchor.seq
      ? entry.point.timestampMs === anchor.timestampMs
      : entry.point.timestampMs <= anchor.timestampMs;
  }

  /** Cursors a refused write left unsaved go with the next write that works. */
  private async persistUnsaved(): Promise<void> {
    for (const name of [...this.unsaved]) await this.persist(name);
  }

  /** The seqs every destination has taken leave the shared buffer; cursors keep only what another still lacks. */
  private async releaseTakenByAll(): Promise<void> {
    let common: SeqRange[] | undefined;
    for (const cursor of this.cursors.values())
      common = common === undefined ? cursor.taken : intersectRanges(common, cursor.taken);
    const fresh = subtractRanges(common ?? [], this.released);
    if (fresh.length === 0) return;
    await this.shared.acknowledge(fresh, 'delivered');
    this.released = normalizeRanges([...this.released, ...fresh]);
  }

  /** After the shared buffer dropped its oldest (bounds): each destination lost what it had not taken. */
  private async accountBoundDrops(before: SeqSpan | undefined, dropped: DropCounts): Promise<void> {
    const total = (dropped.age ?? 0) + (dropped.full ?? 0);
    if (total === 0) return;
    const after = this.shared.seqSpan();
    // The oldest went; with nothing held before, what went was this append's, which no destination had read.
    const gone =
      before === undefined
        ? []
        : [{ first: before.lowest, last: (after?.lowest ?? before.highest + 1) - 1 }];
    for (const [name, cursor] of this.cursors) {
      const takenGone = countSeqs(
        subtractRanges(intersectRanges(cursor.taken, gone), this.released),
      );
      let owed = Math.max(0, total - takenGone);
      // The age bound is applied first, then the count.
      for (const reason of ['age', 'full'] as const) {
        const part = Math.min(owed, dropped[reason] ?? 0);
        addDrops(cursor.dropped, reason, part);
        owed -= part;
      }
      cursor.taken = clip(cursor.taken, after);
      if (takenGone < total) await this.persist(name);
    }
    this.released = clip(this.released, after);
  }

  append(points: readonly MetricPoint[]): Promise<{ readonly dropped: DropCounts }> {
    return this.exclusive(async () => {
      const before = this.shared.seqSpan();
      const result = await this.shared.append(points);
      await this.accountBoundDrops(before, result.dropped);
      return result;
    });
  }

  setBounds(bounds: BufferBounds): Promise<{ readonly dropped: DropCounts }> {
    return this.exclusive(async () => {
      const before = this.shared.seqSpan();
      const result = await this.shared.setBounds(bounds);
      await this.accountBoundDrops(before, result.dropped);
      return result;
    });
  }

  /** `name`'s unread samples: every held one it has not taken. */
  read(name: string, options: ReadOptions): Promise<ReadBatch> {
    const skip = normalizeRanges([...(options.skip ?? []), ...this.cursor(name).taken]);
    return this.shared.read({ ...options, skip });
  }

  acknowledge(name: string, ranges: readonly SeqRange[], outcome: AckOutcome): Promise<void> {
    const normalized = normalizeRanges(ranges);
    if (normalized.length === 0) return Promise.resolve();
    return this.exclusive(async () => {
      await this.persistUnsaved();
      const cursor = this.cursor(name);
      const fresh = subtractRanges(subtractRanges(normalized, cursor.taken), this.released);
      if (fresh.length === 0) return;
      // A request's ranges may span seqs not held (gone before it was read): only held ones count.
      const held = clip(fresh, this.shared.seqSpan());
      if (outcome !== 'delivered') addDrops(cursor.dropped, outcome, countSeqs(held));
      cursor.taken = normalizeRanges([...cursor.taken, ...fresh]);
      const others = [...this.cursors.entries()].filter(([other]) => other !== name);
      const leaves = others.reduce(
        (common, [, other]) => intersectRanges(common, other.taken),
        fresh,
      );
      // Durable before the buffer forgets anything on this destination's account.
      if (countSeqs(leaves) < countSeqs(fresh) || outcome !== 'delivered') await this.persist(name);
      await this.releaseTakenByAll();
    });
  }

  countRefused(name: string, count: number): Promise<void> {
    return this.exclusive(async () => {
      addDrops(this.cursor(name).dropped, 'rejected', count);
      await this.persist(name);
    });
  }

  /** Samples this destination has still to take. */
  size(name: string): number {
    const span = this.shared.seqSpan();
    const taken = countSeqs(subtractRanges(clip(this.cursor(name).taken, span), this.released));
    return Math.max(0, this.shared.size - taken);
  }

  /** What `status` shows for this destination: its own backlog and drops beside the shared buffer's. */
  async stats(name: string): Promise<BufferStats> {
    const shared = this.shared.stats();
    const cursor = this.cursor(name);
    const samples = this.size(name);
    let oldestSampleMs = shared.oldestSampleMs;
    if (samples === 0) oldestSampleMs = undefined;
    else if (cursor.taken.length > 0) {
      const first = await this.read(name, { afterSeq: 0, maxPoints: 1 });
      oldestSampleMs = first.points[0]?.point.timestampMs;
    }
    const dropped: Partial<Record<DropReason, number>> = { ...cursor.dropped };
    for (const reason of ['corrupt', 'unwritable'] as const)
      addDrops(dropped, reason, shared.dropped[reason] ?? 0);
    return { ...shared, samples, oldestSampleMs, dropped };
  }

  close(): Promise<void> {
    return this.exclusive(() => this.shared.close());
  }
}

/** One destination's SampleBuffer: appends go to the shared buffer, reads and acknowledgements through its cursor. */
class DestinationView implements SampleBuffer {
  constructor(
    private readonly buffers: DestinationBuffers,
    private readonly name: string,
  ) {}
  get kind(): 'disk' | 'memory' {
    return this.buffers.shared.kind;
  }
  get size(): number {
    return this.buffers.size(this.name);
  }
  get bounds(): BufferBounds {
    return this.buffers.shared.bounds;
  }
  append(points: readonly MetricPoint[]) {
    return this.buffers.append(points);
  }
  read(options: ReadOptions) {
    return this.buffers.read(this.name, options);
  }
  acknowledge(ranges: readonly SeqRange[], outcome: AckOutcome) {
    return this.buffers.acknowledge(this.name, ranges, outcome);
  }
  setBounds(bounds: BufferBounds) {
    return this.buffers.setBounds(bounds);
  }
  countRefused(count: number) {
    return this.buffers.countRefused(this.name, count);
  }
  seqSpan() {
    return this.buffers.shared.seqSpan();
  }
  stats(): BufferStats {
    // Synchronous for the interface: the shared buffer's oldest; status asks DestinationBuffers.stats for the exact one.
    const shared = this.buffers.shared.stats();
    return { ...shared, samples: this.size };
  }
  close() {
    return this.buffers.close();
  }
}
