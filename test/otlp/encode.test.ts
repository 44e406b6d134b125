// The OTLP encoder against an oracle written by other hands: every request is
// decoded with protobufjs from the official opentelemetry-proto files
// (proto/opentelemetry/, v1.11.0), and must hold exactly the mapping
// docs/metrics.md states. No OpenTelemetry collector can run here (none is in
// Debian 12 or on npm), so this is the check that a collector would read the
// same message.
import t from 'tap';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { Series } from '../../src/base/model.js';
import {
  encodeExportMetricsRequest,
  metricsOf,
  type MetricDescription,
  type OtlpResource,
} from '../../src/otlp/encode.js';

const PROTO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../proto');
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => path.join(PROTO_ROOT, target);
root.loadSync('opentelemetry/proto/collector/metrics/v1/metrics_service.proto');
const Request = root.lookupType(
  'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest',
);

interface DecodedKeyValue {
  readonly key: string;
  readonly value: { readonly stringValue?: string; readonly value?: string };
}
interface DecodedPoint {
  readonly attributes: readonly DecodedKeyValue[];
  readonly timeUnixNano: string;
  readonly startTimeUnixNano: string;
  readonly asDouble: number;
}
interface DecodedMetric {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly data?: string;
  readonly gauge: { readonly dataPoints: readonly DecodedPoint[] };
}
interface DecodedRequest {
  readonly resourceMetrics: readonly {
    readonly resource: { readonly attributes: readonly DecodedKeyValue[] };
    readonly scopeMetrics: readonly {
      readonly scope: { readonly name: string; readonly version: string };
      readonly metrics: readonly DecodedMetric[];
    }[];
  }[];
}

/** The decoded request as plain data: 64-bit integers as decimal strings (exact), defaults filled in. */
function decode(bytes: Uint8Array): DecodedRequest {
  return Request.toObject(Request.decode(bytes), {
    longs: String,
    defaults: true,
    oneofs: true,
  }) as unknown as DecodedRequest;
}

/** The first of a list the test has just checked is there. */
function first<T>(list: readonly T[]): T {
  const [head] = list;
  if (head === undefined) throw new Error('empty list');
  return head;
}

const resource: OtlpResource = {
  serviceName: 'edge-telemetry',
  serviceVersion: '0.1.0',
  serviceInstanceId: 'af73676d-e435-4a9e-9d50-4130624a440d',
};

const DESCRIPTIONS: Record<string, MetricDescription> = {
  'cluster:usage:containers:sum': { description: 'Running containers.', unit: '{container}' },
  'cluster:memory_usage_bytes:sum': { description: 'Memory in use.', unit: 'By' },
};
const describe = (name: string): MetricDescription =>
  DESCRIPTIONS[name] ?? { description: '', unit: '' };

const label = (name: string, value: string) => ({ name, value });
const series: Series[] = [
  {
    labels: [
      label('__name__', 'cluster:memory_usage_bytes:sum'),
      label('_id', resource.serviceInstanceId),
      label('type', 'microshift-rpm'),
    ],
    samples: [
      { value: 552964096, timestampMs: 1796184013493 },
      { value: 552960000.5, timestampMs: 1796187613493 },
    ],
  },
  {
    labels: [
      label('__name__', 'cluster:usage:containers:sum'),
      label('_id', resource.serviceInstanceId),
      // Non-ASCII and empty values go through as they are.
      label('namespace_kind', 'système'),
      label('note', ''),
    ],
    samples: [{ value: 0, timestampMs: 1796184013000 }],
  },
  {
    labels: [
      label('__name__', 'cluster:memory_usage_bytes:sum'),
      label('_id', resource.serviceInstanceId),
      label('type', 'rhde'),
    ],
    samples: [{ value: -1.25e-3, timestampMs: 1 }],
  },
];

t.test('the resource says the service, its version and the cluster', async (t) => {
  const decoded = decode(encodeExportMetricsRequest(resource, metricsOf(series, describe)));
  t.equal(decoded.resourceMetrics.length, 1);
  const resourceMetrics = first(decoded.resourceMetrics);
  t.same(
    resourceMetrics.resource.attributes.map((kv) => [kv.key, kv.value.stringValue]),
    [
      ['service.name', 'edge-telemetry'],
      ['service.version', '0.1.0'],
      ['service.instance.id', resource.serviceInstanceId],
    ],
  );
  t.equal(resourceMetrics.scopeMetrics.length, 1);
  t.equal(first(resourceMetrics.scopeMetrics).scope.name, 'edge-telemetry');
  t.equal(first(resourceMetrics.scopeMetrics).scope.version, '0.1.0');
});

t.test(
  'one Gauge per metric name, in first-seen order, with its description and unit; one data point per sample',
  async (t) => {
    const decoded = decode(encodeExportMetricsRequest(resource, metricsOf(series, describe)));
    const metrics = first(first(decoded.resourceMetrics).scopeMetrics).metrics;
    t.same(
      metrics.map((metric) => [metric.name, metric.description, metric.unit, metric.data]),
      [
        ['cluster:memory_usage_bytes:sum', 'Memory in use.', 'By', 'gauge'],
        ['cluster:usage:containers:sum', 'Running containers.', '{container}', 'gauge'],
      ],
    );
    const points = (index: number) =>
      (metrics[index] as DecodedMetric).gauge.dataPoints.map((point) => ({
        attributes: point.attributes.map((kv) => [kv.key, kv.value.stringValue]),
        timeUnixNano: point.timeUnixNano,
        asDouble: point.asDouble,
        startTimeUnixNano: point.startTimeUnixNano,
      }));
    const id = resource.serviceInstanceId;
    t.same(points(0), [
      {
        attributes: [
          ['_id', id],
          ['type', 'microshift-rpm'],
        ],
        timeUnixNano: '1796184013493000000',
        asDouble: 552964096,
        startTimeUnixNano: '0',
      },
      {
        attributes: [
          ['_id', id],
          ['type', 'microshift-rpm'],
        ],
        timeUnixNano: '1796187613493000000',
        asDouble: 552960000.5,
        startTimeUnixNano: '0',
      },
      {
        attributes: [
          ['_id', id],
          ['type', 'rhde'],
        ],
        timeUnixNano: '1000000',
        asDouble: -1.25e-3,
        startTimeUnixNano: '0',
      },
    ]);
    t.same(points(1), [
      {
        attributes: [
          ['_id', id],
          ['namespace_kind', 'système'],
          ['note', ''],
        ],
        timeUnixNano: '1796184013000000000',
        asDouble: 0,
        startTimeUnixNano: '0',
      },
    ]);
  },
);

t.test(
  'the same (name, attributes, timestamp, value) set as the series hold, nothing more',
  async (t) => {
    const decoded = decode(encodeExportMetricsRequest(resource, metricsOf(series, describe)));
    const fromOtlp = first(first(decoded.resourceMetrics).scopeMetrics)
      .metrics.flatMap((metric) =>
        metric.gauge.dataPoints.map((point) =>
          JSON.stringify([
            metric.name,
            point.attributes.map((kv) => `${kv.key}=${kv.value.stringValue}`).sort(),
            point.timeUnixNano,
            point.asDouble,
          ]),
        ),
      )
      .sort();
    const fromSeries = series
      .flatMap((entry) =>
        entry.samples.map((sample) =>
          JSON.stringify([
            entry.labels.find((l) => l.name === '__name__')?.value,
            entry.labels
              .filter((l) => l.name !== '__name__')
              .map((l) => `${l.name}=${l.value}`)
              .sort(),
            String(BigInt(sample.timestampMs) * 1_000_000n),
            sample.value,
          ]),
        ),
      )
      .sort();
    t.same(fromOtlp, fromSeries);
  },
);

t.test(
  'protobufjs encodes the same message from the same data to bytes that decode alike',
  async (t) => {
    const ours = encodeExportMetricsRequest(resource, metricsOf(series, describe));
    const theirs = Request.encode(Request.fromObject(decode(ours))).finish();
    t.same(decode(theirs), decode(ours));
    t.equal(Request.verify(Request.decode(ours)), null, 'a valid ExportMetricsServiceRequest');
  },
);

t.test('no metrics: a request with the resource and an empty scope', async (t) => {
  const decoded = decode(encodeExportMetricsRequest(resource, []));
  t.equal(decoded.resourceMetrics.length, 1);
  t.same(first(first(decoded.resourceMetrics).scopeMetrics).metrics, []);
});
