// `edge-telemetry receive`: what Red Hat's telemeter server enforces, on this
// machine, so an admin can see exactly what leaves the node.
import http from 'node:http';
import type { Logger } from '../base/log.js';
import { TELEMETER_BODY_LIMIT_BYTES, TELEMETRY_RECEIVE_PATH } from '../base/telemeter-api.js';
import { REMOTE_WRITE_VERSION } from '../remote-write/headers.js';
import { decodeWriteRequest, parseTelemeterAuth } from './decode.js';
import type { Series } from '../base/model.js';
import { createHttpTransport, type Transport } from '../transport/http-transport.js';
import { USER_AGENT } from '../base/version.js';

/**
 * What the receiver asks of a request's Authorization, so that an admin can
 * try the config a node really has: the Telemetry API's bearer (the
 * default), a plain bearer token, basic credentials, or none.
 */
export type ReceiverAuth =
  | { readonly kind: 'telemeter' }
  | { readonly kind: 'none' }
  | { readonly kind: 'bearer'; readonly token: string }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string };

export interface ReceiverOptions {
  readonly auth?: ReceiverAuth;
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

/** Why a request's Authorization is not what `auth` asks, as the backend would answer; undefined when it is. */
function authRefusal(
  auth: ReceiverAuth,
  header: string | undefined,
): { status: number; message: string } | undefined {
  switch (auth.kind) {
    case 'telemeter':
      return parseTelemeterAuth(header) === undefined
        ? {
            status: 400,
            message:
              'malformed Authorization header: expected Bearer <base64 JSON with authorization_token and cluster_id>',
          }
        : undefined;
    case 'none':
      return undefined;
    case 'bearer':
      return header === `Bearer ${auth.token}`
        ? undefined
        : { status: 401, message: 'unauthorized: expected the bearer token given to --auth' };
    case 'basic': {
      const expected = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
      return header === expected
        ? undefined
        : { status: 401, message: 'unauthorized: expected the basic credentials given to --auth' };
    }
  }
}

export async function startReceiver(options: ReceiverOptions): Promise<RunningReceiver> {
  const limit = options.maxBodyBytes ?? TELEMETER_BODY_LIMIT_BYTES;
  const forward: Transport | undefined =
    options.forwardUrl === undefined
      ? undefined
      : createHttpTransport({ url: options.forwardUrl, proxy: '', timeoutMs: 30_000 });
  const server = http.createServer((request, response) => {
    const reply = (status: number, message: string) => {
      if (status >= 400) options.log.warn('request refused', { status, reason: message });
      response
        .writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' })
        .end(message + '\n');
    };
    const auth = options.auth ?? { kind: 'telemeter' };
    // The Telemetry API's one path; another backend's (/api/v1/write, Thanos' /api/v1/receive) is taken at any path.
    if (auth.kind === 'telemeter' && request.url?.split('?')[0] !== TELEMETRY_RECEIVE_PATH)
      return reply(404, `not found; POST to ${TELEMETRY_RECEIVE_PATH}`);
    if (request.method !== 'POST') return reply(405, 'method not allowed');
    const refusal = authRefusal(auth, request.headers.authorization);
    if (refusal !== undefined) {
      request.resume();
      return reply(refusal.status, refusal.message);
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
      if (tooLarge)
        return reply(413, `request body of ${size} bytes is at or over the ${limit}-byte limit`);
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
