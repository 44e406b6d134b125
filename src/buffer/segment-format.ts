// Pure: the bytes of a buffer segment file. A segment is
//
//   header   "ETSB" | version u8 (1) | 3 zero bytes
//   records  type u8 | payload length (varint) | payload | CRC-32 (u32 LE) of type, length and payload
//
// Record types:
//   SERIES  ref | metric name | label count | (label name, label value)…   — once per series per segment
//   SAMPLES firstSeq | base timestamp ms | count | sample…                 — one per sampling tick
// and a sample is key (ref·8 + flags) | [seq gap] | [timestamp delta] | value,
// flags: 1 value is a zigzag varint integer (else float64 LE), 2 a zigzag
// timestamp delta from the base follows (else the base), 4 a seq gap follows
// (else seq = previous + 1; only compaction leaves gaps). Numbers are unsigned
// LEB128 varints up to 2^53; strings are a varint byte length and UTF-8.
// A tick's ten samples of counts and byte sizes take about 5 bytes each.
import type { Labels, MetricPoint } from '../base/model.js';
import { crc32 } from './crc32.js';
import { writeVarint } from '../base/varint.js';

export const SEGMENT_MAGIC = Buffer.from('ETSB', 'latin1');
export const SEGMENT_VERSION = 1;
export const HEADER_BYTES = 8;
export const RECORD_SERIES = 1;
export const RECORD_SAMPLES = 2;
/** No record this code writes comes near it; a larger length is corruption. */
export const MAX_RECORD_BYTES = 4 * 1024 * 1024;
/** Samples per SAMPLES record written by compaction (a tick writes one record, whatever its size). */
export const SAMPLES_PER_RECORD = 4096;

const FLAG_INTEGER = 1;
const FLAG_TIMESTAMP = 2;
const FLAG_SEQ_GAP = 4;
/** Integers up to this magnitude keep zigzag a safe integer (< 2^53); beyond, float64. */
const MAX_INTEGER_MAGNITUDE = 2 ** 52 - 1;

export interface SeriesDef {
  readonly ref: number;
  readonly name: string;
  readonly labels: Labels;
}

export interface EncodedSample {
  readonly seq: number;
  readonly ref: number;
  readonly timestampMs: number;
  readonly value: number;
}

export type HeaderCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export function segmentHeader(): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  SEGMENT_MAGIC.copy(header, 0);
  header[4] = SEGMENT_VERSION;
  return header;
}

export function checkHeader(bytes: Uint8Array): HeaderCheck {
  if (bytes.length < HEADER_BYTES)
    return { ok: false, reason: `shorter than the ${HEADER_BYTES}-byte header` };
  if (!SEGMENT_MAGIC.equals(bytes.subarray(0, 4)))
    return { ok: false, reason: 'not a buffer segment (bad magic)' };
  if (bytes[4] !== SEGMENT_VERSION)
    return { ok: false, reason: `segment version ${bytes[4]} is not ${SEGMENT_VERSION}` };
  return { ok: true };
}

/** Identifies a series within a process: metric name plus labels in name order. */
export function seriesKey(name: string, labels: Labels): string {
  const names = Object.keys(labels).sort();
  let key = name;
  for (const label of names) key += `\u0000${label}\u0001${labels[label] as string}`;
  return key;
}

class Writer {
  private bytes: Buffer = Buffer.allocUnsafe(256);
  length = 0;

  private room(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + extra));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }

  varint(value: number): void {
    this.room(8);
    this.length = writeVarint(this.bytes, this.length, value);
  }

  string(text: string): void {
    const size = Buffer.byteLength(text, 'utf8');
    this.varint(size);
    this.room(size);
    this.length += this.bytes.write(text, this.length, 'utf8');
  }

  float(value: number): void {
    this.room(8);
    this.bytes.writeDoubleLE(value, this.length);
    this.length += 8;
  }

  byte(value: number): void {
    this.room(1);
    this.bytes[this.length++] = value;
  }

  uint32(value: number): void {
    this.room(4);
    this.bytes.writeUInt32LE(value, this.length);
    this.length += 4;
  }

  raw(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  take(): Buffer {
    return this.bytes.subarray(0, this.length);
  }
}

function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function unzigzag(value: number): number {
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

function isCompactInteger(value: number): boolean {
  return (
    Number.isInteger(value) && Math.abs(value) <= MAX_INTEGER_MAGNITUDE && !Object.is(value, -0)
  );
}

/** Frames a payload as one record: type, length, payload, CRC of all three. */
function frame(out: Writer, type: number, payload: Buffer): void {
  const start = out.length;
  out.byte(type);
  out.varint(payload.length);
  out.raw(payload);
  out.uint32(crc32(out.take(), start, out.length));
}

export function encodeSeriesRecord(out: RecordSink, def: SeriesDef): void {
  const payload = new Writer();
  payload.varint(def.ref);
  payload.string(def.name);
  const names = Object.keys(def.labels).sort();
  payload.varint(names.length);
  for (const name of names) {
    payload.string(name);
    payload.string(def.labels[name] as string);
  }
  frame(out.writer, RECORD_SERIES, payload.take());
}

/** Samples in ascending seq order. */
export function encodeSamplesRecord(out: RecordSink, samples: readonly EncodedSample[]): void {
  const first = samples[0];
  if (first === undefined) return;
  const payload = new Writer();
  payload.varint(first.seq);
  payload.varint(first.timestampMs);
  payload.varint(samples.length);
  let previousSeq = first.seq - 1;
  for (const sample of samples) {
    const integer = isCompactInteger(sample.value);
    const ownTimestamp = sample.timestampMs !== first.timestampMs;
    const gap = sample.seq - previousSeq - 1;
    if (gap < 0) throw new RangeError('samples must be in ascending seq order');
    payload.varint(
      sample.ref * 8 +
        (integer ? FLAG_INTEGER : 0) +
        (ownTimestamp ? FLAG_TIMESTAMP : 0) +
        (gap > 0 ? FLAG_SEQ_GAP : 0),
    );
    if (gap > 0) payload.varint(gap);
    if (ownTimestamp) payload.varint(zigzag(sample.timestampMs - first.timestampMs));
    if (integer) payload.varint(zigzag(sample.value));
    else payload.float(sample.value);
    previousSeq = sample.seq;
  }
  frame(out.writer, RECORD_SAMPLES, payload.take());
}

/** Collects encoded records; `bytes()` is what gets written. */
export class RecordSink {
  readonly writer = new Writer();
  bytes(): Buffer {
    return this.writer.take();
  }
}

export class CorruptRecord extends Error {
  readonly code = 'ECORRUPTRECORD';
}

class Reader {
  constructor(
    private readonly bytes: Uint8Array,
    public position: number,
    private readonly end: number,
  ) {}

  get atEnd(): boolean {
    return this.position >= this.end;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let shift = 0; shift < 8; shift++) {
      if (this.position >= this.end) throw new CorruptRecord('varint runs past the record');
      const byte = this.bytes[this.position++] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(value)) throw new CorruptRecord('varint beyond 2^53');
        return value;
      }
      scale *= 0x80;
    }
    throw new CorruptRecord('varint longer than 8 bytes');
  }

  string(): string {
    const size = this.varint();
    if (this.position + size > this.end) throw new CorruptRecord('string runs past the record');
    const text = Buffer.from(
      this.bytes.buffer,
      this.bytes.byteOffset + this.position,
      size,
    ).toString('utf8');
    this.position += size;
    return text;
  }

  float(): number {
    if (this.position + 8 > this.end) throw new CorruptRecord('float runs past the record');
    const value = Buffer.from(
      this.bytes.buffer,
      this.bytes.byteOffset + this.position,
      8,
    ).readDoubleLE(0);
    this.position += 8;
    return value;
  }
}

export type RecordFrame =
  | {
      readonly kind: 'record';
      readonly type: number;
      readonly payloadStart: number;
      readonly payloadEnd: number;
      readonly next: number;
    }
  | { readonly kind: 'end' }
  /** A record that stops before the file does, or whose CRC or length is wrong. */
  | { readonly kind: 'bad'; readonly reason: string };

/** The record starting at `offset`, checked against its CRC. */
export function frameAt(bytes: Uint8Array, offset: number): RecordFrame {
  if (offset >= bytes.length) return { kind: 'end' };
  const reader = new Reader(bytes, offset + 1, bytes.length);
  const type = bytes[offset] as number;
  let length: number;
  try {
    length = reader.varint();
  } catch {
    return { kind: 'bad', reason: 'record cut inside its header' };
  }
  if (type !== RECORD_SERIES && type !== RECORD_SAMPLES)
    return { kind: 'bad', reason: `unknown record type ${type}` };
  if (length > MAX_RECORD_BYTES)
    return {
      kind: 'bad',
      reason: `record length ${length} beyond the ${MAX_RECORD_BYTES}-byte maximum`,
    };
  const payloadStart = reader.position;
  const payloadEnd = payloadStart + length;
  if (payloadEnd + 4 > bytes.length)
    return { kind: 'bad', reason: 'record cut short (torn write)' };
  const stored = Buffer.from(bytes.buffer, bytes.byteOffset + payloadEnd, 4).readUInt32LE(0);
  if (crc32(bytes, offset, payloadEnd) !== stored)
    return { kind: 'bad', reason: 'checksum mismatch' };
  return { kind: 'record', type, payloadStart, payloadEnd, next: payloadEnd + 4 };
}

export function decodeSeriesRecord(bytes: Uint8Array, start: number, end: number): SeriesDef {
  const reader = new Reader(bytes, start, end);
  const ref = reader.varint();
  const name = reader.string();
  const count = reader.varint();
  const labels: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const label = reader.string();
    labels[label] = reader.string();
  }
  if (!reader.atEnd) throw new CorruptRecord('series record longer than its content');
  return { ref, name, labels };
}

/** Calls `each` per sample; returns how many. */
export function decodeSamplesRecord(
  bytes: Uint8Array,
  start: number,
  end: number,
  each: (sample: EncodedSample) => void,
): number {
  const reader = new Reader(bytes, start, end);
  const firstSeq = reader.varint();
  const baseTimestampMs = reader.varint();
  const count = reader.varint();
  let seq = firstSeq - 1;
  for (let i = 0; i < count; i++) {
    const key = reader.varint();
    const flags = key % 8;
    const ref = (key - flags) / 8;
    seq += 1 + (flags & FLAG_SEQ_GAP ? reader.varint() : 0);
    if (i === 0 && seq !== firstSeq) throw new CorruptRecord('first sample has a seq gap');
    const timestampMs =
      flags & FLAG_TIMESTAMP ? baseTimestampMs + unzigzag(reader.varint()) : baseTimestampMs;
    const value = flags & FLAG_INTEGER ? unzigzag(reader.varint()) : reader.float();
    each({ seq, ref, timestampMs, value });
  }
  if (!reader.atEnd) throw new CorruptRecord('samples record longer than its samples');
  return count;
}

/** A segment's samples as points, with the dictionary resolved (labels objects shared per series). */
export function toPoint(def: SeriesDef, sample: EncodedSample): MetricPoint {
  return {
    name: def.name,
    labels: def.labels,
    value: sample.value,
    timestampMs: sample.timestampMs,
  };
}
