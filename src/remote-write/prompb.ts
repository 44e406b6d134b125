// The wire layout of a remote-write WriteRequest, read from proto/ with
// protobufjs so that the .proto files stay the one source of field numbers.
// The daemon uses the generated copy (prompb-layout.generated.ts); decoding
// (the receiver, the tests) loads the schema here.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

export const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));

// In the release bundle there is no proto/ directory beside the program:
// scripts/package.mjs embeds the .proto texts by file name (esbuild define),
// and they are parsed from memory instead.
declare const EDGE_TELEMETRY_BUNDLED_PROTO: Readonly<Record<string, string>> | undefined;

/** Single-byte field keys ((field number << 3) | wire type) the encoder writes. */
export interface WireLayout {
  readonly timeseries: number;
  readonly labels: number;
  readonly samples: number;
  readonly labelName: number;
  readonly labelValue: number;
  readonly sampleValue: number;
  readonly sampleTimestamp: number;
}

const WIRE_TYPE: Readonly<Record<string, number>> = { double: 1, int64: 0, string: 2 };

let root: protobuf.Root | undefined;

export function loadPrompb(): protobuf.Root {
  if (root === undefined) {
    if (typeof EDGE_TELEMETRY_BUNDLED_PROTO === 'object') {
      root = new protobuf.Root();
      for (const text of Object.values(EDGE_TELEMETRY_BUNDLED_PROTO)) protobuf.parse(text, root);
    } else {
      root = protobuf.loadSync([`${PROTO_DIR}remote.proto`], new protobuf.Root());
    }
  }
  root.resolveAll();
  return root;
}

export function writeRequestType(): protobuf.Type {
  return loadPrompb().lookupType('prometheus.WriteRequest');
}

function key(type: protobuf.Type, fieldName: string, expected: string): number {
  const field = type.fields[fieldName];
  if (field === undefined) throw new Error(`proto: ${type.name}.${fieldName} missing`);
  const wireType = field.resolvedType !== null ? 2 : WIRE_TYPE[field.type];
  if (wireType === undefined || (field.resolvedType === null && field.type !== expected)) {
    throw new Error(
      `proto: ${type.name}.${fieldName} is ${field.type}, the encoder writes ${expected}`,
    );
  }
  if (field.id >= 16) throw new Error(`proto: ${type.name}.${fieldName} needs a multi-byte key`);
  return (field.id << 3) | wireType;
}

export function computeLayout(): WireLayout {
  const prompb = loadPrompb();
  const writeRequest = prompb.lookupType('prometheus.WriteRequest');
  const timeSeries = prompb.lookupType('prometheus.TimeSeries');
  const label = prompb.lookupType('prometheus.Label');
  const sample = prompb.lookupType('prometheus.Sample');
  return {
    timeseries: key(writeRequest, 'timeseries', 'prometheus.TimeSeries'),
    labels: key(timeSeries, 'labels', 'prometheus.Label'),
    samples: key(timeSeries, 'samples', 'prometheus.Sample'),
    labelName: key(label, 'name', 'string'),
    labelValue: key(label, 'value', 'string'),
    sampleValue: key(sample, 'value', 'double'),
    sampleTimestamp: key(sample, 'timestamp', 'int64'),
  };
}
