// Retries per the remote-write spec, against a real local HTTP receiver whose answers are scripted.
import t from 'tap';
import { sampleOnce, sendReport } from '../../src/agent/send-report.js';
import { classifyResponse, parseRetryAfterMs } from '../../src/transport/send-result.js';
import { startScriptedReceiver } from '../helpers/scripted-receiver.js';
import { sendDeps } from '../helpers/send-deps.js';
import { TOKEN } from '../helpers/files.js';
import type { Logger } from '../../src/log.js';

function recordingLogger(lines: string[]): Logger {
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

t.test('classification table', async (t) => {
  t.equal(classifyResponse(200, '', undefined, 0).kind, 'delivered');
  t.equal(classifyResponse(204, '', undefined, 0).kind, 'delivered');
  for (const status of [500, 502, 503, 504, 429]) t.equal(classifyResponse(status, '', undefined, 0).kind, 'retryable', String(status));
  for (const status of [400, 401, 403, 404, 409, 413, 422]) t.equal(classifyResponse(status, '', undefined, 0).kind, 'rejected', String(status));
  t.equal(classifyResponse(302, '', undefined, 0).kind, 'rejected', 'redirects are not followed with the token');
  t.equal(parseRetryAfterMs('2', 0), 2000);
  t.equal(parseRetryAfterMs('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')), 10_000);
  t.equal(parseRetryAfterMs('soon', 0), undefined);
});

t.test('503 twice then 200: the samples arrive once and leave the buffer', async (t) => {
  const receiver = await startScriptedReceiver([{ status: 503 }, { status: 503 }]);
  t.teardown(receiver.close);
  const deps = sendDeps(receiver.url);
  await sampleOnce(deps, AbortSignal.timeout(5000));
  const summary = await sendReport(deps, AbortSignal.timeout(30_000));
  t.equal(summary.ok, true);
  t.same(receiver.requests.map((r) => r.answeredStatus), [503, 503, 200]);
  t.equal(deps.buffer.size, 0, 'buffer emptied only after the 2xx');
  const delivered = receiver.requests[2]!;
  t.equal(delivered.series.length, 2);
  t.equal(delivered.headers['content-encoding'], 'snappy');
  t.equal(delivered.headers['content-type'], 'application/x-protobuf');
  t.equal(delivered.headers['x-prometheus-remote-write-version'], '0.1.0');
  t.equal(delivered.headers['user-agent'], 'edge-telemetry/test');
  const bearer = JSON.parse(Buffer.from(delivered.headers.authorization!.replace(/^Bearer /, ''), 'base64').toString()) as Record<string, string>;
  t.same(bearer, { authorization_token: TOKEN, cluster_id: 'cluster-0123' });
});

t.test('400: exactly one request, no retry, samples dropped, body logged, token never', async (t) => {
  const receiver = await startScriptedReceiver([{ status: 400, body: `bad series; you sent ${TOKEN}` }]);
  t.teardown(receiver.close);
  const lines: string[] = [];
  const deps = sendDeps(receiver.url, {}, recordingLogger(lines));
  await sampleOnce(deps, AbortSignal.timeout(5000));
  const summary = await sendReport(deps, AbortSignal.timeout(30_000));
  t.equal(summary.ok, false);
  t.equal(receiver.requests.length, 1);
  t.equal(deps.buffer.size, 0, 'a refused request is not resent');
  t.match(lines.join('\n'), /receiver refused the request; its samples are dropped .*"status":400.*bad series; you sent <redacted>/);
  t.notMatch(lines.join('\n'), TOKEN);
});

t.test('429 with Retry-After: 2 waits at least 2 s', async (t) => {
  const receiver = await startScriptedReceiver([{ status: 429, headers: { 'Retry-After': '2' } }]);
  t.teardown(receiver.close);
  const deps = sendDeps(receiver.url);
  const summary = await sendReport(deps, AbortSignal.timeout(30_000));
  t.equal(summary.ok, true);
  t.equal(receiver.requests.length, 2);
  const gap = receiver.requests[1]!.atMs - receiver.requests[0]!.atMs;
  t.ok(gap >= 2000, `second attempt ${Math.round(gap)} ms after the first`);
});

t.test('413: no endless loop', async (t) => {
  const receiver = await startScriptedReceiver([], { status: 413, body: 'too large' });
  t.teardown(receiver.close);
  const deps = sendDeps(receiver.url);
  await sampleOnce(deps, AbortSignal.timeout(5000));
  const summary = await sendReport(deps, AbortSignal.timeout(30_000));
  t.equal(summary.ok, false);
  t.equal(receiver.requests.length, 1);
  t.equal(deps.buffer.size, 0);
});

t.test('a receiver that stays down: bounded attempts, samples kept for the next send', async (t) => {
  const receiver = await startScriptedReceiver([], { status: 500 });
  t.teardown(receiver.close);
  const deps = sendDeps(receiver.url);
  await sampleOnce(deps, AbortSignal.timeout(5000));
  const summary = await sendReport(deps, AbortSignal.timeout(30_000));
  t.equal(summary.ok, false);
  t.equal(receiver.requests.length, 4, 'maxAttempts');
  t.equal(deps.buffer.size, 1, 'kept');
});

t.test('connection refused and garbage servers are retryable failures, not crashes', async (t) => {
  const net = await import('node:net');
  const garbage = net.createServer((socket) => socket.end('NOT HTTP AT ALL\r\n\r\n'));
  await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
  const port = (garbage.address() as { port: number }).port;
  const deps = sendDeps(`http://127.0.0.1:${port}/metrics/v1/receive`, { retry: { maxAttempts: 2, minDelayMs: 10, maxDelayMs: 100, maxElapsedMs: 5000 } });
  await sampleOnce(deps, AbortSignal.timeout(5000));
  const summary = await sendReport(deps, AbortSignal.timeout(10_000));
  t.equal(summary.ok, false);
  t.equal(deps.buffer.size, 1);
  const refused = sendDeps('http://127.0.0.1:1/metrics/v1/receive', { retry: { maxAttempts: 2, minDelayMs: 10, maxDelayMs: 100, maxElapsedMs: 5000 } });
  t.equal((await sendReport(refused, AbortSignal.timeout(10_000))).ok, false);
  garbage.close();
});

t.test('a server that never answers is cut off by the request timeout', async (t) => {
  const http = await import('node:http');
  const silent = http.createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as { port: number }).port;
  const { createHttpTransport } = await import('../../src/transport/http-transport.js');
  const transport = createHttpTransport({ url: `http://127.0.0.1:${port}/`, proxy: '', timeoutMs: 300 });
  const result = await transport.post(new Uint8Array([1]), {}, new AbortController().signal);
  t.same(result, { kind: 'retryable', reason: 'no answer within 300 ms' });
  silent.closeAllConnections();
  silent.close();
});
