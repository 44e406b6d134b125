// Pure: reads a whole segment's bytes record by record. A bad record (a
// flipped bit: a checksum mismatch) costs only itself: the scan resumes at
// the next offset where a whole record's checksum holds, and says which
// bytes it skipped and how many samples they held. Bad bytes with no good
// record after them are the "cut": what a torn last write leaves.
import {
  CorruptRecord,
  RECORD_SAMPLES,
  RECORD_SERIES,
  HEADER_BYTES,
  checkHeader,
  decodeSamplesRecord,
  decodeSeriesRecord,
  frameAt,
  type EncodedSample,
  type SeriesDef,
} from './segment-format.js';

export interface SegmentSummary {
  /** Samples in the good part. */
  readonly count: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly minTimestampMs: number;
  readonly maxTimestampMs: number;
  /** Byte offset where the good part ends (the file's length when all is good). */
  readonly goodBytes: number;
  /** Why the rest was cut, when it was. */
  readonly cut:
    { readonly reason: string; readonly bytes: number; readonly samplesLost: number } | undefined;
  /** Damaged stretches with good records after them, skipped, in file order. */
  readonly skipped: readonly SkippedBytes[];
  /** Samples in good records whose series definition was in a damaged stretch: lost with it. */
  readonly orphaned: number;
}

export interface SkippedBytes {
  readonly offset: number;
  readonly bytes: number;
  readonly reason: string;
  /**
   * The samples it held: what its records' own count fields say, never more
   * than the seqs missing between the good records around it (a garbled count
   * cannot inflate the loss), and the seq gap alone when no count is readable.
   */
  samplesLost: number;
}

export type ScanResult =
  | { readonly kind: 'ok'; readonly summary: SegmentSummary }
  /** Corrupt as a whole: the header is not ours. */
  | { readonly kind: 'foreign'; readonly reason: string };

/** The next offset after `from` where a whole record with a good checksum starts, or undefined. */
function nextRecordAt(bytes: Uint8Array, from: number): number | undefined {
  for (let offset = from; offset < bytes.length; offset++) {
    const type = bytes[offset];
    if (type !== RECORD_SERIES && type !== RECORD_SAMPLES) continue;
    if (frameAt(bytes, offset).kind === 'record') return offset;
  }
  return undefined;
}

/**
 * Walks the records; `each` gets every good sample (seq ascending) with its
 * series, `eachSeries` every good series definition. A bad record is skipped
 * to the next good one; bad bytes to the end are cut.
 */
export function scanSegment(
  bytes: Uint8Array,
  each?: (sample: EncodedSample, series: SeriesDef) => void,
  eachSeries?: (series: SeriesDef) => void,
): ScanResult {
  const header = checkHeader(bytes);
  if (!header.ok) return { kind: 'foreign', reason: header.reason };
  const series = new Map<number, SeriesDef>();
  let count = 0;
  let firstSeq = 0;
  let lastSeq = 0;
  let minTimestampMs = Infinity;
  let maxTimestampMs = -Infinity;
  let offset = HEADER_BYTES;
  let cutReason: string | undefined;
  const skipped: SkippedBytes[] = [];
  /** The last skip, until the next good sample says how many seqs it took. */
  let unsettled: { skip: SkippedBytes; claimed: number; lastSeqBefore: number } | undefined;
  let orphaned = 0;
  /** Skips to the next good record; false when there is none (the rest is cut). */
  const skip = (reason: string): boolean => {
    const resume = nextRecordAt(bytes, offset + 1);
    if (resume === undefined) {
      cutReason = reason;
      return false;
    }
    const claim = samplesClaimed(bytes.subarray(0, resume), offset);
    // Framing readable to the end: its counts are the loss (0 for series records). Else the seq gap says it.
    const claimed = claim.complete ? claim.samples : claim.samples === 0 ? Infinity : claim.samples;
    const entry: SkippedBytes = {
      offset,
      bytes: resume - offset,
      reason,
      samplesLost: Number.isFinite(claimed) ? claimed : 0,
    };
    skipped.push(entry);
    // Two skips before a good sample: the first is settled on its count alone, the seq gap goes to the pair.
    unsettled =
      unsettled === undefined
        ? { skip: entry, claimed, lastSeqBefore: lastSeq }
        : { skip: entry, claimed, lastSeqBefore: unsettled.lastSeqBefore };
    offset = resume;
    return true;
  };
  for (;;) {
    const frame = frameAt(bytes, offset);
    if (frame.kind === 'end') break;
    if (frame.kind === 'bad') {
      if (skip(frame.reason)) continue;
      break;
    }
    try {
      if (frame.type === RECORD_SERIES) {
        const def = decodeSeriesRecord(bytes, frame.payloadStart, frame.payloadEnd);
        if (series.has(def.ref)) throw new CorruptRecord(`series ref ${def.ref} defined twice`);
        series.set(def.ref, def);
        eachSeries?.(def);
      } else if (frame.type === RECORD_SAMPLES) {
        // Checked whole before any sample counts, so a record is kept or skipped as one.
        const decoded: { sample: EncodedSample; def: SeriesDef }[] = [];
        let recordLastSeq = lastSeq;
        let recordOrphans = 0;
        let recordFirstSeq: number | undefined;
        decodeSamplesRecord(bytes, frame.payloadStart, frame.payloadEnd, (sample) => {
          if (sample.seq <= recordLastSeq) throw new CorruptRecord('seqs do not ascend');
          recordFirstSeq ??= sample.seq;
          recordLastSeq = sample.seq;
          const def = series.get(sample.ref);
          // The record is whole (its checksum holds): only its series' definition was lost, and this sample with it.
          if (def === undefined && skipped.length > 0) recordOrphans++;
          else if (def === undefined)
            throw new CorruptRecord(`sample refers to undefined series ${sample.ref}`);
          else decoded.push({ sample, def });
        });
        if (unsettled !== undefined && recordFirstSeq !== undefined) {
          const gap = recordFirstSeq - unsettled.lastSeqBefore - 1;
          unsettled.skip.samplesLost = Number.isFinite(unsettled.claimed)
            ? Math.min(unsettled.claimed, gap)
            : gap;
          unsettled = undefined;
        }
        orphaned += recordOrphans;
        lastSeq = recordLastSeq;
        for (const { sample, def } of decoded) {
          if (count === 0) firstSeq = sample.seq;
          count++;
          minTimestampMs = Math.min(minTimestampMs, sample.timestampMs);
          maxTimestampMs = Math.max(maxTimestampMs, sample.timestampMs);
          each?.(sample, def);
        }
      }
    } catch (error) {
      if (!(error instanceof CorruptRecord)) throw error;
      if (skip(error.message)) continue;
      break;
    }
    offset = frame.next;
  }
  return {
    kind: 'ok',
    summary: {
      count,
      firstSeq,
      lastSeq,
      minTimestampMs,
      maxTimestampMs,
      goodBytes: offset,
      cut:
        cutReason === undefined
          ? undefined
          : {
              reason: cutReason,
              bytes: bytes.length - offset,
              samplesLost: samplesClaimed(bytes, offset).samples,
            },
      skipped,
      orphaned,
    },
  };
}

/**
 * Best effort: how many samples the cut part's records say they hold, by
 * walking the length fields without trusting checksums (a torn last record
 * still names its count). Stops where the framing itself is lost.
 */
function samplesClaimed(bytes: Uint8Array, offset: number): { samples: number; complete: boolean } {
  let total = 0;
  while (offset < bytes.length) {
    const type = bytes[offset] as number;
    let position = offset + 1;
    let length = 0;
    let scale = 1;
    let ok = false;
    for (let i = 0; i < 4 && position < bytes.length; i++) {
      const byte = bytes[position++] as number;
      length += (byte & 0x7f) * scale;
      scale *= 0x80;
      if (byte < 0x80) {
        ok = true;
        break;
      }
    }
    if (!ok || (type !== RECORD_SERIES && type !== RECORD_SAMPLES))
      return { samples: total, complete: false };
    if (type === RECORD_SAMPLES) {
      // firstSeq, base timestamp, count: the third varint of the payload.
      const fields = readVarints(bytes, position, Math.min(bytes.length, position + length), 3);
      if (fields === undefined) return { samples: total, complete: false };
      // A garbled count cannot claim more samples than its bytes could hold (two each at least).
      total += Math.min(fields[2] as number, Math.floor(length / 2));
    }
    offset = position + length + 4;
  }
  return { samples: total, complete: offset === bytes.length };
}

function readVarints(
  bytes: Uint8Array,
  position: number,
  end: number,
  wanted: number,
): number[] | undefined {
  const out: number[] = [];
  while (out.length < wanted) {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (position >= end || scale > 2 ** 56) return undefined;
      const byte = bytes[position++] as number;
      value += (byte & 0x7f) * scale;
      scale *= 0x80;
      if (byte < 0x80) break;
    }
    out.push(value);
  }
  return out;
}
