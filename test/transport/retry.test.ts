// The delivery rules of a send, against a real local HTTP receiver whose answers are scripted.
import t from 'tap';
import { sendReport } from '../../src/deliver/send-report.js';
import { sampleOnce } from '../../src/agent/sample-tick.js';
import { classifyResponse, parseRetryAfterMs } from '../../src/transport/send-result.js';
import { startScriptedReceiver } from '../helpers/scripted-receiver.js';
import { sendDeps } from '../helpers/send-deps.js';
import { TOKEN } from '../helpers/files.js';
import type { Logger } from '../../src/base/log.js';

function recordingLogger(lines: string[]): Logger {
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

t.test('classification table', async (t) => {
  const kind = (status: number) => classifyResponse(status, '', {}, 0).kind;
  const table: [number[], string][] = [
    [[200, 201, 204], 'delivered'],
    [[500, 502, 503, 504, 429, 408, 599], 'retryable'],
    [[400, 409, 422, 451], 'refused'],
    [[401, 403, 404, 405, 407, 410, 431], 'configuration'],
    [[413], 'too-large'],
    [[301, 302, 303, 307, 308], 'redirect'],
    [[101, 600], 'retryable'],
  ];
  for (const [statuses, expected] of table)
    for (const status of statuses) t.equal(kind(status), expected, String(status));
  t.match(classifyResponse(401, '', {}, 0), { hint: /pull secret/ });
  t.match(classifyResponse(431, '', {}, 0), { hint: /telemetry\.headers/ });
  t.same(classifyResponse(302, 'moved', { location: 'https://elsewhere/' }, 0), {
    kind: 'redirect',
    status: 302,
    location: 'https://elsewhere/',
    body: 'moved',
  });
  t.match(classifyResponse(503, '', { retryAfter: '7' }, 0), { retryAfterMs: 7000 });
  t.equal(parseRetryAfterMs('2', 0), 2000);
  t.equal(
    parseRetryAfterMs('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')),
    10_000,
  );
  t.equal(parseRetryAfterMs('soon', 0), undefined);
});

t.test('503 twice then 200: the samples arrive once and leave the buffer', async (t) => {
  const receiver = await startScriptedReceiver([{ status: 503 }, { status: 503 }]);
  t.teardown(receiver.close);
  const deps = sendDeps(receiver.url);
  await sampleOnce(deps, AbortSignal.timeout(5000));
  const summary = await sendReport(deps, AbortSignal.timeout(30_000));
  t.equal(summary.ok, true);
  t.same(
    receiver.requests.map((r) => r.answeredStatus),
    [503, 503, 200],
  );
  t.equal(deps.buffer.size, 0, 'buffer emptied only after the 2xx');
  const delivered = receiver.requests[2]!;
  t.equal(delivered.series.length, 2);
  t.equal(delivered.headers['content-encoding'], 'snappy');
  t.equal(delivered.headers['content-type'], 'application/x-protobuf');
  t.equal(delivered.headers['x-prometheus-remote-write-version'], '0.1.0');
  t.equal(delivered.headers['user-agent'], 'edge-telemetry/test');
  const bearer = JSON.parse(
    Buffer.from(delivered.headers.authorization!.replace(/^Bearer /, ''), 'base64').toString(),
  ) as Record<string, string>;
  t.same(bearer, { authorization_token: TOKEN, cluster_id: 'cluster-0123' });
});

t.test(
  '400: exactly one request, no retry, samples dropped, body logged, token never',
  async (t) => {
    const receiver = await startScriptedReceiver([
      { status: 400, body: `bad series; you sent ${TOKEN}` },
    ]);
    t.teardown(receiver.close);
    const lines: string[] = [];
    const deps = sendDeps(receiver.url, {}, recordingLogger(lines));
    await sampleOnce(deps, AbortSignal.timeout(5000));
    const summary = await sendReport(deps, AbortSignal.timeout(30_000));
    t.equal(summary.ok, false);
    t.equal(receiver.requests.length, 1);
    t.equal(deps.buffer.size, 0, 'a refused request is not resent');
    t.match(
      lines.join('\n'),
      /receiver refused the request; its samples are dropped .*"status":400.*bad series; you sent <redacted>/,
    );
    t.notMatch(lines.join('\n'), TOKEN);
    // The counts add up: the refusal line's samples are the summary's dropped (the buffered one and the static one).
    t.match(
      lines.join('\n'),
      /receiver refused the request; its samples are dropped \{"status":400,"series":2,"samples":2,/,
    );
    t.equal(summary.samplesDropped, 2);
  },
);

t.test('401, 403, 404, 407: one request, no retry, samples kept, a hint in the log', async (t) => {
  for (const status of [401, 403, 404, 407]) {
    const receiver = await startScriptedReceiver([], { status });
    const lines: string[] = [];
    const deps = sendDeps(receiver.url, {}, recordingLogger(lines));
    await sampleOnce(deps, AbortSignal.timeout(5000));
    const summary = await sendReport(deps, AbortSignal.timeout(30_000));
    t.equal(summary.ok, false);
    t.equal(receiver.requests.length, 1, `${status}: no retry within the round`);
    t.equal(deps.buffer.size, 1, `${status}: kept for the next send`);
    t.match(
      lines.join('\n'),
      new RegExp(
        `receiver refused the credentials or the URL; samples kept.*"status":${status},"hint":"[^"]*check`,
      ),
    );
    await receiver.close();
  }
});

t.test('3xx: not followed, samples kept, the Location logged', async (t) => {
  const receiver = await startScriptedReceiver([], {
    status: 302,
    headers: { Location: 'https://elsewhere.example/receive' },
  });
  t.teardown(receiver.close);
  const lines: string[] = [];
  const deps = sendDeps(receiver.url, {}, recordingLogger(lines));
  await sampleOnce(deps, AbortSignal.timeout(5000));
  const summary = await sendReport(deps, AbortSignal.timeout(30_000));
  t.equal(summary.ok, false);
  t.equal(receiver.requests.length, 1);
  t.equal(deps.buffer.size, 1);
  t.match(
    lines.join('\n'),
    /redirect, not followed .*"location":"https:\/\/elsewhere\.example\/receive"/,
  );
});

t.test(
  '413 to every body: halved down to one sample, then kept with a hint: the path is at fault, not the data',
  async (t) => {
    // Every request refused: 2 series → the first half, one series with one sample → no request can be smaller.
    const receiver = await startScriptedReceiver([], { status: 413, body: 'too large' });
    t.teardown(receiver.close);
    const lines: string[] = [];
    const deps = sendDeps(receiver.url, {}, recordingLogger(lines));
    await sampleOnce(deps, AbortSignal.timeout(5000));
    const summary = await sendReport(deps, AbortSignal.timeout(30_000));
    t.equal(summary.ok, false);
    t.same(
      receiver.requests.map((request) => request.series.length),
      [2, 1],
      'the request, then its first half; the send stops there (every later request would meet the same limit)',
    );
    t.equal(summary.samplesDropped, 0, 'nothing dropped');
    t.equal(deps.buffer.size, 1, 'the buffered sample stays for the next send');
    t.match(
      lines.join('\n'),
      /^error receiver or a proxy on the way refused a request of one sample as too large \(413\); samples kept.*"hint":"something between here and the receiver takes bodies smaller than any request/m,
    );
    t.notMatch(
      lines.filter((line) => line.startsWith('error')).join('\n'),
      /maxRequestBytes/,
      'no advice to lower maxRequestBytes, which cannot help',
    );
  },
);

t.test(
  '413 to every body with a backlog of 64 samples: at most one request per halving, never one per sample',
  async (t) => {
    const receiver = await startScriptedReceiver([], { status: 413 });
    t.teardown(receiver.close);
    const deps = sendDeps(receiver.url);
    for (let i = 0; i < 64; i++) await sampleOnce(deps, AbortSignal.timeout(5000));
    const summary = await sendReport(deps, AbortSignal.timeout(30_000));
    t.equal(summary.samplesDropped, 0);
    t.equal(deps.buffer.size, 64, 'all kept');
    const sizes = receiver.requests.map((request) =>
      request.series.reduce((sum, series) => sum + series.samples.length, 0),
    );
    t.equal(sizes.at(-1), 1, 'halved down to one sample');
    t.ok(
      sizes.every(
        (size, index) => index === 0 || size <= Math.ceil((sizes[index - 1] as number) / 2),
      ),
      `each request half the one before: ${sizes.join(', ')}`,
    );
    t.ok(
      receiver.requests.length <= 1 + Math.ceil(Math.log2(64)) + 1,
      `${receiver.requests.length} requests`,
    );
  },
);

t.test('408 (a proxy gave up waiting) is retried, then delivered', async (t) => {
  const receiver = await startScriptedReceiver([{ status: 408 }]);
  t.teardown(receiver.close);
  const deps = sendDeps(receiver.url);
  await sampleOnce(deps, AbortSignal.timeout(5000));
  const summary = await sendReport(deps, AbortSignal.timeout(30_000));
  t.equal(summary.ok, true);
  t.same(
    receiver.requests.map((request) => request.answeredStatus),
    [408, 200],
  );
  t.equal(summary.samplesDropped, 0);
  t.equal(deps.buffer.size, 0);
});

t.test(
  '431 (headers too large for a proxy): samples kept, an error naming telemetry.headers, no drop',
  async (t) => {
    const receiver = await startScriptedReceiver([], { status: 431 });
    t.teardown(receiver.close);
    const lines: string[] = [];
    const deps = sendDeps(receiver.url, {}, recordingLogger(lines));
    await sampleOnce(deps, AbortSignal.timeout(5000));
    const summary = await sendReport(deps, AbortSignal.timeout(30_000));
    t.equal(summary.ok, false);
    t.equal(receiver.requests.length, 1, 'one request: every other would carry the same headers');
    t.equal(summary.samplesDropped, 0);
    t.equal(deps.buffer.size, 1);
    t.match(
      lines.join('\n'),
      /^error receiver refused the credentials or the URL; samples kept.*"status":431.*telemetry\.headers/m,
    );
    t.notMatch(lines.join('\n'), /report sent/);
  },
);

t.test('413 once: the two halves are delivered, nothing dropped', async (t) => {
  const receiver = await startScriptedReceiver([{ status: 413 }]);
  t.teardown(receiver.close);
  const deps = sendDeps(receiver.url);
  await sampleOnce(deps, AbortSignal.timeout(5000));
  const summary = await sendReport(deps, AbortSignal.timeout(30_000));
  t.equal(summary.ok, true);
  t.equal(summary.samplesDropped, 0);
  t.same(
    receiver.requests.map((request) => request.answeredStatus),
    [413, 200, 200],
  );
  t.same(
    receiver.requests.map((request) => request.series.length),
    [2, 1, 1],
  );
  t.equal(summary.samplesSent, 2, 'the buffered sample and the static one');
  t.equal(deps.buffer.size, 0);
});

t.test(
  'a receiver that stays down: bounded attempts, samples kept for the next send',
  async (t) => {
    const receiver = await startScriptedReceiver([], { status: 500 });
    t.teardown(receiver.close);
    const deps = sendDeps(receiver.url);
    await sampleOnce(deps, AbortSignal.timeout(5000));
    const summary = await sendReport(deps, AbortSignal.timeout(30_000));
    t.equal(summary.ok, false);
    t.equal(receiver.requests.length, 4, 'maxAttempts');
    t.equal(deps.buffer.size, 1, 'kept');
  },
);

t.test('connection refused and garbage servers are retryable failures, not crashes', async (t) => {
  const net = await import('node:net');
  const garbage = net.createServer((socket) => socket.end('NOT HTTP AT ALL\r\n\r\n'));
  await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
  const port = (garbage.address() as { port: number }).port;
  const deps = sendDeps(`http://127.0.0.1:${port}/metrics/v1/receive`, {
    retry: { maxAttempts: 2, minDelayMs: 10, maxDelayMs: 100, maxElapsedMs: 5000 },
  });
  await sampleOnce(deps, AbortSignal.timeout(5000));
  const summary = await sendReport(deps, AbortSignal.timeout(10_000));
  t.equal(summary.ok, false);
  t.equal(deps.buffer.size, 1);
  const refused = sendDeps('http://127.0.0.1:1/metrics/v1/receive', {
    retry: { maxAttempts: 2, minDelayMs: 10, maxDelayMs: 100, maxElapsedMs: 5000 },
  });
  t.equal((await sendReport(refused, AbortSignal.timeout(10_000))).ok, false);
  garbage.close();
});
