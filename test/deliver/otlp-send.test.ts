// One send to an OTLP destination over real HTTP, against the OTLP test
// receiver (test/helpers/otlp-receiver.ts: protobufjs over the official
// opentelemetry-proto files; no collector is installable here). Each reply the
// OTLP/HTTP specification describes, and what it means for the samples.
import t, { type Test } from 'tap';
import { sendReport, type SendDeps } from '../../src/deliver/send-report.js';
import { wireProtocol } from '../../src/deliver/wire-format.js';
import { createHttpTransport } from '../../src/transport/http-transport.js';
import { requestHeaders } from '../../src/remote-write/headers.js';
import { MemorySampleBuffer } from '../../src/buffer/memory-buffer.js';
import { formatLine, type Logger } from '../../src/base/log.js';
import { startOtlpReceiver, type OtlpAnswer } from '../helpers/otlp-receiver.js';
import { sendDeps } from '../helpers/send-deps.js';

const OTLP = wireProtocol('otlp');
const SECRET = 'tenant-key-5f1c9e';
const T0 = Date.now() - 60_000;

function logCollector(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const at =
    (level: 'error' | 'warn' | 'info' | 'debug') =>
    (message: string, fields?: Record<string, unknown>) =>
      lines.push(formatLine(level, message, fields as never));
  return {
    log: { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') },
    lines,
  };
}

/**
 * Four buffered samples (two ticks of two series) and an OTLP destination
 * answering `answer`: a send is two requests, the older tick (the backlog),
 * then the newest (the current values).
 */
async function setup(t: Test, answer: (index: number) => OtlpAnswer) {
  const receiver = await startOtlpReceiver();
  t.teardown(receiver.stop);
  receiver.answer = (_request, index) => answer(index);
  const buffer = new MemorySampleBuffer({ maxSamples: 100, maxAgeMs: 86_400_000 });
  for (const tick of [0, 1])
    await buffer.append([
      {
        name: 'cluster:cpu_usage_cores:sum',
        labels: {},
        value: 1 + tick,
        timestampMs: T0 + tick * 1000,
      },
      {
        name: 'cluster:memory_usage_bytes:sum',
        labels: {},
        value: 2e9 + tick,
        timestampMs: T0 + tick * 1000,
      },
    ]);
  const { log, lines } = logCollector();
  const deps: SendDeps = {
    ...sendDeps(`${receiver.url}/v1/metrics`, { collectors: [] }, log),
    buffer,
    transport: createHttpTransport({
      url: `${receiver.url}/v1/metrics`,
      proxy: '',
      timeoutMs: 5000,
      reply: OTLP.replies,
    }),
    protocol: OTLP,
    resolveAuth: async () => ({
      ok: true,
      headers: requestHeaders(
        'edge-telemetry/test',
        [{ name: 'X-Api-Key', value: SECRET, secret: true }],
        { type: 'none' },
        OTLP.contentHeaders,
      ),
      secrets: [SECRET],
    }),
    retry: { maxAttempts: 3, minDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 10_000 },
  };
  return { receiver, buffer, deps, lines };
}

t.test('a 200: every point stored, the buffer emptied, OTLP content headers only', async (t) => {
  const { receiver, buffer, deps } = await setup(t, () => ({}));
  const summary = await sendReport(deps, new AbortController().signal);
  t.match(summary, { ok: true, samplesSent: 4, samplesDropped: 0 });
  t.equal(buffer.size, 0);
  t.equal(receiver.stored.length, 4);
  const headers = receiver.requests[0]?.headers ?? {};
  t.equal(headers['content-type'], 'application/x-protobuf');
  t.notOk(headers['x-prometheus-remote-write-version'], 'no remote-write header on OTLP');
  t.not(headers['content-encoding'], 'snappy');
});

t.test(
  'a partial success: the rejected points are dropped and counted, the message logged scrubbed',
  async (t) => {
    const { buffer, deps, lines } = await setup(t, (index) =>
      index === 0
        ? { rejected: { points: 1, message: `attributes refused for key ${SECRET}` } }
        : {},
    );
    const summary = await sendReport(deps, new AbortController().signal);
    t.match(summary, { samplesSent: 3, samplesDropped: 1 });
    t.equal(buffer.size, 0, 'the request was taken: nothing is sent again');
    t.same(buffer.stats().dropped, { rejected: 1 });
    const line = lines.find((entry) => entry.includes('refused some of its points'));
    t.match(line, /refused=1/);
    t.match(line, /attributes refused for key/);
    t.notMatch(lines.join('\n'), new RegExp(SECRET), 'the echoed secret is scrubbed');
  },
);

t.test('503 then 200: retried, delivered once', async (t) => {
  const { receiver, buffer, deps } = await setup(t, (index) =>
    index === 0 ? { status: 503, message: 'busy', retryAfter: '0' } : {},
  );
  const summary = await sendReport(deps, new AbortController().signal);
  t.match(summary, { ok: true, samplesSent: 4 });
  t.equal(receiver.requests.length, 3, 'the backlog request twice, the current one once');
  t.equal(buffer.size, 0);
});

t.test(
  '500 is not retried (OTLP retries 429, 502, 503, 504 only): the request is dropped',
  async (t) => {
    const { receiver, buffer, deps, lines } = await setup(t, () => ({
      status: 500,
      message: 'internal: exporter crashed',
    }));
    const summary = await sendReport(deps, new AbortController().signal);
    t.equal(receiver.requests.length, 2, 'one attempt of each request');
    t.match(summary, { ok: false, samplesDropped: 4 });
    t.equal(buffer.size, 0);
    t.match(
      lines.join('\n'),
      /internal: exporter crashed \(code 14\)/,
      'the google.rpc.Status body is decoded for the log line',
    );
  },
);

t.test('401: kept, with a hint, nothing dropped', async (t) => {
  const { receiver, buffer, deps } = await setup(t, () => ({ status: 401, message: 'no' }));
  const summary = await sendReport(deps, new AbortController().signal);
  t.equal(receiver.requests.length, 1);
  t.match(summary, { ok: false, samplesDropped: 0 });
  t.equal(buffer.size, 4, 'everything kept for the next send');
});
