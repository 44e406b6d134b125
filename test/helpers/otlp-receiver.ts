// An OTLP/HTTP metrics receiver for tests, built from the protocol itself:
// no OpenTelemetry collector can be installed here (not in Debian 12, not on
// npm), so this stands in for one. It decodes every request fully with
// protobufjs from the official opentelemetry-proto files (proto/opentelemetry/,
// v1.11.0) and answers as the OTLP/HTTP specification says a server does: a
// binary ExportMetricsServiceResponse (with partial_success when told to), or
// an error status with a google.rpc.Status body (googleapis
// google/rpc/status.proto, written out below: it is not in opentelemetry-proto)
// and Retry-After when told to. It refuses what a collector refuses: another
// Content-Type (415), a body that is not the message (400), gzip that is not.
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';

const PROTO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../proto');
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => path.join(PROTO_ROOT, target);
root.loadSync('opentelemetry/proto/collector/metrics/v1/metrics_service.proto');
export const ExportRequest = root.lookupType(
  'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest',
);
export const ExportResponse = root.lookupType(
  'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse',
);
// google/rpc/status.proto: message Status { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }
const rpc = protobuf.Root.fromJSON({
  nested: {
    google: {
      nested: {
        protobuf: {
          nested: {
            Any: {
              fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } },
            },
          },
        },
        rpc: {
          nested: {
            Status: {
              fields: {
                code: { type: 'int32', id: 1 },
                message: { type: 'string', id: 2 },
                details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 },
              },
            },
          },
        },
      },
    },
  },
});
export const RpcStatus = rpc.lookupType('google.rpc.Status');

/** One data point as an OTLP backend stores it: metric name, attributes, time and value. */
export interface OtlpPoint {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly timeUnixNano: string;
  readonly value: number;
  readonly unit: string;
  readonly description: string;
}

export interface OtlpRequest {
  readonly headers: http.IncomingHttpHeaders;
  readonly bodyBytes: number;
  readonly resource: Readonly<Record<string, string>>;
  readonly points: readonly OtlpPoint[];
}

/** How to answer one request; the default is a plain 200. */
export interface OtlpAnswer {
  readonly status?: number;
  /** In a 200: partial_success.rejected_data_points and error_message. */
  readonly rejected?: { readonly points: number; readonly message: string };
  /** An error's google.rpc.Status message. */
  readonly message?: string;
  readonly retryAfter?: string;
  /** Never answer (a receiver that hangs). */
  readonly hang?: boolean;
}

export interface RunningOtlpReceiver {
  readonly url: string;
  /** Every request decoded, in arrival order, answered 2xx or not. */
  readonly requests: OtlpRequest[];
  /** Points of the requests answered 2xx, minus none (a partial success still stored the rest). */
  readonly stored: OtlpPoint[];
  answer: (request: OtlpRequest, index: number) => OtlpAnswer;
  stop(): Promise<void>;
}

interface KeyValue {
  readonly key: string;
  readonly value?: { readonly stringValue?: string };
}

function attributesOf(list: readonly KeyValue[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of list ?? []) out[entry.key] = entry.value?.stringValue ?? '';
  return out;
}

export function decodeExport(body: Buffer): Omit<OtlpRequest, 'headers' | 'bodyBytes'> {
  const message = ExportRequest.toObject(ExportRequest.decode(body), {
    longs: String,
    defaults: true,
  }) as {
    resourceMetrics: {
      resource?: { attributes?: KeyValue[] };
      scopeMetrics: {
        metrics: {
          name: string;
          unit: string;
          description: string;
          gauge?: {
            dataPoints: { attributes?: KeyValue[]; timeUnixNano: string; asDouble: number }[];
          };
        }[];
      }[];
    }[];
  };
  const points: OtlpPoint[] = [];
  let resource: Record<string, string> = {};
  for (const resourceMetrics of message.resourceMetrics) {
    resource = attributesOf(resourceMetrics.resource?.attributes);
    for (const scope of resourceMetrics.scopeMetrics)
      for (const metric of scope.metrics) {
        if (metric.gauge === undefined) throw new Error(`${metric.name}: not a gauge`);
        for (const point of metric.gauge.dataPoints)
          points.push({
            name: metric.name,
            attributes: attributesOf(point.attributes),
            timeUnixNano: point.timeUnixNano,
            value: point.asDouble,
            unit: metric.unit,
            description: metric.description,
          });
      }
  }
  return { resource, points };
}

export async function startOtlpReceiver(): Promise<RunningOtlpReceiver> {
  const requests: OtlpRequest[] = [];
  const stored: OtlpPoint[] = [];
  const hanging = new Set<http.ServerResponse>();
  const receiver: RunningOtlpReceiver = {
    url: '',
    requests,
    stored,
    answer: () => ({}),
    stop: async () => undefined,
  };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const fail = (status: number, message: string) => {
        response.writeHead(status, { 'Content-Type': 'application/x-protobuf' });
        response.end(RpcStatus.encode(RpcStatus.create({ code: 3, message })).finish());
      };
      if (request.method !== 'POST' || request.url !== '/v1/metrics') return fail(404, 'not found');
      if (request.headers['content-type'] !== 'application/x-protobuf')
        return fail(415, `unsupported content type ${String(request.headers['content-type'])}`);
      let body = Buffer.concat(chunks);
      let decoded: Omit<OtlpRequest, 'headers' | 'bodyBytes'>;
      try {
        if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        else if (request.headers['content-encoding'] !== undefined)
          return fail(400, `unsupported content encoding ${request.headers['content-encoding']}`);
        decoded = decodeExport(body);
      } catch (error) {
        return fail(400, `cannot decode: ${(error as Error).message}`);
      }
      const entry: OtlpRequest = { headers: request.headers, bodyBytes: body.length, ...decoded };
      requests.push(entry);
      const answer = receiver.answer(entry, requests.length - 1);
      if (answer.hang === true) {
        hanging.add(response);
        return;
      }
      const status = answer.status ?? 200;
      if (status !== 200) {
        response.writeHead(status, {
          'Content-Type': 'application/x-protobuf',
          ...(answer.retryAfter === undefined ? {} : { 'Retry-After': answer.retryAfter }),
        });
        response.end(
          RpcStatus.encode(
            RpcStatus.create({ code: 14, message: answer.message ?? `HTTP ${status}` }),
          ).finish(),
        );
        return;
      }
      const rejected = answer.rejected;
      // A partial success stores the points it did not name as rejected; which ones is the server's to say, not ours.
      stored.push(...decoded.points.slice(rejected?.points ?? 0));
      response.writeHead(200, { 'Content-Type': 'application/x-protobuf' });
      response.end(
        ExportResponse.encode(
          ExportResponse.create(
            rejected === undefined
              ? {}
              : {
                  partialSuccess: {
                    rejectedDataPoints: rejected.points,
                    errorMessage: rejected.message,
                  },
                },
          ),
        ).finish(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  Object.assign(receiver, {
    url: `http://127.0.0.1:${address.port}`,
    stop: async () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
  return receiver;
}
