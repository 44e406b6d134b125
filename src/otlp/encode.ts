// Pure: the report's series -> an OTLP/HTTP ExportMetricsServiceRequest, as
// binary protobuf (opentelemetry-proto v1.11.0, vendored in proto/opentelemetry/
// for the tests, which decode these bytes with protobufjs). Written by hand like
// the remote-write encoder: a report is tens of series, and the field numbers
// below are the whole of what it uses. The mapping (docs/metrics.md): each
// metric name is one Gauge; each sample one NumberDataPoint whose attributes
// are exactly the series' labels without __name__ (so `_id`, `type` and the
// rest as a remote-write receiver sees them) and whose time_unix_nano is the
// sample's timestamp; the resource says which service on which cluster sent it.
import { METRIC_NAME_LABEL, type Label, type Series } from '../base/model.js';
import { varintSize, writeVarint } from '../base/varint.js';

/** Protobuf wire types (OTLP's metrics as sent here use no varint fields). */
const FIXED64 = 1;
const LEN = 2;

/** Field numbers, from the .proto files named in each comment. */
const FIELD = {
  // collector/metrics/v1/metrics_service.proto ExportMetricsServiceRequest
  resourceMetrics: 1,
  // metrics/v1/metrics.proto ResourceMetrics
  resource: 1,
  scopeMetrics: 2,
  // resource/v1/resource.proto Resource
  resourceAttributes: 1,
  // metrics/v1/metrics.proto ScopeMetrics
  scope: 1,
  metrics: 2,
  // common/v1/common.proto InstrumentationScope
  scopeName: 1,
  scopeVersion: 2,
  // common/v1/common.proto KeyValue, AnyValue
  key: 1,
  value: 2,
  stringValue: 1,
  // metrics/v1/metrics.proto Metric, Gauge
  name: 1,
  description: 2,
  unit: 3,
  gauge: 5,
  dataPoints: 1,
  // metrics/v1/metrics.proto NumberDataPoint
  timeUnixNano: 3,
  asDouble: 4,
  attributes: 7,
} as const;

/** Who sent it: OpenTelemetry's semantic conventions for a service. */
export interface OtlpResource {
  /** service.name */
  readonly serviceName: string;
  /** service.version */
  readonly serviceVersion: string;
  /** service.instance.id: the cluster id. */
  readonly serviceInstanceId: string;
}

/** What OTLP says of a metric besides its points: the HELP text, and its unit in UCUM (`By`, `{core}`, `1`). */
export interface MetricDescription {
  readonly description: string;
  readonly unit: string;
}

function tag(field: number, wireType: number): number {
  return (field << 3) | wireType;
}

/** A length-delimited field (tag, length, bytes), present even when empty (a KeyValue's value, a data point). */
function messageField(field: number, body: Buffer): Buffer {
  const head = Buffer.allocUnsafe(varintSize(tag(field, LEN)) + varintSize(body.length));
  writeVarint(head, writeVarint(head, 0, tag(field, LEN)), body.length);
  return Buffer.concat([head, body]);
}

/** A string field; an empty one is left out, as protobuf encoders do for proto3 scalars. */
function stringField(field: number, text: string): Buffer {
  return text === '' ? Buffer.alloc(0) : messageField(field, Buffer.from(text, 'utf8'));
}

function keyValue(key: string, value: string): Buffer {
  return Buffer.concat([
    stringField(FIELD.key, key),
    // AnyValue's string_value is in a oneof, so it is written even when empty:
    // an AnyValue with nothing set would read as no value at all, not "".
    messageField(FIELD.value, messageField(FIELD.stringValue, Buffer.from(value, 'utf8'))),
  ]);
}

/** Milliseconds since the epoch as nanoseconds, exactly (a double cannot hold them). */
function unixNanos(timestampMs: number): bigint {
  return BigInt(Math.round(timestampMs)) * 1_000_000n;
}

function numberDataPoint(attributes: readonly Label[], value: number, timestampMs: number): Buffer {
  const fixed = Buffer.allocUnsafe(2 + 2 * 8);
  fixed[0] = tag(FIELD.timeUnixNano, FIXED64);
  fixed.writeBigUInt64LE(unixNanos(timestampMs), 1);
  fixed[9] = tag(FIELD.asDouble, FIXED64);
  fixed.writeDoubleLE(value, 10);
  return Buffer.concat([
    fixed,
    ...attributes.map((label) => messageField(FIELD.attributes, keyValue(label.name, label.value))),
  ]);
}

/** One metric's series, each label but __name__ an attribute; in the order the report holds them. */
export interface OtlpMetric {
  readonly name: string;
  readonly description: MetricDescription;
  readonly series: readonly { readonly attributes: readonly Label[]; readonly series: Series }[];
}

/**
 * The report's series grouped by metric name, in the order each name first
 * appears; `describe` gives each name's description and unit.
 */
export function metricsOf(
  series: readonly Series[],
  describe: (name: string) => MetricDescription,
): OtlpMetric[] {
  const byName = new Map<string, { attributes: readonly Label[]; series: Series }[]>();
  for (const entry of series) {
    const name = entry.labels.find((label) => label.name === METRIC_NAME_LABEL)?.value;
    if (name === undefined) continue; // the report gives every series a name; nothing to map without one
    const attributes = entry.labels.filter((label) => label.name !== METRIC_NAME_LABEL);
    let list = byName.get(name);
    if (list === undefined) byName.set(name, (list = []));
    list.push({ attributes, series: entry });
  }
  return [...byName].map(([name, list]) => ({ name, description: describe(name), series: list }));
}

function metric(entry: OtlpMetric): Buffer {
  const points = entry.series.flatMap(({ attributes, series }) =>
    series.samples.map((sample) =>
      messageField(FIELD.dataPoints, numberDataPoint(attributes, sample.value, sample.timestampMs)),
    ),
  );
  return Buffer.concat([
    stringField(FIELD.name, entry.name),
    stringField(FIELD.description, entry.description.description),
    stringField(FIELD.unit, entry.description.unit),
    messageField(FIELD.gauge, Buffer.concat(points)),
  ]);
}

/** The whole request: one resource, one instrumentation scope (edge-telemetry itself), every metric. */
export function encodeExportMetricsRequest(
  resource: OtlpResource,
  metrics: readonly OtlpMetric[],
): Buffer {
  const resourceBody = Buffer.concat(
    (
      [
        ['service.name', resource.serviceName],
        ['service.version', resource.serviceVersion],
        ['service.instance.id', resource.serviceInstanceId],
      ] as const
    ).map(([key, value]) => messageField(FIELD.resourceAttributes, keyValue(key, value))),
  );
  const scope = Buffer.concat([
    stringField(FIELD.scopeName, resource.serviceName),
    stringField(FIELD.scopeVersion, resource.serviceVersion),
  ]);
  const scopeMetrics = Buffer.concat([
    messageField(FIELD.scope, scope),
    ...metrics.map((entry) => messageField(FIELD.metrics, metric(entry))),
  ]);
  const resourceMetrics = Buffer.concat([
    messageField(FIELD.resource, resourceBody),
    messageField(FIELD.scopeMetrics, scopeMetrics),
  ]);
  return messageField(FIELD.resourceMetrics, resourceMetrics);
}

/**
 * A little more than the bytes a series adds to a request, before any
 * compression: per data point its time and value (18 bytes), its framing, and
 * every attribute again (OTLP repeats the attributes on each point); the
 * metric's name, description and unit once. The planner learns the real
 * ratio after the first request and splits again when a guess was short.
 */
export function estimatedSeriesBytes(series: Series, description: MetricDescription): number {
  let attributes = 0;
  for (const label of series.labels)
    if (label.name !== METRIC_NAME_LABEL) attributes += 8 + label.name.length + label.value.length;
  let metric = 12 + description.description.length + description.unit.length;
  for (const label of series.labels)
    if (label.name === METRIC_NAME_LABEL) metric += label.value.length;
  return metric + series.samples.length * (22 + attributes);
}
