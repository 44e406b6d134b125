// One phase of bench:backlog in a process of its own, so that its peak RSS
// (VmHWM) is its own. Run with the unit's flags by bench/backlog.mjs.
//   fill DIR            write 30 days of 1-minute ticks to a disk buffer in DIR
//   send DIR URL        open the buffer (timed), flush it to URL (timed)
//   memory URL          the same samples in a memory buffer, flushed to URL
//   two DIR URL         DIR as filled, two destinations: the primary current, the other 30 days
//                       behind; both sent to URL (timed)
import { readFileSync } from 'node:fs';
import { DiskSampleBuffer } from '../dist/buffer/disk-buffer.js';
import { MemorySampleBuffer } from '../dist/buffer/memory-buffer.js';
import { DestinationBuffers } from '../dist/buffer/destination-buffers.js';
import { CursorFiles } from '../dist/buffer/cursor-files.js';
import { sendReport } from '../dist/deliver/send-report.js';
import { SetAsideMemory } from '../dist/deliver/set-aside.js';
import { knownIdentity } from '../dist/deliver/identity-source.js';
import { createHttpTransport } from '../dist/transport/http-transport.js';
import { silentLogger } from '../dist/base/log.js';
import { requestHeaders, requestSecrets } from '../dist/remote-write/headers.js';
import { BACKLOG_BOUNDS, catalogTick, DAYS, TICKS, backlogStart } from './backlog-catalog.mjs';

const [mode, arg1, arg2] = process.argv.slice(2);
const peakRssBytes = () =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;

async function fill(buffer, bulkTicks) {
  for (let start = 0; start < TICKS; start += bulkTicks) {
    const points = [];
    for (let tick = start; tick < Math.min(TICKS, start + bulkTicks); tick++)
      points.push(...catalogTick(tick));
    await buffer.append(points);
  }
}

async function flush(buffer, url) {
  const deps = {
    log: silentLogger,
    collectors: [],
    buffer,
    transport: createHttpTransport({ url, proxy: '', timeoutMs: 30_000 }),
    identity: knownIdentity({ clusterId: 'bench-cluster', deploymentType: 'microshift-rpm' }),
    resolveAuth: async (clusterId) => {
      const auth = { type: 'telemeter', token: 'bench-token', clusterId };
      return {
        ok: true,
        headers: requestHeaders('edge-telemetry/bench', [], auth),
        secrets: requestSecrets([], auth),
      };
    },
    userAgent: 'edge-telemetry/bench',
    retry: { maxAttempts: 3, minDelayMs: 100, maxDelayMs: 1000, maxElapsedMs: 10_000 },
    maxRequestBytes: 128 * 1024,
    collectTimeoutMs: 1000,
    setAside: new SetAsideMemory(),
  };
  const started = performance.now();
  const summary = await sendReport(deps, AbortSignal.timeout(600_000));
  const ms = performance.now() - started;
  deps.transport.close();
  return { ms, summary };
}

const now = () => backlogStart() + DAYS * 86_400_000;
if (mode === 'fill') {
  const buffer = await DiskSampleBuffer.open({
    dir: arg1,
    bounds: BACKLOG_BOUNDS,
    log: silentLogger,
    now,
  });
  // Sixty ticks a record: filling is not what is measured (the daemon writes one tick a record).
  await fill(buffer, 60);
  await buffer.close();
  console.log(JSON.stringify({ samples: buffer.size }));
} else if (mode === 'send') {
  const started = performance.now();
  const buffer = await DiskSampleBuffer.open({
    dir: arg1,
    bounds: BACKLOG_BOUNDS,
    log: silentLogger,
    now,
  });
  const restoreMs = performance.now() - started;
  const held = buffer.size;
  const { ms, summary } = await flush(buffer, arg2);
  await buffer.close();
  console.log(
    JSON.stringify({
      held,
      restoreMs,
      sendMs: ms,
      requests: summary.requests,
      sent: summary.samplesSent,
      ok: summary.ok,
      peakRssBytes: peakRssBytes(),
    }),
  );
} else if (mode === 'memory') {
  const buffer = new MemorySampleBuffer(BACKLOG_BOUNDS, now);
  await fill(buffer, 60);
  const held = buffer.size;
  const { ms, summary } = await flush(buffer, arg1);
  console.log(
    JSON.stringify({
      held,
      sendMs: ms,
      requests: summary.requests,
      sent: summary.samplesSent,
      ok: summary.ok,
      peakRssBytes: peakRssBytes(),
    }),
  );
} else if (mode === 'two') {
  // Two destinations on one buffer: the primary has taken all but the newest
  // ten samples, the other none of the 30 days (it was down).
  const started = performance.now();
  const base = await DiskSampleBuffer.open({
    dir: arg1,
    bounds: BACKLOG_BOUNDS,
    log: silentLogger,
    now,
  });
  const span = base.seqSpan();
  const store = new CursorFiles(arg1, silentLogger);
  await store.save('primary', {
    taken: [{ first: span.lowest, last: span.highest - 10 }],
    dropped: {},
  });
  await store.save('own', { taken: [], dropped: {} });
  const buffers = await DestinationBuffers.open(
    base,
    [
      { name: 'primary', startsAt: 'oldest' },
      { name: 'own', startsAt: 'now' },
    ],
    store,
    silentLogger,
  );
  const restoreMs = performance.now() - started;
  const held = base.size;
  const current = await flush(buffers.view('primary'), arg2);
  const behind = await flush(buffers.view('own'), arg2);
  const left = base.size;
  await buffers.close();
  console.log(
    JSON.stringify({
      held,
      restoreMs,
      currentMs: current.ms,
      currentSent: current.summary.samplesSent,
      sendMs: behind.ms,
      requests: behind.summary.requests,
      sent: behind.summary.samplesSent,
      ok: current.summary.ok && behind.summary.ok,
      left,
      peakRssBytes: peakRssBytes(),
    }),
  );
} else {
  throw new Error(`unknown mode ${mode}`);
}
