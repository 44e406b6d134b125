// Old data never blocks new: a receiver that refuses every request holding a
// sample older than a cutoff, as Prometheus and Mimir do (400, for the whole
// request) and as Thanos receive does (503, for ever). The current values must
// arrive at every send, and nothing loops.
import t from 'tap';
import { MemorySampleBuffer } from '../../src/buffer/memory-buffer.js';
import { sendReport } from '../../src/deliver/send-report.js';
import { MAX_SET_ASIDE_PER_SEND, SET_ASIDE_LIMIT } from '../../src/deliver/set-aside.js';
import type { MetricPoint, Series } from '../../src/base/model.js';
import { fixedCollector, sendDeps } from '../helpers/send-deps.js';
import { startScriptedReceiver } from '../helpers/scripted-receiver.js';

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;
const SERIES = 5;

function tick(minute: number): MetricPoint[] {
  return Array.from({ length: SERIES }, (_, s) => ({
    name: 'cluster:usage:resources:sum',
    labels: { resource: `r${s}` },
    value: minute,
    timestampMs: T0 + minute * MINUTE,
  }));
}

const oldestMs = (series: readonly Series[]) =>
  Math.min(...series.flatMap((item) => item.samples.map((sample) => sample.timestampMs)));

for (const status of [400, 503]) {
  t.test(
    `a receiver that answers ${status} to any request holding a sample older than the cutoff`,
    async (t) => {
      // 300 one-minute ticks; the receiver takes nothing older than minute 290.
      const cutoffMs = T0 + 290 * MINUTE;
      const receiver = await startScriptedReceiver([], { status: 200 }, (series) =>
        oldestMs(series) < cutoffMs ? { status, body: 'out of bounds' } : undefined,
      );
      t.teardown(receiver.close);
      const buffer = new MemorySampleBuffer({ maxSamples: 100_000, maxAgeMs: 1e12 });
      for (let minute = 0; minute < 300; minute++) await buffer.append(tick(minute));
      const deps = sendDeps(receiver.url, {
        buffer,
        collectors: [fixedCollector('static', 'cluster:capacity_cpu_cores:sum', () => 4)],
        retry: { maxAttempts: 2, minDelayMs: 1, maxDelayMs: 1, maxElapsedMs: 1000 },
        // Small requests, so the backlog spans several.
        maxRequestBytes: 2048,
      });
      const accepted = () => receiver.requests.filter((request) => request.answeredStatus === 200);
      const newestArrived = (minute: number) =>
        accepted().some((request) =>
          request.series.some((item) =>
            item.samples.some((sample) => sample.timestampMs === T0 + minute * MINUTE),
          ),
        );
      const staticArrivals = () =>
        accepted().filter((request) =>
          request.series.some((item) =>
            item.labels.some((label) => label.value === 'cluster:capacity_cpu_cores:sum'),
          ),
        ).length;

      const sendsAndRequests: number[] = [];
      for (let send = 1; send <= SET_ASIDE_LIMIT + 1; send++) {
        const before = receiver.requests.length;
        await sendReport(deps, AbortSignal.timeout(60_000));
        t.ok(newestArrived(299 + send - 1), `send ${send}: the newest tick arrived`);
        t.equal(staticArrivals(), send, `send ${send}: the static snapshot arrived`);
        sendsAndRequests.push(receiver.requests.length - before);
        await buffer.append(tick(299 + send));
      }
      const arrived = new Map<string, number[]>();
      for (const request of accepted()) {
        for (const item of request.series) {
          const resource = item.labels.find((label) => label.name === 'resource')?.value;
          if (resource !== undefined)
            arrived.set(resource, [
              ...(arrived.get(resource) ?? []),
              ...item.samples.map((sample) => sample.timestampMs),
            ]);
        }
      }
      const refusedRequests = receiver.requests.filter((request) => request.answeredStatus !== 200);
      t.ok(
        refusedRequests.every((request) => oldestMs(request.series) < cutoffMs),
        'only requests holding old samples were refused',
      );
      if (status === 400) {
        // Refused for good: each old request is dropped once, at the first send; the rest arrives in order.
        t.equal(
          new Set(refusedRequests.map((request) => JSON.stringify(request.series))).size,
          refusedRequests.length,
          'no refused request sent twice',
        );
        for (const [resource, timestamps] of arrived) {
          t.ok(
            timestamps.every((ms, i) => i === 0 || ms > (timestamps[i - 1] as number)),
            `${resource}: oldest first, each once`,
          );
          const last = T0 + (299 + SET_ASIDE_LIMIT) * MINUTE;
          t.equal(timestamps.at(-1), last, `${resource}: up to the newest tick`);
          t.same(
            timestamps,
            Array.from(
              { length: timestamps.length },
              (_, i) => last - (timestamps.length - 1 - i) * MINUTE,
            ),
            `${resource}: no gap after the first sample taken`,
          );
        }
        const left = (await buffer.read({ afterSeq: 0, maxPoints: 100 })).points.map(
          (entry) => entry.point.timestampMs,
        );
        t.same(
          left,
          Array(SERIES).fill(T0 + (300 + SET_ASIDE_LIMIT) * MINUTE),
          'nothing left to loop on: only the tick taken after the last send',
        );
      } else {
        // 503 for ever: one request set aside (2 attempts; at the limit it is dropped and the next one is),
        // at most MAX_SET_ASIDE_PER_SEND more tried once, then the current values.
        // Each send: the first backlog request with its 2 attempts, MAX_SET_ASIDE_PER_SEND more once each, the current values.
        t.same(
          sendsAndRequests,
          Array(SET_ASIDE_LIMIT + 1).fill(2 + MAX_SET_ASIDE_PER_SEND + 1),
          'exactly that many requests at every send',
        );
        // The request set aside at every send is dropped at the SET_ASIDE_LIMIT-th (its 100 samples, 20 ticks at
        // 2048 bytes a request); each send delivered its newest tick; the rest is kept, not sent in a loop.
        const appended = (300 + SET_ASIDE_LIMIT + 1) * SERIES;
        t.same(buffer.stats().dropped, { rejected: 100 });
        t.equal(
          buffer.size,
          appended - (SET_ASIDE_LIMIT + 1) * SERIES - 100,
          'the refused backlog is kept (maxBufferedAge bounds it)',
        );
      }
    },
  );
}

t.test(
  'a send that reaches no receiver neither counts nor resets the request set aside',
  async (t) => {
    // Thanos' 503 for the old samples, as above; one send in the middle finds nothing listening.
    const cutoffMs = T0 + 290 * MINUTE;
    const receiver = await startScriptedReceiver([], { status: 200 }, (series) =>
      oldestMs(series) < cutoffMs ? { status: 503, body: 'out of bounds' } : undefined,
    );
    t.teardown(receiver.close);
    const buffer = new MemorySampleBuffer({ maxSamples: 100_000, maxAgeMs: 1e12 });
    for (let minute = 0; minute < 300; minute++) await buffer.append(tick(minute));
    const retry = { maxAttempts: 2, minDelayMs: 1, maxDelayMs: 1, maxElapsedMs: 1000 };
    const deps = sendDeps(receiver.url, { buffer, retry, maxRequestBytes: 2048 });
    // Port 9 (discard) on loopback: nothing listens there on a test machine, so every attempt is refused.
    const down = { ...deps, transport: sendDeps('http://127.0.0.1:9/api/v1/write').transport };
    const failures: (string | undefined)[] = [];
    for (let send = 1; send < SET_ASIDE_LIMIT; send++) {
      failures.push((await sendReport(deps, AbortSignal.timeout(60_000))).failure);
      await buffer.append(tick(299 + send));
    }
    t.same(
      failures,
      Array(SET_ASIDE_LIMIT - 1).fill(
        `${MAX_SET_ASIDE_PER_SEND + 1} backlog requests set aside (HTTP 503), kept for the next send`,
      ),
      'what status says of each: kept, not dropped',
    );
    t.same(buffer.stats().dropped, {}, `set aside ${SET_ASIDE_LIMIT - 1} sends in a row: kept`);
    const unreachable = await sendReport(down, AbortSignal.timeout(60_000));
    t.equal(unreachable.ok, false);
    t.equal(unreachable.requests, 1, 'the first request, then the send ends');
    t.same(buffer.stats().dropped, {}, 'a send nobody answered drops nothing');
    const last = await sendReport(deps, AbortSignal.timeout(60_000));
    t.equal(
      last.failure,
      `${MAX_SET_ASIDE_PER_SEND + 1} backlog requests set aside (HTTP 503), kept for the next send; 100 samples refused for good and dropped`,
    );
    t.same(
      buffer.stats().dropped,
      { rejected: 100 },
      `dropped at the ${SET_ASIDE_LIMIT}th send the receiver answered, the unreachable one not counted`,
    );
  },
);

for (const answer of [
  { status: 503, body: 'no healthy upstream' },
  { status: 429, headers: { 'Retry-After': '999999' }, body: 'slow down' },
]) {
  t.test(
    `an outage answering ${answer.status} to everything never costs the backlog, however many sends it lasts`,
    async (t) => {
      let down = true;
      const receiver = await startScriptedReceiver([], { status: 200 }, () =>
        down ? answer : undefined,
      );
      t.teardown(receiver.close);
      const buffer = new MemorySampleBuffer({ maxSamples: 100_000, maxAgeMs: 1e12 });
      for (let minute = 0; minute < 300; minute++) await buffer.append(tick(minute));
      const deps = sendDeps(receiver.url, {
        buffer,
        collectors: [fixedCollector('static', 'cluster:capacity_cpu_cores:sum', () => 4)],
        retry: { maxAttempts: 2, minDelayMs: 1, maxDelayMs: 1, maxElapsedMs: 1000 },
        maxRequestBytes: 2048,
      });
      const sends = 2 * SET_ASIDE_LIMIT + 1;
      for (let send = 1; send <= sends; send++) {
        const summary = await sendReport(deps, AbortSignal.timeout(60_000));
        t.equal(summary.samplesDropped, 0, `send ${send} during the outage: nothing dropped`);
        t.equal(summary.delivered, 0, `send ${send}: nothing delivered`);
      }
      t.equal(buffer.size, 300 * SERIES, 'every buffered sample is still held');
      t.same(buffer.stats().dropped, {}, 'no drop counted');
      down = false;
      const summary = await sendReport(deps, AbortSignal.timeout(60_000));
      t.equal(summary.ok, true, 'the receiver back: everything goes');
      t.equal(summary.samplesSent, 300 * SERIES + 1, 'every buffered sample and the static one');
      t.equal(buffer.size, 0);
    },
  );
}
