// A remote-write receiver whose answers a test scripts (503, 429 + Retry-After,
// 400, 413, ...). Real HTTP on 127.0.0.1; it decodes what it receives with the
// same checks as the telemeter receiver.
import http from 'node:http';
import { decodeWriteRequest, parseTelemeterAuth } from '../../src/receiver/decode.js';
import type { Series } from '../../src/model.js';

export interface ScriptedAnswer {
  readonly status: number;
  /** Fixed, or made from the request (a receiver that echoes what it was sent). */
  readonly headers?: Record<string, string> | ((request: http.IncomingMessage) => Record<string, string>);
  readonly body?: string | ((request: http.IncomingMessage) => string);
}

export interface ReceivedRequest {
  readonly atMs: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly bodyBytes: number;
  readonly series: readonly Series[];
  readonly answeredStatus: number;
}

export interface ScriptedReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** TCP connections accepted so far, requests or not (proves that something never connected). */
  readonly connections: number;
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
  /** Whether the request's credentials are acceptable (400 "bad auth" if not); the Telemetry API's bearer by default. */
  authorized: (request: http.IncomingMessage) => boolean = (request) => parseTelemeterAuth(request.headers.authorization) !== undefined,
): Promise<ScriptedReceiver> {
  const requests: ReceivedRequest[] = [];
  const queue = [...script];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const verdict = decodeWriteRequest(body, 64 * 1024 * 1024);
      const answer = (verdict.ok ? judge(verdict.series) : undefined) ?? queue.shift() ?? fallback;
      const valid = verdict.ok && authorized(request);
      const status = valid ? answer.status : 400;
      requests.push({ atMs: performance.now(), headers: request.headers, bodyBytes: body.length, series: verdict.ok ? verdict.series : [], answeredStatus: status });
      const headers = typeof answer.headers === 'function' ? answer.headers(request) : answer.headers ?? {};
      const text = typeof answer.body === 'function' ? answer.body(request) : answer.body ?? '';
      response.writeHead(status, headers).end(valid ? text : verdict.ok ? 'bad auth' : verdict.message);
    });
  });
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}/metrics/v1/receive`,
    requests,
    get connections() {
      return connections;
    },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
