// Pure: what an OTLP/HTTP receiver answers, in binary protobuf. A 200 may hold
// an ExportMetricsServiceResponse whose partial_success says how many data
// points it refused and why (collector/metrics/v1/metrics_service.proto); a
// 4xx or 5xx may hold a google.rpc.Status (googleapis google/rpc/status.proto:
// code = 1, message = 2, details = 3), whose message goes in the log line.
// Read by hand, bounded by the bytes given, never throwing: a reply is
// untrusted input, and a garbled one reads as nothing said.

/** Protobuf wire types. */
const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

interface Field {
  readonly number: number;
  readonly varint?: bigint;
  readonly bytes?: Uint8Array;
}

/** The top-level fields of a message, or undefined when the bytes are not one. */
function fieldsOf(bytes: Uint8Array): Field[] | undefined {
  const fields: Field[] = [];
  let at = 0;
  const varint = (): bigint | undefined => {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (at >= bytes.length) return undefined;
      const byte = bytes[at++] as number;
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
    }
    return undefined;
  };
  while (at < bytes.length) {
    const key = varint();
    if (key === undefined) return undefined;
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (number === 0) return undefined;
    if (wireType === VARINT) {
      const value = varint();
      if (value === undefined) return undefined;
      fields.push({ number, varint: value });
    } else if (wireType === LEN) {
      const length = varint();
      if (length === undefined || length > BigInt(bytes.length - at)) return undefined;
      fields.push({ number, bytes: bytes.subarray(at, at + Number(length)) });
      at += Number(length);
    } else if (wireType === FIXED64 || wireType === FIXED32) {
      at += wireType === FIXED64 ? 8 : 4;
      if (at > bytes.length) return undefined;
    } else return undefined;
  }
  return fields;
}

const text = (bytes: Uint8Array | undefined): string =>
  bytes === undefined ? '' : Buffer.from(bytes).toString('utf8');

export interface PartialSuccess {
  /** Data points the receiver refused, for good (OTLP: the client must not send them again). */
  readonly rejectedDataPoints: number;
  readonly errorMessage: string;
}

/** A 2xx body: its partial_success when it names refused points or a message; undefined for a full success. */
export function decodePartialSuccess(bytes: Uint8Array): PartialSuccess | undefined {
  const partial = fieldsOf(bytes)?.find((field) => field.number === 1 && field.bytes !== undefined);
  if (partial?.bytes === undefined) return undefined;
  const inner = fieldsOf(partial.bytes);
  if (inner === undefined) return undefined;
  const rejected = inner.find((field) => field.number === 1)?.varint ?? 0n;
  const errorMessage = text(inner.find((field) => field.number === 2)?.bytes);
  // int64: a negative count (two's complement) or one past any request is no count at all.
  const rejectedDataPoints = rejected > 0n && rejected < 2n ** 53n ? Number(rejected) : 0;
  if (rejectedDataPoints === 0 && errorMessage === '') return undefined;
  return { rejectedDataPoints, errorMessage };
}

/** A google.rpc.Status body as one line of text, or undefined when it is not one. */
export function statusText(bytes: Uint8Array): string | undefined {
  const fields = fieldsOf(bytes);
  if (fields === undefined || fields.length === 0) return undefined;
  const message = text(fields.find((field) => field.number === 2)?.bytes);
  const code = fields.find((field) => field.number === 1)?.varint;
  if (message === '' && code === undefined) return undefined;
  return code === undefined ? message : `${message}${message === '' ? '' : ' '}(code ${code})`;
}
