// A large backlog through the real send path to a real HTTP receiver: streamed
// in bounded batches, oldest first, each series in timestamp order, nothing
// sent twice when a send fails half way.
import t, { type Test } from 'tap';
import path from 'node:path';
import { DiskSampleBuffer } from '../../src/buffer/disk-buffer.js';
import type { SampleBuffer } from '../../src/buffer/sample-buffer.js';
import { sendReport } from '../../src/deliver/send-report.js';
import { MAX_BATCH_POINTS } from '../../src/deliver/backlog-batches.js';
import type { MetricPoint } from '../../src/base/model.js';
import { silentLogger } from '../../src/base/log.js';
import { fixedCollector, sendDeps } from '../helpers/send-deps.js';
import { startScriptedReceiver, type ScriptedReceiver } from '../helpers/scripted-receiver.js';
import { ownTempDir } from '../helpers/files.js';

/** Temp dirs of this file, removed when it ends. */
const scratch = () => ownTempDir(t);

const SERIES = 10;
const T0 = 1_700_000_000_000;

/** `ticks` one-minute ticks of 10 series, appended 100 ticks at a time (one record each). */
async function fill(buffer: SampleBuffer, ticks: number): Promise<void> {
  for (let start = 0; start < ticks; start += 100) {
    const points: MetricPoint[] = [];
    for (let tick = start; tick < Math.min(ticks, start + 100); tick++) {
      for (let s = 0; s < SERIES; s++)
        points.push({
          name: 'cluster:usage:resources:sum',
          labels: { resource: `r${s}` },
          value: tick * 10 + s,
          timestampMs: T0 + tick * 60_000,
        });
    }
    await buffer.append(points);
  }
}

/** Records what each read asked for and got. */
function recording(buffer: SampleBuffer): {
  buffer: SampleBuffer;
  reads: { asked: number; got: number }[];
} {
  const reads: { asked: number; got: number }[] = [];
  const wrapped: SampleBuffer = {
    kind: buffer.kind,
    get size() {
      return buffer.size;
    },
    get bounds() {
      return buffer.bounds;
    },
    append: (points) => buffer.append(points),
    read: async (options) => {
      const batch = await buffer.read(options);
      reads.push({ asked: options.maxPoints, got: batch.points.length });
      return batch;
    },
    acknowledge: (ranges, outcome) => buffer.acknowledge(ranges, outcome),
    setBounds: (bounds) => buffer.setBounds(bounds),
    seqSpan: () => buffer.seqSpan(),
    countRefused: (count) => buffer.countRefused(count),
    stats: () => buffer.stats(),
    close: () => buffer.close(),
  };
  return { buffer: wrapped, reads };
}

/** Every (series, timestamp) the receiver accepted, in arrival order per series; checks each value. */
function received(t: Test, receiver: ScriptedReceiver): Map<string, number[]> {
  const bySeries = new Map<string, number[]>();
  let wrongValues = 0;
  for (const request of receiver.requests) {
    if (request.answeredStatus !== 200) continue;
    for (const series of request.series) {
      const resource = series.labels.find((label) => label.name === 'resource')?.value;
      if (resource === undefined) continue;
      const list = bySeries.get(resource) ?? [];
      for (const sample of series.samples) {
        if (sample.value !== ((sample.timestampMs - T0) / 60_000) * 10 + Number(resource.slice(1)))
          wrongValues++;
        list.push(sample.timestampMs);
      }
      bySeries.set(resource, list);
    }
  }
  t.equal(wrongValues, 0, 'every value arrived as buffered');
  return bySeries;
}

const deps = (url: string, buffer: SampleBuffer) =>
  sendDeps(url, {
    buffer,
    collectors: [fixedCollector('static', 'cluster:capacity_cpu_cores:sum', () => 4)],
    retry: { maxAttempts: 1, minDelayMs: 1, maxDelayMs: 1, maxElapsedMs: 1000 },
  });

t.test(
  '200,000 buffered samples: streamed in bounded batches, every one once, oldest first',
  async (t) => {
    const dir = path.join(await scratch(), 'buffer');
    const disk = await DiskSampleBuffer.open({
      dir,
      bounds: { maxSamples: 1_000_000, maxAgeMs: 1e12 },
      log: silentLogger,
      now: () => T0,
    });
    await fill(disk, 20_000);
    t.equal(disk.size, 200_000);
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const { buffer, reads } = recording(disk);
    const summary = await sendReport(deps(receiver.url, buffer), AbortSignal.timeout(600_000));
    t.equal(summary.ok, true);
    t.equal(summary.samplesSent, 200_001, 'the backlog plus the static sample');
    t.equal(disk.size, 0, 'everything acknowledged');
    const largest = Math.max(...reads.map((read) => read.got));
    t.ok(
      largest <= MAX_BATCH_POINTS,
      `largest batch read from the buffer: ${largest} points (bound ${MAX_BATCH_POINTS})`,
    );
    t.ok(reads.every((read) => read.got <= read.asked));
    t.ok(reads.length >= 200_000 / MAX_BATCH_POINTS, `${reads.length} reads`);
    t.ok(
      receiver.requests.every((request) => request.bodyBytes < 128 * 1024),
      'every request under maxRequestBytes',
    );
    const bySeries = received(t, receiver);
    t.equal(bySeries.size, SERIES);
    for (const [resource, timestamps] of bySeries) {
      t.equal(timestamps.length, 20_000, `${resource}: every sample`);
      t.ok(
        timestamps.every((ts, i) => i === 0 || ts > (timestamps[i - 1] as number)),
        `${resource}: in timestamp order across requests, none twice`,
      );
    }
    t.comment(
      `${receiver.requests.length} requests, ${reads.length} batches, largest ${largest} points`,
    );
    await disk.close();
  },
);

t.test(
  'a request that still fails half way is set aside: the rest goes in order, it goes at the next send, nothing twice',
  async (t) => {
    const dir = path.join(await scratch(), 'buffer');
    const disk = await DiskSampleBuffer.open({
      dir,
      bounds: { maxSamples: 1_000_000, maxAgeMs: 1e12 },
      log: silentLogger,
      now: () => T0,
    });
    await fill(disk, 3000);
    // Two backlog requests taken, then a 503 for the third (one attempt each here).
    const receiver = await startScriptedReceiver([
      { status: 200 },
      { status: 200 },
      { status: 503 },
    ]);
    t.teardown(receiver.close);
    const first = await sendReport(deps(receiver.url, disk), AbortSignal.timeout(60_000));
    t.equal(first.ok, false, 'not every request was taken');
    t.equal(first.delivered, first.requests - 1, 'every request but the one set aside');
    const setAside = receiver.requests[2];
    const setAsideSamples =
      setAside?.series.reduce((sum, item) => sum + item.samples.length, 0) ?? 0;
    t.equal(disk.size, setAsideSamples, 'only the request set aside is still held');
    await disk.close();
    const reopened = await DiskSampleBuffer.open({
      dir,
      bounds: { maxSamples: 1_000_000, maxAgeMs: 1e12 },
      log: silentLogger,
      now: () => T0,
    });
    t.equal(reopened.size, setAsideSamples, 'and after a restart too');
    const before = receiver.requests.length;
    const second = await sendReport(deps(receiver.url, reopened), AbortSignal.timeout(60_000));
    t.equal(second.ok, true);
    t.equal(reopened.size, 0);
    const samplesOf = (
      series:
        | readonly {
            labels: readonly { name: string; value: string }[];
            samples: readonly { timestampMs: number }[];
          }[]
        | undefined,
    ) =>
      (series ?? [])
        .filter((item) => item.labels.some((label) => label.name === 'resource'))
        .flatMap((item) =>
          item.samples.map(
            (sample) =>
              `${item.labels.find((label) => label.name === 'resource')?.value}@${sample.timestampMs}`,
          ),
        )
        .sort();
    t.same(
      samplesOf(receiver.requests.slice(before).flatMap((request) => request.series)),
      samplesOf(setAside?.series),
      'the next send carries exactly the samples set aside',
    );
    for (const [resource, timestamps] of received(t, receiver)) {
      t.equal(new Set(timestamps).size, 3000, `${resource}: every sample`);
      t.equal(timestamps.length, 3000, `${resource}: none twice`);
      const inFirstSend = timestamps.slice(
        0,
        timestamps.length -
          (setAside?.series.find((item) => item.labels.some((label) => label.value === resource))
            ?.samples.length ?? 0),
      );
      t.ok(
        inFirstSend.every((ts, i) => i === 0 || ts > (inFirstSend[i - 1] as number)),
        `${resource}: the first send oldest first`,
      );
    }
    await reopened.close();
  },
);

t.test(
  "memory.betweenSteps (the daemon's minor collection): once after the static collectors, after each batch read, before each request",
  async (t) => {
    const dir = path.join(await scratch(), 'buffer');
    const disk = await DiskSampleBuffer.open({
      dir,
      bounds: { maxSamples: 1_000_000, maxAgeMs: 1e12 },
      log: silentLogger,
      now: () => T0,
    });
    await fill(disk, 3000);
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const { buffer, reads } = recording(disk);
    const events: string[] = [];
    const traced: SampleBuffer = Object.assign(Object.create(buffer) as SampleBuffer, {
      read: async (options: Parameters<SampleBuffer['read']>[0]) => {
        const batch = await buffer.read(options);
        events.push('read');
        return batch;
      },
    });
    const summary = await sendReport(
      {
        ...deps(receiver.url, traced),
        memory: { afterWork: () => {}, betweenSteps: () => events.push('step') },
      },
      AbortSignal.timeout(60_000),
    );
    t.equal(summary.ok, true);
    t.ok(
      reads.length > 1 && receiver.requests.length > 2,
      `${reads.length} batches, ${receiver.requests.length} requests`,
    );
    t.equal(
      events.filter((event) => event === 'step').length,
      1 + reads.length + receiver.requests.length,
    );
    t.equal(events[0], 'step', 'the first: after the static collectors, before the first read');
    t.ok(
      events.every((event, i) => event !== 'read' || events[i + 1] === 'step'),
      'each read is followed by one',
    );
    await disk.close();
  },
);
