// Pure: reads a whole segment's bytes record by record and says where the good
// part ends. Everything from the first bad record on is the "cut": a torn
// write leaves a short last record, a flipped bit a checksum mismatch.
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
  readonly cut: { readonly reason: string; readonly bytes: number; readonly samplesLost: number } | undefined;
}

export type ScanResult =
  | { readonly kind: 'ok'; readonly summary: SegmentSummary }
  /** Corrupt as a whole: the header is not ours. */
  | { readonly kind: 'foreign'; readonly reason: string };

/**
 * Walks the records; `each` gets every good sample (seq ascending) with its
 * series. Decoding stops at the first bad record.
 */
export function scanSegment(bytes: Uint8Array, each?: (sample: EncodedSample, series: SeriesDef) => void): ScanResult {
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
  for (;;) {
    const frame = frameAt(bytes, offset);
    if (frame.kind === 'end') break;
    if (frame.kind === 'bad') {
      cutReason = frame.reason;
      break;
    }
    try {
      if (frame.type === RECORD_SERIES) {
        const def = decodeSeriesRecord(bytes, frame.payloadStart, frame.payloadEnd);
        if (series.has(def.ref)) throw new CorruptRecord(`series ref ${def.ref} defined twice`);
        series.set(def.ref, def);
      } else if (frame.type === RECORD_SAMPLES) {
        // Checked whole before any sample counts, so a record is kept or cut as one.
        const decoded: { sample: EncodedSample; def: SeriesDef }[] = [];
        decodeSamplesRecord(bytes, frame.payloadStart, frame.payloadEnd, (sample) => {
          const def = series.get(sample.ref);
          if (def === undefined) throw new CorruptRecord(`sample refers to undefined series ${sample.ref}`);
          if (sample.seq <= lastSeq) throw new CorruptRecord('seqs do not ascend');
          decoded.push({ sample, def });
          lastSeq = sample.seq;
        });
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
      cutReason = error.message;
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
      cut: cutReason === undefined ? undefined : { reason: cutReason, bytes: bytes.length - offset, samplesLost: samplesClaimed(bytes, offset) },
    },
  };
}

/**
 * Best effort: how many samples the cut part's records say they hold, by
 * walking the length fields without trusting checksums (a torn last record
 * still names its count). Stops where the framing itself is lost.
 */
function samplesClaimed(bytes: Uint8Array, offset: number): number {
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
    if (!ok || (type !== RECORD_SERIES && type !== RECORD_SAMPLES)) break;
    if (type === RECORD_SAMPLES) {
      // firstSeq, base timestamp, count: the third varint of the payload.
      const fields = readVarints(bytes, position, Math.min(bytes.length, position + length), 3);
      if (fields === undefined) break;
      // A garbled count cannot claim more samples than its bytes could hold (two each at least).
      total += Math.min(fields[2] as number, Math.floor(length / 2));
    }
    offset = position + length + 4;
  }
  return total;
}

function readVarints(bytes: Uint8Array, position: number, end: number, wanted: number): number[] | undefined {
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
