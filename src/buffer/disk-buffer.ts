// The durable buffer (the default): append-only segment files in
// dataDir/buffer, one fdatasync per sampling tick, acknowledged samples removed
// by atomic rewrites (temporary file, fsync, rename, fsync of the directory).
// Only a small index of each segment stays in memory, so the heap does not grow
// with the backlog; reads decode one segment at a time.
import { makeDirectories, type OpenFile } from '../base/fs-async.js';
import type { Logger } from '../base/log.js';
import type { ReplaceHooks } from '../base/durable-file.js';
import { SegmentFiles, errorCode, writeAll } from './segment-files.js';
import type { MetricPoint } from '../base/model.js';
import {
  RecordSink,
  SAMPLES_PER_RECORD,
  encodeSamplesRecord,
  encodeSeriesRecord,
  segmentHeader,
  seriesKey,
  toPoint,
  type EncodedSample,
  type SeriesDef,
} from './segment-format.js';
import { scanSegment, type SegmentSummary, type SkippedBytes } from './segment-scan.js';
import { coversAll, inRanges, normalizeRanges, overlaps, seqsAsRanges } from './seq-ranges.js';
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

export const BUFFER_SUBDIR = 'buffer';
/**
 * Ticks the disk refused (ENOSPC, EIO, a read-only remount) are held in
 * memory, written with the next tick the disk takes, and read and sent like
 * the rest meanwhile; past this many samples the oldest of them go
 * (`unwritable`), so a disk gone for weeks costs bounded memory (~2 MB).
 */
export const MAX_UNWRITTEN_SAMPLES = 10_000;
export const DEFAULT_SEGMENT_MAX_SAMPLES = 4096;

/** Test seams around the one rename that makes a compaction visible (to take crash images there). */
export type CompactionHooks = ReplaceHooks;

export interface DiskBufferOptions {
  /** The directory that holds the segments (dataDir/buffer). */
  readonly dir: string;
  readonly bounds: BufferBounds;
  readonly log: Logger;
  /** Wall clock for the age bound. */
  readonly now?: () => number;
  /** A segment is closed for appends once it holds this many samples. */
  readonly segmentMaxSamples?: number;
  readonly hooks?: CompactionHooks;
}

interface Segment {
  readonly name: string;
  /** Samples held (not counting `pending`). */
  count: number;
  /**
   * Seqs already acknowledged (delivered or dropped) whose removal from the
   * file failed (ENOSPC, EIO, a read-only remount): never read again while
   * the daemon runs, and removed from the file by the next compaction that
   * works. After a restart they would be sent again (remote-write receivers
   * take a sample twice).
   */
  pending?: SeqRange[];
  firstSeq: number;
  lastSeq: number;
  minTimestampMs: number;
  maxTimestampMs: number;
  bytes: number;
}

interface Active {
  readonly segment: Segment;
  readonly handle: OpenFile;
  /** The segment's series dictionary: key to ref. */
  readonly refs: Map<string, number>;
}

/**
 * A segment's series dictionary as read back: usable to append to only when
 * its refs are 0…n−1, one per key, as appends number them (the next is n).
 */
class SeriesDictionary {
  private readonly byKey = new Map<string, number>();
  private defined = 0;
  private maxRef = -1;

  readonly add = (def: SeriesDef): void => {
    this.byKey.set(seriesKey(def.name, def.labels), def.ref);
    this.defined++;
    this.maxRef = Math.max(this.maxRef, def.ref);
  };

  refs(): Map<string, number> | undefined {
    return this.byKey.size === this.defined && this.maxRef === this.defined - 1
      ? this.byKey
      : undefined;
  }
}

/** The samples a segment's damage cost: its skipped stretches', and those whose series definition was in one. */
function lostIn(summary: SegmentSummary): number {
  return (
    summary.skipped.reduce((sum: number, entry: SkippedBytes) => sum + entry.samplesLost, 0) +
    summary.orphaned
  );
}

/** A whole segment file of `kept` (seq ascending): each series defined once, one record per tick, as appends write them. */
function encodeSegment(
  kept: readonly { readonly sample: EncodedSample; readonly def: SeriesDef }[],
): Buffer {
  const sink = new RecordSink();
  const refs = new Map<SeriesDef, number>();
  const samples: EncodedSample[] = [];
  for (const { sample, def } of kept) {
    let ref = refs.get(def);
    if (ref === undefined) {
      ref = refs.size;
      refs.set(def, ref);
      encodeSeriesRecord(sink, { ref, name: def.name, labels: def.labels });
    }
    // One record per tick: a record's samples share its timestamp for free.
    const first = samples[0];
    if (
      first !== undefined &&
      (first.timestampMs !== sample.timestampMs || samples.length === SAMPLES_PER_RECORD)
    ) {
      encodeSamplesRecord(sink, samples.splice(0));
    }
    samples.push({ ...sample, ref });
  }
  if (samples.length > 0) encodeSamplesRecord(sink, samples);
  return Buffer.concat([segmentHeader(), sink.bytes()]);
}

function summaryToSegment(name: string, summary: SegmentSummary): Segment {
  return {
    name,
    count: summary.count,
    firstSeq: summary.firstSeq,
    lastSeq: summary.lastSeq,
    minTimestampMs: summary.minTimestampMs,
    maxTimestampMs: summary.maxTimestampMs,
    bytes: summary.goodBytes,
  };
}

export class DiskSampleBuffer implements SampleBuffer {
  readonly kind = 'disk';
  private readonly segments: Segment[] = [];
  private active: Active | undefined;
  private nextSeq = 1;
  private held = 0;
  private readonly droppedTotal: Partial<Record<DropReason, number>> = {};
  /** droppedTotal changed since it was last written to the drop counts file. */
  private dropsChanged = false;
  /** Ticks not on disk yet (the disk refused them), oldest first; newer than every segment's. */
  private unwritten: BufferedPoint[] = [];
  private currentBounds: BufferBounds;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;
  private readonly segmentMaxSamples: number;
  private closed = false;
  private readonly files: SegmentFiles;

  private constructor(private readonly options: DiskBufferOptions) {
    validateBounds(options.bounds);
    this.currentBounds = options.bounds;
    this.now = options.now ?? Date.now;
    this.segmentMaxSamples = options.segmentMaxSamples ?? DEFAULT_SEGMENT_MAX_SAMPLES;
    this.files = new SegmentFiles(options.dir, options.log, this.now, options.hooks);
  }

  /**
   * Reads back what a previous run left. A torn or corrupt tail is cut at the
   * last good record, a file that is not a segment is renamed aside; both are
   * logged and neither is an error. Throws only when the directory itself
   * cannot be created or listed (the caller reports that as a config error).
   */
  static async open(options: DiskBufferOptions): Promise<DiskSampleBuffer> {
    const buffer = new DiskSampleBuffer(options);
    await makeDirectories(options.dir, 0o700);
    await buffer.restore();
    return buffer;
  }

  get bounds(): BufferBounds {
    return this.currentBounds;
  }

  get size(): number {
    return this.held;
  }

  private get dir(): string {
    return this.options.dir;
  }

  private get log(): Logger {
    return this.options.log;
  }

  /** One operation at a time: a send's reads and acknowledgements interleave with sampling ticks. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      if (this.closed) throw new Error('buffer closed');
      try {
        return await work();
      } finally {
        await this.persistDrops();
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private countDrops(reason: DropReason, count: number): void {
    if (count <= 0) return;
    addDrops(this.droppedTotal, reason, count);
    this.dropsChanged = true;
  }

  /** The counts as of the last run; a file that is not ours is ignored, with one line. */
  /** Written whole and durably when the counts changed; a failure (a full disk) is logged and tried again at the next change. */
  private async persistDrops(): Promise<void> {
    if (!this.dropsChanged) return;
    this.dropsChanged = false;
    try {
      await this.files.writeDropCounts(this.droppedTotal);
    } catch (error) {
      this.dropsChanged = true;
      this.log.warn('buffer: cannot write the drop counts; status shows them until a restart', {
        reason: errorCode(error),
      });
    }
  }

  private async restore(): Promise<void> {
    for (const [reason, count] of Object.entries(await this.files.readDropCounts()))
      addDrops(this.droppedTotal, reason as DropReason, count);
    const lost: Partial<Record<DropReason, number>> = {};
    const names = await this.files.segmentNames();
    const last = names[names.length - 1];
    /** The last segment, whole and with room, and its series dictionary: appends carry on in it (resumeLast). */
    let resumable: Omit<Active, 'handle'> | undefined;
    for (const name of names) {
      const read = await this.files.read(name);
      if (read.kind === 'unreadable') {
        await this.files.setAside(name, read.reason);
        continue;
      }
      const dictionary = name === last ? new SeriesDictionary() : undefined;
      const scan = scanSegment(read.bytes, undefined, dictionary?.add);
      if (scan.kind === 'foreign') {
        await this.files.setAside(name, scan.reason);
        continue;
      }
      let summary = scan.summary;
      if (summary.skipped.length > 0) {
        summary = (await this.dropDamage(name, read.bytes, summary)) ?? summary;
        addDrops(lost, 'corrupt', lostIn(scan.summary));
      }
      if (summary.cut !== undefined) {
        await this.cutTail(name, summary);
        addDrops(lost, 'corrupt', summary.cut.samplesLost);
      }
      const previous = this.segments[this.segments.length - 1];
      if (summary.count === 0) {
        await this.files.remove(name).catch(() => undefined);
        continue;
      }
      if (previous !== undefined && summary.firstSeq <= previous.lastSeq) {
        await this.files.setAside(name, 'its samples overlap an earlier segment');
        addDrops(lost, 'corrupt', summary.count);
        continue;
      }
      const segment = summaryToSegment(name, summary);
      this.segments.push(segment);
      this.held += summary.count;
      const refs = dictionary?.refs();
      if (
        refs !== undefined &&
        summary.cut === undefined &&
        summary.skipped.length === 0 &&
        summary.orphaned === 0 &&
        summary.goodBytes === read.bytes.length &&
        summary.count < this.segmentMaxSamples
      )
        resumable = { segment, refs };
    }
    this.nextSeq = (this.segments[this.segments.length - 1]?.lastSeq ?? 0) + 1;
    await this.files.syncDirectory();
    for (const [reason, count] of Object.entries(lost))
      this.countDrops(reason as DropReason, count);
    if (resumable !== undefined) await this.resumeLast(resumable);
    const dropped = await this.enforceBounds();
    if (Object.keys(dropped).length > 0)
      this.log.warn('buffer: samples older or more than the bounds allow dropped at start', {
        ...dropped,
      });
    await this.persistDrops();
  }

  /**
   * Appends carry on in the last segment, as they would have had the process
   * not ended. A daemon that exits between ticks starts a process for every
   * tick; each one opening a segment of its own would leave a file per tick
   * (24 a day at the defaults while a backend is down, 1,440 at 1m), all of
   * them read again at every start. Only a segment the scan found whole: a
   * damaged one is left as it is, and appends go to a new one, as before.
   */
  private async resumeLast({ segment, refs }: Omit<Active, 'handle'>): Promise<void> {
    try {
      const { handle, size } = await this.files.reopen(segment.name);
      if (size !== segment.bytes) {
        await handle.close().catch(() => undefined);
        return;
      }
      this.active = { segment, handle, refs };
    } catch (error) {
      this.log.debug('buffer: cannot reopen the last segment; appends go to a new one', {
        file: segment.name,
        reason: errorCode(error),
      });
    }
  }

  private async cutTail(name: string, summary: SegmentSummary): Promise<void> {
    const cut = summary.cut;
    if (cut === undefined) return;
    try {
      await this.files.truncate(name, summary.goodBytes);
    } catch (error) {
      this.log.error('buffer: cannot cut a corrupt tail; the segment is read up to it', {
        file: name,
        reason: errorCode(error),
      });
    }
    this.log.warn('buffer: torn or corrupt tail cut at the last good record', {
      file: name,
      offset: summary.goodBytes,
      bytesCut: cut.bytes,
      samplesKept: summary.count,
      samplesLost: cut.samplesLost,
      reason: cut.reason,
    });
  }

  /**
   * A segment with damaged records and good ones after them: a copy of the
   * file as found goes aside for the admin (.corrupt, the last few kept),
   * and the segment is rewritten with its good records only, so the damage
   * is counted once, not at every start. Returns the rewritten segment's
   * summary, or undefined when it could not be rewritten (it is then read
   * past the damage each time, and the loss counted again at the next start).
   */
  private async dropDamage(
    name: string,
    bytes: Buffer,
    summary: SegmentSummary,
  ): Promise<SegmentSummary | undefined> {
    const aside = await this.files.copyAside(name);
    const good: { sample: EncodedSample; def: SeriesDef }[] = [];
    scanSegment(bytes, (sample, def) => good.push({ sample, def }));
    const rewritten = encodeSegment(good);
    const fields = {
      file: name,
      damaged: summary.skipped
        .map((entry) => `${entry.bytes} bytes at ${entry.offset} (${entry.reason})`)
        .join('; '),
      samplesLost: lostIn(summary),
      samplesKept: summary.count,
      copy: aside,
    };
    try {
      await this.files.replace(name, rewritten);
    } catch (error) {
      this.log.error(
        'buffer: corrupt records skipped, the records after them kept; the segment could not be rewritten',
        {
          ...fields,
          reason: errorCode(error),
        },
      );
      return undefined;
    }
    this.log.warn(
      'buffer: corrupt records skipped and dropped; the records after them are kept',
      fields,
    );
    const rescan = scanSegment(rewritten);
    if (rescan.kind !== 'ok') throw new Error('a rewritten segment does not scan'); // a bug, not an I/O condition
    return { ...rescan.summary, cut: summary.cut, skipped: [], orphaned: 0 };
  }

  async append(points: readonly MetricPoint[]): Promise<{ dropped: DropCounts }> {
    return this.exclusive(async () => {
      const dropped: Partial<Record<DropReason, number>> = {};
      const entries = points.map((point, index) => ({ seq: this.nextSeq + index, point }));
      this.nextSeq += entries.length;
      this.held += entries.length;
      const waiting = [...this.unwritten, ...entries];
      if (waiting.length > 0 && (await this.write(waiting))) {
        if (this.unwritten.length > 0)
          this.log.info(
            'buffer: the disk takes writes again; the samples held in memory are written',
            { samples: this.unwritten.length },
          );
        this.unwritten = [];
      } else if (entries.length > 0) {
        if (this.unwritten.length === 0)
          this.log.error(
            'buffer: the disk refuses writes; new samples are held in memory until it takes them',
            { max: MAX_UNWRITTEN_SAMPLES },
          );
        this.unwritten.push(...entries);
        const over = this.unwritten.length - MAX_UNWRITTEN_SAMPLES;
        if (over > 0) {
          this.unwritten.splice(0, over);
          this.held -= over;
          addDrops(dropped, 'unwritable', over);
          this.countDrops('unwritable', over);
        }
      }
      return { dropped: { ...dropped, ...(await this.enforceBounds()) } };
    });
  }

  private async createSegment(firstSeq: number): Promise<Active> {
    const header = segmentHeader();
    const { name, handle } = await this.files.create(firstSeq, header);
    const segment: Segment = {
      name,
      count: 0,
      firstSeq: 0,
      lastSeq: 0,
      minTimestampMs: Infinity,
      maxTimestampMs: -Infinity,
      bytes: header.length,
    };
    this.segments.push(segment);
    return { segment, handle, refs: new Map() };
  }

  /** Appends one tick as one record and makes it durable; false when it could not be. */
  /** Appends `entries` (seqs ascending, after every segment's) to the active segment, durably; false when the disk refused. */
  private async write(entries: readonly BufferedPoint[]): Promise<boolean> {
    let active = this.active;
    try {
      active ??= this.active = await this.createSegment((entries[0] as BufferedPoint).seq);
    } catch (error) {
      this.log.debug('buffer: cannot create a segment file', {
        dir: this.dir,
        reason: errorCode(error),
        samples: entries.length,
      });
      return false;
    }
    const sink = new RecordSink();
    const added = new Map<string, number>();
    const samples: EncodedSample[] = entries.map(({ seq, point }) => {
      const key = seriesKey(point.name, point.labels);
      let ref = active.refs.get(key) ?? added.get(key);
      if (ref === undefined) {
        ref = active.refs.size + added.size;
        added.set(key, ref);
        encodeSeriesRecord(sink, { ref, name: point.name, labels: point.labels });
      }
      return { seq, ref, timestampMs: point.timestampMs, value: point.value };
    });
    // One record per tick (ticks held in memory are written together): a record's samples share its timestamp.
    for (let start = 0; start < samples.length;) {
      let end = start + 1;
      while (
        end < samples.length &&
        end - start < SAMPLES_PER_RECORD &&
        samples[end]?.timestampMs === samples[start]?.timestampMs
      )
        end++;
      encodeSamplesRecord(sink, samples.slice(start, end));
      start = end;
    }
    const bytes = sink.bytes();
    const segment = active.segment;
    try {
      await writeAll(active.handle, bytes, segment.bytes);
      await active.handle.datasync();
    } catch (error) {
      this.log.debug('buffer: write failed', {
        file: segment.name,
        reason: errorCode(error),
        samples: entries.length,
      });
      try {
        await active.handle.truncate(segment.bytes);
      } catch {
        // The tail stays torn; readers stop at it and the next start cuts it. Appends go to a new segment.
        await this.retireActive();
      }
      return false;
    }
    for (const [key, ref] of added) active.refs.set(key, ref);
    if (segment.count === 0) segment.firstSeq = (samples[0] as EncodedSample).seq;
    segment.count += samples.length;
    segment.lastSeq = (samples[samples.length - 1] as EncodedSample).seq;
    segment.bytes += bytes.length;
    for (const sample of samples) {
      segment.minTimestampMs = Math.min(segment.minTimestampMs, sample.timestampMs);
      segment.maxTimestampMs = Math.max(segment.maxTimestampMs, sample.timestampMs);
    }
    if (segment.count >= this.segmentMaxSamples) await this.retireActive();
    return true;
  }

  private async retireActive(): Promise<void> {
    const active = this.active;
    this.active = undefined;
    await active?.handle.close().catch(() => undefined);
  }

  private async enforceBounds(): Promise<DropCounts> {
    const dropped: Partial<Record<DropReason, number>> = {};
    const cutoffMs = this.now() - this.currentBounds.maxAgeMs;
    for (const segment of [...this.segments]) {
      if (segment.count === 0 || segment.minTimestampMs >= cutoffMs) continue;
      const removed =
        segment.maxTimestampMs < cutoffMs
          ? await this.removeSegment(segment)
          : await this.rewrite(segment, (sample) => sample.timestampMs >= cutoffMs);
      addDrops(dropped, 'age', removed);
    }
    let excess = this.held - this.currentBounds.maxSamples;
    while (excess > 0) {
      const oldest = this.segments.find((segment) => segment.count > 0);
      if (oldest === undefined) break;
      const drop = excess;
      const removed =
        oldest.count <= drop
          ? await this.removeSegment(oldest)
          : await this.rewrite(oldest, (_sample, index) => index >= drop);
      if (removed === 0) break; // an I/O error was logged; try again next tick
      addDrops(dropped, 'full', removed);
      excess -= removed;
    }
    for (const [reason, count] of Object.entries(dropped))
      this.countDrops(reason as DropReason, count);
    return dropped;
  }

  private async removeSegment(segment: Segment): Promise<number> {
    if (this.active?.segment === segment) await this.retireActive();
    try {
      await this.files.remove(segment.name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        // Kept on disk, gone for this run: nothing in it is read (or sent) again; removed at a later acknowledgement.
        const removed = segment.count;
        segment.pending = [{ first: segment.firstSeq, last: segment.lastSeq }];
        segment.count = 0;
        this.held -= removed;
        this.log.error(
          'buffer: cannot remove a segment; its samples are skipped and the file removed later',
          { file: segment.name, reason: errorCode(error) },
        );
        return removed;
      }
    }
    this.forget(segment);
    return segment.count;
  }

  /** Tries again what failed to leave the files: segments emptied, compactions owed. */
  private async flushPending(): Promise<void> {
    for (const segment of [...this.segments]) {
      if (segment.pending === undefined) continue;
      if (segment.count === 0) {
        await this.files.remove(segment.name).then(
          () => this.segments.splice(this.segments.indexOf(segment), 1),
          () => undefined,
        );
      } else await this.rewrite(segment, () => true);
    }
  }

  /** A segment that can no longer be read back: set aside for the admin, its samples counted as lost. */
  private async loseUnreadable(segment: Segment, reason: string): Promise<void> {
    this.log.error('buffer: cannot read a segment back; its samples are lost', {
      file: segment.name,
      reason,
      samples: segment.count,
    });
    if (this.active?.segment === segment) await this.retireActive();
    await this.files.setAside(segment.name, reason);
    this.countDrops('corrupt', segment.count);
    this.forget(segment);
  }

  private forget(segment: Segment): void {
    const index = this.segments.indexOf(segment);
    if (index >= 0) this.segments.splice(index, 1);
    this.held -= segment.count;
  }

  /**
   * Rewrites a segment with only the samples `keep` accepts (index: position
   * in seq order), atomically. Returns how many samples left.
   */
  private async rewrite(
    segment: Segment,
    keep: (sample: EncodedSample, index: number) => boolean,
  ): Promise<number> {
    const read = await this.files.read(segment.name);
    if (read.kind === 'unreadable') {
      await this.loseUnreadable(segment, read.reason);
      return 0;
    }
    const kept: { sample: EncodedSample; def: SeriesDef }[] = [];
    const leaving: number[] = [];
    const pending = segment.pending ?? [];
    let index = 0;
    scanSegment(read.bytes, (sample, def) => {
      if (inRanges(pending, sample.seq)) return;
      if (keep(sample, index++)) kept.push({ sample, def });
      else leaving.push(sample.seq);
    });
    // Samples past a torn tail (an earlier failed write) are gone too.
    const removed = segment.count - kept.length;
    if (kept.length === 0) return (await this.removeSegment(segment)) === 0 ? 0 : removed;
    const bytes = encodeSegment(kept);
    if (this.active?.segment === segment) await this.retireActive(); // its next append opens a new segment
    try {
      await this.files.replace(segment.name, bytes);
    } catch (error) {
      // The file keeps them; this run never reads them again, so nothing delivered is sent twice.
      segment.pending = normalizeRanges([...pending, ...seqsAsRanges(leaving)]);
      segment.count -= removed;
      this.held -= removed;
      this.log.error(
        'buffer: compaction failed; the samples it was to remove are skipped until a compaction works',
        {
          file: segment.name,
          reason: errorCode(error),
          samples: removed,
        },
      );
      return removed;
    }
    const rescan = scanSegment(bytes);
    if (rescan.kind !== 'ok') throw new Error('a rewritten segment does not scan'); // a bug, not an I/O condition
    Object.assign(segment, summaryToSegment(segment.name, rescan.summary), { pending: undefined });
    this.held -= removed;
    return removed;
  }

  async read(options: ReadOptions): Promise<ReadBatch> {
    return this.exclusive(async () => {
      const points: BufferedPoint[] = [];
      const maxPoints = Math.max(0, options.maxPoints);
      const skip = options.skip ?? [];
      // A segment holds nothing to read when its seqs after `after` are all skipped (or none are left).
      const unread = (segment: Segment, after: number) =>
        segment.count > 0 &&
        segment.lastSeq > after &&
        !coversAll(skip, Math.max(segment.firstSeq, after + 1), segment.lastSeq);
      for (const segment of [...this.segments]) {
        if (points.length >= maxPoints) break;
        if (!unread(segment, options.afterSeq)) continue;
        const read = await this.files.read(segment.name);
        if (read.kind === 'unreadable') {
          await this.loseUnreadable(segment, read.reason);
          continue;
        }
        const pending = segment.pending ?? [];
        scanSegment(read.bytes, (sample, def) => {
          if (
            sample.seq > options.afterSeq &&
            points.length < maxPoints &&
            !inRanges(pending, sample.seq) &&
            !inRanges(skip, sample.seq)
          )
            points.push({ seq: sample.seq, point: toPoint(def, sample) });
        });
      }
      for (const entry of this.unwritten)
        if (entry.seq > options.afterSeq && points.length < maxPoints && !inRanges(skip, entry.seq))
          points.push(entry);
      const cursor = points[points.length - 1]?.seq ?? options.afterSeq;
      const done =
        !this.segments.some((segment) => unread(segment, cursor)) &&
        !this.unwritten.some((entry) => entry.seq > cursor && !inRanges(skip, entry.seq));
      return { points, cursor, done };
    });
  }

  seqSpan(): SeqSpan | undefined {
    let lowest: number | undefined;
    let highest: number | undefined;
    for (const segment of this.segments) {
      if (segment.count === 0) continue;
      lowest ??= segment.firstSeq;
      highest = segment.lastSeq;
    }
    for (const entry of this.unwritten) {
      lowest = Math.min(lowest ?? entry.seq, entry.seq);
      highest = Math.max(highest ?? entry.seq, entry.seq);
    }
    return lowest === undefined || highest === undefined ? undefined : { lowest, highest };
  }

  async acknowledge(ranges: readonly SeqRange[], outcome: AckOutcome): Promise<void> {
    const normalized = normalizeRanges(ranges);
    if (normalized.length === 0) return;
    await this.exclusive(async () => {
      await this.flushPending();
      let removed = 0;
      for (const segment of [...this.segments]) {
        if (segment.count === 0 || !overlaps(normalized, segment.firstSeq, segment.lastSeq))
          continue;
        removed += coversAll(normalized, segment.firstSeq, segment.lastSeq)
          ? await this.removeSegment(segment)
          : await this.rewrite(segment, (sample) => !inRanges(normalized, sample.seq));
      }
      const unwritten = this.unwritten.length;
      this.unwritten = this.unwritten.filter((entry) => !inRanges(normalized, entry.seq));
      removed += unwritten - this.unwritten.length;
      this.held -= unwritten - this.unwritten.length;
      if (outcome !== 'delivered') this.countDrops(outcome, removed);
    });
  }

  async countRefused(count: number): Promise<void> {
    // exclusive writes the changed counts when the work is done.
    await this.exclusive(async () => this.countDrops('rejected', count));
  }

  async setBounds(bounds: BufferBounds): Promise<{ dropped: DropCounts }> {
    validateBounds(bounds);
    return this.exclusive(async () => {
      this.currentBounds = bounds;
      return { dropped: await this.enforceBounds() };
    });
  }

  stats(): BufferStats {
    let oldest: number | undefined;
    let bytes = 0;
    for (const segment of this.segments) {
      bytes += segment.bytes;
      if (segment.count > 0) oldest = Math.min(oldest ?? Infinity, segment.minTimestampMs);
    }
    for (const entry of this.unwritten)
      oldest = Math.min(oldest ?? Infinity, entry.point.timestampMs);
    return {
      kind: 'disk',
      samples: this.held,
      bytesOnDisk: bytes,
      oldestSampleMs: oldest,
      dropped: { ...this.droppedTotal },
    };
  }

  /** Closes the append file after what is queued (one last try to write what is held in memory); later calls fail. */
  async close(): Promise<void> {
    await this.exclusive(async () => {
      if (this.unwritten.length > 0 && !(await this.write(this.unwritten))) {
        this.log.error('buffer: samples the disk refused are lost at this stop', {
          samples: this.unwritten.length,
        });
        this.countDrops('unwritable', this.unwritten.length);
      }
      this.unwritten = [];
      await this.retireActive();
      this.closed = true;
    });
  }
}
