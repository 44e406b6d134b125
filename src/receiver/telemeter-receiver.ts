// `edge-telemetry receive`: what Red Hat's telemeter server enforces, on this
// machine, so an admin can see exactly what leaves the node.
import http from 'node:http';
import type { Logger } from '../log.js';
import { TELEMETER_BODY_LIMIT_BYTES, TELEMETRY_RECEIVE_PATH } from '../telemeter-api.js';
import { REMOTE_WRITE_VERSION } from '../remote-write/headers.js';
import { decodeWriteRequest, parseTelemeterAuth } from './decode.js';
import type { Series } from '../model.js';
import { createHttpTransport, type Transport } from '../transport/http-transport.js';
import { USER_AGENT } from '../version.js';

export interface ReceiverOptions {
  readonly host: string;
  readonly port: number;
  readonly forwardUrl?: string;
  readonly log: Logger;
  /** Called with every accepted request. */
  readonly onAccepted?: (series: readonly Series[], clusterId: string) => void;
  readonly maxBodyBytes?: number;
}

export interface RunningReceiver {
  readonly url: string;
  close(): Promise<void>;
}

/** Uncompressed WriteRequests bigger than this are refused rather than inflated into memory. */
const MAX_UNCOMPRESSED_BYTES = 32 * 1024 * 1024;

export async function startReceiver(options: ReceiverOptions): Promise<RunningReceiver> {
  const limit = options.maxBodyBytes ?? TELEMETER_BODY_LIMIT_BYTES;
  const forward: Transport | undefined =
    options.forwardUrl === undefined ? undefined : createHttpTransport({ url: options.forwardUrl, proxy: '', timeoutMs: 30_000 });
  const server = http.createServer((request, response) => {
    const reply = (status: number, message: string) => {
      if (status >= 400) options.log.warn('request refused', { status, reason: message });
      response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(message + '\n');
    };
    if (request.url?.split('?')[0] !== TELEMETRY_RECEIVE_PATH) return reply(404, `not found; POST to ${TELEMETRY_RECEIVE_PATH}`);
    if (request.method !== 'POST') return reply(405, 'method not allowed');
    const auth = parseTelemeterAuth(request.headers.authorization);
    if (auth === undefined) {
      request.resume();
      return reply(400, 'malformed Authorization header: expected Bearer <base64 JSON with authorization_token and cluster_id>');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size >= limit) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('error', () => response.destroy());
    request.on('end', () => {
      if (tooLarge) return reply(413, `request body of ${size} bytes is at or over the ${limit}-byte limit`);
      const body = Buffer.concat(chunks);
      const verdict = decodeWriteRequest(body, MAX_UNCOMPRESSED_BYTES);
      if (!verdict.ok) return reply(verdict.status, verdict.message);
      options.onAccepted?.(verdict.series, verdict.clusterId);
      if (forward === undefined) return reply(200, 'ok');
      forward
        .post(
          body,
          {
            'Content-Encoding': 'snappy',
            'Content-Type': 'application/x-protobuf',
            'X-Prometheus-Remote-Write-Version': REMOTE_WRITE_VERSION,
            'User-Agent': USER_AGENT,
          },
          AbortSignal.timeout(60_000),
        )
        .then(
          (result) => {
            // The sender retries what the upstream could retry, drops what it refused, splits what was too large.
            switch (result.kind) {
              case 'delivered':
                return reply(200, 'ok');
              case 'refused':
              case 'too-large':
                return reply(result.status, `forward failed: HTTP ${result.status} ${result.body}`);
              case 'configuration':
              case 'redirect':
                return reply(502, `forward failed: upstream answered HTTP ${result.status}`);
              case 'tls':
                return reply(502, `forward failed: ${result.reason}`);
              case 'retryable':
                return reply(503, `forward failed: ${result.reason}`);
              case 'cancelled':
                return reply(503, 'forward failed: no answer in time');
            }
          },
          (error: unknown) => reply(503, `forward failed: ${String(error)}`),
        );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}${TELEMETRY_RECEIVE_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        forward?.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
