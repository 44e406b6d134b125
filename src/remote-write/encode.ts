// Pure: series -> WriteRequest protobuf bytes. Written by hand over the field
// layout protobufjs reads from proto/ (prompb-layout.generated.ts), because
// protobufjs' generic Writer spends more time on bookkeeping (forks, an op per
// field) than snappy spends compressing; the tests check the bytes equal what
// protobufjs itself encodes.
import type { Label, Sample, Series } from '../base/model.js';
import type { WireLayout } from './prompb.js';
import { WIRE_LAYOUT } from './prompb-layout.generated.js';
import { varintSize, writeVarint } from '../base/varint.js';

function stringFieldSize(bytes: number): number {
  return bytes === 0 ? 0 : 1 + varintSize(bytes) + bytes;
}

function labelBodySize(nameBytes: number, valueBytes: number): number {
  return stringFieldSize(nameBytes) + stringFieldSize(valueBytes);
}

function encodeLabels(labels: readonly Label[], layout: WireLayout): Buffer {
  let size = 0;
  const lengths: number[] = [];
  for (const label of labels) {
    const nameBytes = Buffer.byteLength(label.name, 'utf8');
    const valueBytes = Buffer.byteLength(label.value, 'utf8');
    lengths.push(nameBytes, valueBytes);
    const body = labelBodySize(nameBytes, valueBytes);
    size += 1 + varintSize(body) + body;
  }
  const out = Buffer.allocUnsafe(size);
  let position = 0;
  labels.forEach((label, index) => {
    const nameBytes = lengths[2 * index] as number;
    const valueBytes = lengths[2 * index + 1] as number;
    out[position++] = layout.labels;
    position = writeVarint(out, position, labelBodySize(nameBytes, valueBytes));
    if (nameBytes > 0) {
      out[position++] = layout.labelName;
      position = writeVarint(out, position, nameBytes);
      position += out.write(label.name, position, 'utf8');
    }
    if (valueBytes > 0) {
      out[position++] = layout.labelValue;
      position = writeVarint(out, position, valueBytes);
      position += out.write(label.value, position, 'utf8');
    }
  });
  return out;
}

/**
 * A quick estimate of the bytes a series takes in a WriteRequest, for packing
 * requests: string lengths instead of UTF-8 byte counts, 18 bytes a sample (a
 * millisecond timestamp of today takes 6 varint bytes). The packer compresses
 * and splits again when a guess was short.
 */
export function estimatedSeriesSize(series: Series): number {
  let size = 6;
  for (const label of series.labels) size += 6 + label.name.length + label.value.length;
  return size + series.samples.length * 18;
}

/** Largest sample message: key, length, value key + double, timestamp key + 8-byte varint. */
const MAX_SAMPLE_BYTES = 2 + 9 + 9;
/** Room kept before each series for its key and a length varint of up to 5 bytes. */
const SERIES_HEADER_ROOM = 6;

/**
 * One pass over the samples: each series is written after room for its
 * header, its length is known once written, and the series then slides left
 * over the room it did not need (a memmove, far cheaper than a sizing pass).
 */
export function encodeWriteRequest(seriesList: readonly Series[]): Uint8Array {
  const layout = WIRE_LAYOUT;
  const labelBytes = seriesList.map((series) => encodeLabels(series.labels, layout));
  let upperBound = 0;
  for (let index = 0; index < seriesList.length; index++) {
    upperBound +=
      SERIES_HEADER_ROOM +
      (labelBytes[index] as Buffer).length +
      (seriesList[index] as Series).samples.length * MAX_SAMPLE_BYTES;
  }
  const out = Buffer.allocUnsafe(upperBound);
  // DataView writes of doubles compile to a single store; Buffer#writeDoubleLE does not.
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const samplesKey = layout.samples;
  const valueKey = layout.sampleValue;
  const timestampKey = layout.sampleTimestamp;
  let position = 0;
  for (let index = 0; index < seriesList.length; index++) {
    const seriesStart = position;
    const bodyStart = seriesStart + SERIES_HEADER_ROOM;
    position = bodyStart + (labelBytes[index] as Buffer).copy(out, bodyStart);
    const samples = (seriesList[index] as Series).samples;
    for (let sampleIndex = 0; sampleIndex < samples.length; sampleIndex++) {
      const sample = samples[sampleIndex] as Sample;
      const value = sample.value;
      const timestampMs = sample.timestampMs;
      out[position++] = samplesKey;
      const lengthAt = position++;
      if (value !== 0) {
        out[position++] = valueKey;
        view.setFloat64(position, value, true);
        position += 8;
      }
      if (timestampMs !== 0) {
        out[position++] = timestampKey;
        position = writeVarint(out, position, timestampMs);
      }
      // proto3 leaves out fields at their default (0), as protobufjs and Go's prompb do.
      out[lengthAt] = position - lengthAt - 1; // at most 18: one byte
    }
    const bodySize = position - bodyStart;
    out[seriesStart] = layout.timeseries;
    const headerEnd = writeVarint(out, seriesStart + 1, bodySize);
    if (headerEnd < bodyStart) {
      out.copyWithin(headerEnd, bodyStart, position);
      position -= bodyStart - headerEnd;
    }
  }
  return out.subarray(0, position);
}
