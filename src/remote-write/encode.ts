// Pure: series -> WriteRequest protobuf bytes. Written by hand over the layout
// protobufjs reads from proto/, because protobufjs' generic Writer spends more
// time on bookkeeping (forks, per-field ops) than snappy spends compressing;
// the tests check the bytes equal what protobufjs itself encodes.
import type { Label, Series } from '../model.js';
import { wireLayout, type WireLayout } from './prompb.js';

/** proto3 leaves out fields at their default (0, ""), as protobufjs and Go's prompb do. */
function sampleBodySize(value: number, timestampMs: number): number {
  return (value !== 0 ? 9 : 0) + (timestampMs !== 0 ? 1 + varintSize(timestampMs) : 0);
}

function stringFieldSize(bytes: number): number {
  return bytes === 0 ? 0 : 1 + varintSize(bytes) + bytes;
}

function varintSize(value: number): number {
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

function writeVarint(buffer: Buffer, position: number, value: number): number {
  while (value >= 128) {
    // `& 127` truncates to 32 bits first, which keeps the low 7 bits exact.
    buffer[position++] = (value & 127) | 128;
    value = Math.floor(value / 128);
  }
  buffer[position++] = value;
  return position;
}

function labelBodySize(nameBytes: number, valueBytes: number): number {
  return stringFieldSize(nameBytes) + stringFieldSize(valueBytes);
}

interface SeriesPlan {
  readonly labelBytes: Buffer;
  readonly bodySize: number;
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

function planSeries(series: Series, layout: WireLayout): SeriesPlan {
  const labelBytes = encodeLabels(series.labels, layout);
  let bodySize = labelBytes.length;
  for (const sample of series.samples) {
    bodySize += 1 + 1 + sampleBodySize(sample.value, sample.timestampMs); // body < 128: one length byte
  }
  return { labelBytes, bodySize };
}

/** Bytes one series takes inside a WriteRequest, key and length included. */
export function encodedSeriesSize(series: Series): number {
  const { bodySize } = planSeries(series, wireLayout());
  return 1 + varintSize(bodySize) + bodySize;
}

export function encodeWriteRequest(seriesList: readonly Series[]): Uint8Array {
  const layout = wireLayout();
  const plans = seriesList.map((series) => planSeries(series, layout));
  let total = 0;
  for (const plan of plans) total += 1 + varintSize(plan.bodySize) + plan.bodySize;
  const out = Buffer.allocUnsafe(total);
  let position = 0;
  for (let index = 0; index < seriesList.length; index++) {
    const plan = plans[index] as SeriesPlan;
    out[position++] = layout.timeseries;
    position = writeVarint(out, position, plan.bodySize);
    position += plan.labelBytes.copy(out, position);
    for (const sample of (seriesList[index] as Series).samples) {
      const { value, timestampMs } = sample;
      out[position++] = layout.samples;
      out[position++] = sampleBodySize(value, timestampMs);
      if (value !== 0) {
        out[position++] = layout.sampleValue;
        position = out.writeDoubleLE(value, position);
      }
      if (timestampMs !== 0) {
        out[position++] = layout.sampleTimestamp;
        position = writeVarint(out, position, timestampMs);
      }
    }
  }
  return out;
}
