// What a destination's protocol makes of a request and its reply: the body,
// the content headers, which statuses are retried, what a reply says. Remote-write 1.0 (a snappy
// block of a prompb WriteRequest) or OTLP/HTTP (an ExportMetricsServiceRequest
// in binary protobuf, gzip when that is smaller). The planner, the 413 split
// and the send are the same for both; only this differs.
import { lazyZlib } from '../base/lazy-builtins.js';
import { compress } from 'snappyjs';
import { METRIC_NAME_LABEL, type Series } from '../base/model.js';
import { AGENT_VERSION } from '../base/version.js';
import type { ReportIdentity } from '../report/build-report.js';
import { REMOTE_WRITE_REPLIES, type ReplyRules } from '../transport/send-result.js';
import { unitOf } from '../otlp/units.js';
import type { Protocol } from '../config/destinations.js';
import { encodeWriteRequest, estimatedSeriesSize } from '../remote-write/encode.js';
import { REMOTE_WRITE_CONTENT_HEADERS } from '../remote-write/headers.js';
import {
  encodeExportMetricsRequest,
  estimatedSeriesBytes,
  metricsOf,
  type MetricDescription,
  type OtlpResource,
} from '../otlp/encode.js';
import { decodePartialSuccess, statusText, type PartialSuccess } from '../otlp/reply.js';

export interface EncodedBody {
  readonly body: Uint8Array;
  /** The encoded message's size before compression, which the planner learns the ratio from. */
  readonly rawBytes: number;
  /** Set when it differs by request (OTLP's gzip when smaller); the format's contentHeaders hold the fixed ones. */
  readonly contentEncoding?: string;
}

/** How one send encodes its requests (OTLP's resource names the cluster, so a format is made per send). */
export interface WireFormat {
  encode(series: readonly Series[]): EncodedBody;
  estimatedSeriesSize(series: Series): number;
}

/** What a protocol fixes for every request and reply of a destination. */
export interface WireProtocol {
  readonly protocol: Protocol;
  /** Content-Type and the rest the protocol fixes; they go first, before the configured headers. */
  readonly contentHeaders: Readonly<Record<string, string>>;
  /** For the transport: which statuses to retry, how to read an error body, whether a 2xx body matters. */
  readonly replies: ReplyRules;
  /** What the body of a 2xx says the receiver refused anyway (OTLP's partial_success); undefined: nothing. */
  partialRejection(body: Uint8Array): PartialSuccess | undefined;
  /** The encoder for one cluster's requests; `help` gives each metric's HELP text (the collectors'). */
  format(identity: ReportIdentity, help: (name: string) => string): WireFormat;
}

const utf8 = (body: Uint8Array) => Buffer.from(body).toString('utf8');

const REMOTE_WRITE_FORMAT: WireFormat = {
  encode(series) {
    const raw = encodeWriteRequest(series);
    return { body: compress(raw), rawBytes: raw.length };
  },
  estimatedSeriesSize,
};

/** Remote-write 1.0: the transport's own rules (5xx, 429 and 408 retried). */
const REMOTE_WRITE: WireProtocol = {
  protocol: 'remote-write',
  contentHeaders: REMOTE_WRITE_CONTENT_HEADERS,
  replies: REMOTE_WRITE_REPLIES,
  partialRejection: () => undefined,
  format: () => REMOTE_WRITE_FORMAT,
};

/** OTLP/HTTP retries 429, 502, 503 and 504 only; every other 4xx and 5xx must not be retried (the specification). */
const OTLP_RETRYABLE = new Set([429, 502, 503, 504]);

/** OTLP/HTTP, binary protobuf: the resource is this service on this cluster. */
const OTLP: WireProtocol = {
  protocol: 'otlp',
  contentHeaders: { 'Content-Type': 'application/x-protobuf' },
  replies: {
    retryable: (status) => OTLP_RETRYABLE.has(status),
    text: (body, contentType) =>
      /protobuf/i.test(contentType ?? '') ? (statusText(body) ?? '') : utf8(body),
    readSuccessBody: true,
  },
  partialRejection: decodePartialSuccess,
  format(identity, help) {
    const resource: OtlpResource = {
      serviceName: 'edge-telemetry',
      serviceVersion: AGENT_VERSION,
      serviceInstanceId: identity.clusterId,
    };
    const describe = (name: string): MetricDescription => ({
      description: help(name),
      unit: unitOf(name),
    });
    return {
      encode(series) {
        const raw = encodeExportMetricsRequest(resource, metricsOf(series, describe));
        const gzipped = lazyZlib().gzipSync(raw);
        return gzipped.length < raw.length
          ? { body: gzipped, rawBytes: raw.length, contentEncoding: 'gzip' }
          : { body: raw, rawBytes: raw.length };
      },
      estimatedSeriesSize(series) {
        const name = series.labels.find((label) => label.name === METRIC_NAME_LABEL)?.value ?? '';
        return estimatedSeriesBytes(series, describe(name));
      },
    };
  },
};

export function wireProtocol(protocol: Protocol): WireProtocol {
  return protocol === 'otlp' ? OTLP : REMOTE_WRITE;
}
