// A remote-write receiver whose answers a test scripts (503, 429 + Retry-After,
// 400, 413, ...). Real HTTP on 127.0.0.1; it decodes what it receives with the
// same checks as the telemeter receiver.
import http from 'node:http';
import https from 'node:https';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import { decodeWriteRequest, parseTelemeterAuth } from '../../src/receiver/decode.js';
import type { Series } from '../../src/base/model.js';

export interface ScriptedAnswer {
  readonly status: number;
  /** Fixed, or made from the request (a receiver that echoes what it was sent). */
  readonly headers?:
    Record<string, string> | ((request: http.IncomingMessage) => Record<string, string>);
  readonly body?: string | ((request: http.IncomingMessage) => string);
}

export interface ReceivedRequest {
  readonly atMs: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly bodyBytes: number;
  readonly series: readonly Series[];
  readonly answeredStatus: number;
  /** Over TLS: the client certificate's subject CN, '' without one. */
  readonly clientCn?: string;
}

export interface ScriptedReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** TCP connections accepted so far, requests or not (proves that something never connected). */
  readonly connections: number;
  /** An https receiver: replaces its certificate for the next connections (a receiver rotating its own). */
  setSecureContext(options: SecureContextOptions): void;
  close(): Promise<void>;
}

/**
 * Answers follow `script` in order, then `fallback` (200 by default) for every
 * later request. `judge`, when given, answers first for what it recognises
 * (e.g. a request holding samples older than some time), whatever the script says.
 */
export async function startScriptedReceiver(
  script: readonly ScriptedAnswer[],
  fallback: ScriptedAnswer = { status: 200 },
  judge: (series: readonly Series[]) => ScriptedAnswer | undefined = () => undefined,
  /**
   * `tls`: an https receiver with these options (key, cert, requestCert, ...).
   * `authorized`: whether the request's credentials are acceptable (400 "bad auth" if not); the Telemetry API's bearer by default.
   */
  options: {
    tls?: https.ServerOptions;
    authorized?: (request: http.IncomingMessage) => boolean;
  } = {},
): Promise<ScriptedReceiver> {
  const authorized =
    options.authorized ??
    ((request: http.IncomingMessage) =>
      parseTelemeterAuth(request.headers.authorization) !== undefined);
  const requests: ReceivedRequest[] = [];
  const queue = [...script];
  const handler = (request: http.IncomingMessage, response: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const verdict = decodeWriteRequest(body, 64 * 1024 * 1024);
      const answer = (verdict.ok ? judge(verdict.series) : undefined) ?? queue.shift() ?? fallback;
      const valid = verdict.ok && authorized(request);
      const status = valid ? answer.status : 400;
      const socket = request.socket as Partial<TLSSocket>;
      // Without a client certificate getPeerCertificate() is {}: no subject, whatever its type says.
      const clientCn =
        socket.getPeerCertificate === undefined
          ? {}
          : // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
            { clientCn: String(socket.getPeerCertificate().subject?.CN ?? '') };
      requests.push({
        atMs: performance.now(),
        headers: request.headers,
        bodyBytes: body.length,
        series: verdict.ok ? verdict.series : [],
        answeredStatus: status,
        ...clientCn,
      });
      const headers =
        typeof answer.headers === 'function' ? answer.headers(request) : (answer.headers ?? {});
      const text = typeof answer.body === 'function' ? answer.body(request) : (answer.body ?? '');
      response
        .writeHead(status, headers)
        .end(valid ? text : verdict.ok ? 'bad auth' : verdict.message);
    });
  };
  const server =
    options.tls === undefined
      ? http.createServer(handler)
      : https.createServer(options.tls, handler);
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${address.port}/metrics/v1/receive`,
    requests,
    get connections() {
      return connections;
    },
    setSecureContext(secure) {
      if (!(server instanceof https.Server)) throw new Error('not an https receiver');
      server.setSecureContext(secure);
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
