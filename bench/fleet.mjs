// npm run bench:fleet — what a backend sees from 10,000 nodes that boot in the
// same second: peak requests per second, time until every first report is in,
// the request rate over a day, a fleet-wide outage; then a real run of 20
// daemons against the embedded receiver beside what the simulation predicts
// for them; then the bytes a node puts on the wire per day.
//
// How the 10,000 are simulated, and why. The schedule is the daemon's own:
// src/agent/schedule.ts (drawSplayMs, slotAtMs, sendJitterMs, firstRunsInMs),
// the functions the Agent's timers and run.ts follow. What each send puts on
// the wire is the daemon's real send policy: sendReport (backlog batches, then
// the current values in a request of their own) on a memory buffer holding the
// ticks that send would find, counted by a recording transport; retries are
// sendWithRetry with the default retry policy on an instant virtual clock.
// Driving 10,000 real Agent instances instead was measured: about 10 ms of CPU
// per agent per simulated 48 h on a virtual clock, so 100 s per scenario and
// about 20 minutes for the scenarios below. So real Agents run only as a
// cross-check: 200 of them, on virtual clocks, with the same random draws as
// simulated agents 0–199, must put the same requests on the wire at the same
// milliseconds, or the bench stops.
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drawSplayMs, firstRunsInMs, sendJitterMs, slotAtMs } from '../dist/agent/schedule.js';
import { Agent } from '../dist/agent/agent.js';
import { sendReport } from '../dist/deliver/send-report.js';
import { SetAsideMemory } from '../dist/deliver/set-aside.js';
import { knownIdentity } from '../dist/deliver/identity-source.js';
import { MemorySampleBuffer } from '../dist/buffer/memory-buffer.js';
import { sendWithRetry } from '../dist/transport/retry.js';
import { createHttpTransport } from '../dist/transport/http-transport.js';
import { startReceiver } from '../dist/receiver/telemeter-receiver.js';
import { silentLogger } from '../dist/base/log.js';
import { USER_AGENT } from '../dist/base/version.js';
import { requestHeaders, requestSecrets } from '../dist/remote-write/headers.js';
import { catalogTick } from './backlog-catalog.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NODES = 10_000;
// The defaults (README, src/config/schema.ts) and the jitter run.ts gives the Agent (SEND_JITTER).
const SENDING_MS = DAY;
const SAMPLING_MS = HOUR;
const SEND_JITTER = 0.1;
const RETRY = {
  maxAttempts: 6,
  minDelayMs: 1 * SECOND,
  maxDelayMs: 5 * MINUTE,
  maxElapsedMs: 15 * MINUTE,
};
const MAX_REQUEST_BYTES = 131_072;
const SPLAYS = [
  ['0s (default)', 0],
  ['1m', MINUTE],
  ['5m (fleet value)', 5 * MINUTE],
  ['15m', 15 * MINUTE],
];
const OUTAGE_MS = 6 * HOUR;
/** Wall-clock time of virtual 0: sample timestamps only. */
const EPOCH = Date.UTC(2026, 10, 2);
const CLUSTER_ID = '0f6c1d0e-5d4a-4a53-9a8e-3c2f1b0a9e77';
// cloud.openshift.com's auth is base64 of "openshift-release-dev+ocm_access_<32 hex>:<64-char token>": 148 characters.
const TOKEN = Buffer.from(
  `openshift-release-dev+ocm_access_${'0123456789abcdef'.repeat(2)}:${'Ab1Cd2Ef3Gh4'.repeat(5)}Ij5K`,
).toString('base64');

/** A seeded random source in [0, 1) (mulberry32): the same fleet every run. */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

// ---------------------------------------------------------------------------
// One node's metrics: the default catalog (docs/metrics.md), host only or with
// cluster metrics, values that move the way a node's do (bench/backlog-catalog.mjs).

const CAPACITY_LABELS = {
  label_kubernetes_io_arch: 'amd64',
  label_node_openshift_io_os_id: 'rhel',
};
function staticPoints(kind, timestampMs) {
  const point = (name, labels, value) => ({ name, labels, value, timestampMs });
  const host = [
    point('cluster:capacity_cpu_cores:sum', CAPACITY_LABELS, 8),
    point('cluster:capacity_memory_bytes:sum', CAPACITY_LABELS, 33_385_906_176),
    point('cluster:capacity_disk_bytes:sum', {}, 214_748_364_800),
    point(
      'microshift_version',
      { version: '4.19.3', os_version_id: '9.6', deployment_type: 'microshift-rpm' },
      1,
    ),
  ];
  if (kind === 'host') return host;
  return [
    ...host,
    point('cluster:usage:container_images:sum', {}, 187),
    point('instance:etcd_object_counts:sum', {}, 2_431),
  ];
}
const HOST_DYNAMIC = new Set([
  'cluster:cpu_usage_cores:sum',
  'cluster:memory_usage_bytes:sum',
  'cluster:disk_usage_bytes:sum',
]);
function dynamicPoints(kind, timestampMs) {
  const points = catalogTick(Math.floor((timestampMs - EPOCH) / MINUTE)).map((point) => ({
    ...point,
    timestampMs,
  }));
  return kind === 'host' ? points.filter((point) => HOST_DYNAMIC.has(point.name)) : points;
}
function collectors(kind, wallNow) {
  return [
    {
      name: 'static',
      kind: 'static',
      help: {},
      collect: async () => staticPoints(kind, wallNow()),
    },
    {
      name: 'dynamic',
      kind: 'dynamic',
      help: {},
      collect: async () => dynamicPoints(kind, wallNow()),
    },
  ];
}

function sendDeps(kind, buffer, transport, wallNow) {
  return {
    log: silentLogger,
    collectors: collectors(kind, wallNow),
    buffer,
    transport,
    identity: knownIdentity({ clusterId: CLUSTER_ID, deploymentType: 'microshift-rpm' }),
    // The daemon's telemeter auth over a fixed token (the pull secret's, read at every send in the daemon).
    resolveAuth: async (clusterId) => {
      const auth = { type: 'telemeter', token: TOKEN, clusterId };
      return {
        ok: true,
        headers: requestHeaders(USER_AGENT, [], auth),
        secrets: requestSecrets([], auth),
      };
    },
    userAgent: USER_AGENT,
    retry: RETRY,
    maxRequestBytes: MAX_REQUEST_BYTES,
    collectTimeoutMs: 10 * SECOND,
    setAside: new SetAsideMemory(),
  };
}

/** A transport that records what would go on the wire and answers 200. */
function recordingTransport(now) {
  const posts = [];
  return {
    posts,
    post: async (body, headers) => (
      posts.push({ atMs: now(), body, headers }),
      { kind: 'delivered', status: 200 }
    ),
    close() {},
  };
}

/**
 * The requests of one send by the daemon's real policy (sendReport), when the
 * buffer holds `ticks` sampling ticks (the newest one taken at the send).
 */
async function sendWithTicks(kind, ticks, samplingMs = SAMPLING_MS) {
  const nowMs = EPOCH + 40 * DAY;
  const buffer = new MemorySampleBuffer({ maxSamples: 50_000, maxAgeMs: 744 * HOUR }, () => nowMs);
  for (let k = ticks - 1; k >= 0; k--)
    await buffer.append(dynamicPoints(kind, nowMs - k * samplingMs));
  const transport = recordingTransport(() => 0);
  const summary = await sendReport(
    sendDeps(kind, buffer, transport, () => nowMs),
    new AbortController().signal,
  );
  if (!summary.ok || buffer.size !== 0)
    throw new Error(`send of ${ticks} ticks did not deliver everything`);
  return transport.posts;
}
const requestCounts = new Map();
async function requestsPerSend(ticks) {
  if (!requestCounts.has(ticks))
    requestCounts.set(ticks, (await sendWithTicks('cluster', ticks)).length);
  return requestCounts.get(ticks);
}

// ---------------------------------------------------------------------------
// The fleet, simulated with the daemon's schedule functions.

/**
 * Node `index` of a fleet: boots within the first second, draws its splay
 * (run.ts), then its sends fall on the sending grid (periodic.ts) plus the
 * jitter of each slot (agent.ts). Returns the sends until `untilMs`.
 */
function nodeSends(index, splayMs, untilMs) {
  const random = seeded(index + 1);
  const bootMs = Math.floor(random() * SECOND);
  const firstSendDelayMs = drawSplayMs(splayMs, random);
  const origin =
    bootMs +
    firstRunsInMs(bootMs, {
      samplingIntervalMs: SAMPLING_MS,
      sendingIntervalMs: SENDING_MS,
      firstSendDelayMs,
    }).sendingInMs;
  const sends = [];
  for (let slot = 0; ; slot++) {
    const atMs =
      slotAtMs(origin, slot, SENDING_MS) + sendJitterMs(slot, SENDING_MS, SEND_JITTER, random);
    if (atMs >= untilMs) break;
    sends.push({ slot, atMs });
  }
  return { bootMs, firstSendDelayMs, random, sends };
}

/** Sampling ticks taken by `atMs` on a grid that starts at boot (slot 0 at once). */
const ticksBy = (bootMs, atMs) => Math.floor((atMs - bootMs) / SAMPLING_MS) + 1;

/** Request times of the whole fleet until `untilMs`, each send's requests counted by the real policy. */
async function fleetRequests(splayMs, untilMs, firstSendTicks) {
  const times = [];
  const firstReportAt = [];
  for (let index = 0; index < NODES; index++) {
    const node = nodeSends(index, splayMs, untilMs);
    let sentTicks = 0;
    for (const send of node.sends) {
      const taken = ticksBy(node.bootMs, send.atMs);
      const ticks =
        send.slot === 0 && firstSendTicks !== undefined ? firstSendTicks : taken - sentTicks;
      sentTicks = taken;
      const requests = await requestsPerSend(ticks);
      for (let r = 0; r < requests; r++) times.push(send.atMs);
      if (send.slot === 0) firstReportAt.push(send.atMs);
    }
  }
  return { times, firstReportAt };
}

function peakPer(times, bucketMs, fromMs = -Infinity, toMs = Infinity) {
  const counts = new Map();
  for (const at of times)
    if (at >= fromMs && at < toMs)
      counts.set(Math.floor(at / bucketMs), (counts.get(Math.floor(at / bucketMs)) ?? 0) + 1);
  return Math.max(0, ...counts.values());
}
function perMinute(times, fromMs, toMs) {
  const inside = times.filter((at) => at >= fromMs && at < toMs).length;
  return { max: peakPer(times, MINUTE, fromMs, toMs), mean: inside / ((toMs - fromMs) / MINUTE) };
}
const fmt = (value, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const duration = (ms) =>
  ms < MINUTE
    ? `${fmt(ms / SECOND, 1)} s`
    : ms < 2 * HOUR
      ? `${fmt(ms / MINUTE, 1)} min`
      : `${fmt(ms / HOUR, 2)} h`;
function table(header, rows) {
  const widths = header.map((cell, i) =>
    Math.max(cell.length, ...rows.map((row) => String(row[i]).length)),
  );
  const line = (row) =>
    row
      .map((cell, i) =>
        i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]),
      )
      .join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

/**
 * The receiver refuses connections from `downFrom` to `downTo`; the fleet
 * booted together at 0. Each send is sendWithRetry with the default policy on
 * an instant virtual clock; a send that still fails keeps its samples for the
 * node's next slot (send-report.ts: a network error ends the send).
 */
async function receiverDown(downFrom, downTo) {
  console.log(
    `\nReceiver down from ${downFrom / HOUR} h to ${downTo / HOUR} h after the fleet booted (connection refused); retries: retry.ts defaults (${RETRY.maxAttempts} attempts, ${RETRY.minDelayMs / SECOND}s–${RETRY.maxDelayMs / MINUTE}m, ${RETRY.maxElapsedMs / MINUTE}m budget):`,
  );
  const rows = [];
  for (const [name, splayMs] of SPLAYS) {
    const attempts = [];
    const delivered = [];
    let failedSends = 0;
    for (let index = 0; index < NODES; index++) {
      const node = nodeSends(index, splayMs, downTo + 2 * DAY);
      // The daemon's retry jitter is its own draw (Math.random in retry.ts), apart from the schedule's.
      const retryRandom = seeded(1_000_000 + index);
      let sentTicks = 0;
      for (const send of node.sends) {
        const taken = ticksBy(node.bootMs, send.atMs);
        let clockMs = send.atMs;
        const clock = {
          now: () => clockMs,
          setTimeout: (callback, ms) => ((clockMs += ms), queueMicrotask(callback), 0),
          clearTimeout() {},
        };
        const result = await sendWithRetry(
          async () => {
            attempts.push(clockMs);
            return clockMs >= downFrom && clockMs < downTo
              ? { kind: 'retryable', cause: 'network', reason: 'network error: ECONNREFUSED' }
              : { kind: 'delivered', status: 200 };
          },
          RETRY,
          new AbortController().signal,
          undefined,
          { clock, random: retryRandom },
        );
        if (result.kind !== 'delivered') {
          failedSends++;
          continue;
        }
        for (let r = await requestsPerSend(taken - sentTicks); r > 0; r--) delivered.push(clockMs);
        sentTicks = taken;
      }
    }
    // The first slot after the outage: every node's next send carries what the failed one kept.
    const nextSlotFrom = downFrom + DAY;
    const afterHour = delivered.filter((at) => at >= downTo && at < downTo + HOUR).length;
    const nextDay = perMinute(delivered, nextSlotFrom, nextSlotFrom + DAY);
    rows.push([
      name,
      fmt(failedSends),
      fmt(attempts.filter((at) => at >= downFrom && at < downTo).length),
      fmt(peakPer(attempts, SECOND, downFrom, downTo)),
      fmt(peakPer(attempts, 10 * SECOND, downFrom, downTo)),
      fmt(afterHour),
      `${fmt(nextDay.max)} / ${fmt(nextDay.mean, 1)}`,
    ]);
  }
  table(
    [
      'splay',
      'sends failed',
      'attempts in outage',
      'peak attempts/s',
      'peak attempts/10s',
      'requests in 1st hour back',
      'next day req/min max / mean',
    ],
    rows,
  );
}

// ---------------------------------------------------------------------------
// Cross-check: real Agents on virtual clocks against the simulation.

class VirtualClock {
  constructor() {
    this.nowMs = 0;
    this.timers = [];
    this.nextId = 1;
  }
  now() {
    return this.nowMs;
  }
  setTimeout(callback, ms) {
    const id = this.nextId++;
    this.timers.push({ id, dueMs: this.nowMs + Math.max(1, ms), callback });
    return id;
  }
  clearTimeout(id) {
    this.timers = this.timers.filter((timer) => timer.id !== id);
  }
  /** Fires every timer due until `untilMs` in order, letting the work each starts settle. */
  async runUntil(untilMs) {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      let next;
      for (const timer of this.timers)
        if (
          next === undefined ||
          timer.dueMs < next.dueMs ||
          (timer.dueMs === next.dueMs && timer.id < next.id)
        )
          next = timer;
      if (next === undefined || next.dueMs > untilMs) break;
      this.timers = this.timers.filter((timer) => timer !== next);
      this.nowMs = Math.max(this.nowMs, next.dueMs);
      next.callback();
    }
    this.nowMs = untilMs;
  }
}

async function realAgentPosts(index, splayMs, untilMs) {
  const random = seeded(index + 1);
  random(); // the boot offset: the agent's clock starts at its own boot
  const clock = new VirtualClock();
  const wallNow = () => EPOCH + clock.now();
  const transport = recordingTransport(() => clock.now());
  const buffer = new MemorySampleBuffer({ maxSamples: 50_000, maxAgeMs: 744 * HOUR }, wallNow);
  const agent = new Agent(sendDeps('cluster', buffer, transport, wallNow), {
    samplingIntervalMs: SAMPLING_MS,
    sendingIntervalMs: SENDING_MS,
    shutdownSendTimeoutMs: 10 * SECOND,
    clock,
    firstSendDelayMs: drawSplayMs(splayMs, random),
    sendJitter: SEND_JITTER,
    random,
  });
  agent.start();
  await clock.runUntil(untilMs);
  await agent.pause();
  return transport.posts.map((post) => post.atMs);
}

async function crossCheck(agents, splayMs, untilMs) {
  let requests = 0;
  for (let index = 0; index < agents; index++) {
    const real = await realAgentPosts(index, splayMs, untilMs);
    const node = nodeSends(index, splayMs, untilMs + SECOND);
    const simulated = [];
    let sentTicks = 0;
    for (const send of node.sends) {
      const atMs = send.atMs - node.bootMs;
      if (atMs >= untilMs) break;
      const taken = ticksBy(0, atMs);
      for (let r = await requestsPerSend(taken - sentTicks); r > 0; r--) simulated.push(atMs);
      sentTicks = taken;
    }
    if (JSON.stringify(real) !== JSON.stringify(simulated)) {
      throw new Error(
        `cross-check failed for agent ${index}: real Agent posted at ${real.join(', ')} ms, the simulation says ${simulated.join(', ')} ms`,
      );
    }
    requests += real.length;
  }
  return requests;
}

// ---------------------------------------------------------------------------
// 20 real daemons against the embedded receiver.

const REAL_DAEMONS = 20;
const REAL_SPLAY_MS = 20 * SECOND;
const children = new Set();

function quantiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  return {
    min: sorted[0],
    p10: at(0.1),
    p25: at(0.25),
    p50: at(0.5),
    p75: at(0.75),
    p90: at(0.9),
    max: sorted.at(-1),
  };
}
/** Kolmogorov–Smirnov distance of a sample from the uniform distribution over [0, widthMs). */
function ksUniform(values, widthMs) {
  const sorted = [...values].sort((a, b) => a - b);
  let distance = 0;
  sorted.forEach((value, i) => {
    const cdf = Math.min(1, Math.max(0, value / widthMs));
    distance = Math.max(distance, (i + 1) / sorted.length - cdf, cdf - i / sorted.length);
  });
  return distance;
}

async function stopChildren() {
  const exits = [...children].map(
    (child) =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 15 * SECOND);
        child.once('exit', () => (clearTimeout(kill), resolve()));
        child.kill('SIGTERM');
      }),
  );
  await Promise.all(exits);
  children.clear();
}

async function realRun(dir) {
  const firstArrival = new Map();
  const receiver = await startReceiver({
    host: '127.0.0.1',
    port: 0,
    log: silentLogger,
    onAccepted: (_series, clusterId) => {
      if (!firstArrival.has(clusterId)) firstArrival.set(clusterId, performance.now());
    },
  });
  const ready = new Map();
  try {
    const configs = [];
    for (let i = 0; i < REAL_DAEMONS; i++) {
      const nodeDir = path.join(dir, `node-${String(i).padStart(2, '0')}`);
      await mkdir(nodeDir);
      await writeFile(
        path.join(nodeDir, 'pull-secret.json'),
        JSON.stringify({ auths: { 'cloud.openshift.com': { auth: TOKEN } } }),
      );
      await writeFile(path.join(nodeDir, 'cluster-id'), `fleet-node-${i}\n`);
      const telemetry = {
        endpoint: receiver.url,
        pullSecretFile: 'pull-secret.json',
        clusterIdFile: 'cluster-id',
        kubeconfig: '',
        dataDir: 'data',
        buffer: 'memory',
        diskPaths: ['/'],
        splay: '20s',
        samplingInterval: '1m',
        sendingInterval: '1h',
      };
      const file = path.join(nodeDir, 'telemetry.yaml');
      await writeFile(file, JSON.stringify({ telemetry }, null, 2));
      configs.push(file);
    }
    // All booted in the same tick; each daemon's "buffer:" line is the last before its Agent starts (run.ts).
    const bootAt = performance.now();
    configs.forEach((file, i) => {
      const child = spawn(
        process.execPath,
        [path.join(root, 'dist', 'cli.js'), 'run', '--config', file],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      children.add(child);
      let seen = '';
      child.stderr.on('data', (chunk) => {
        seen += chunk;
        if (!ready.has(`fleet-node-${i}`) && seen.includes('buffer: memory'))
          ready.set(`fleet-node-${i}`, performance.now());
      });
    });
    const deadline = bootAt + REAL_SPLAY_MS + 60 * SECOND;
    while (firstArrival.size < REAL_DAEMONS && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    if (firstArrival.size < REAL_DAEMONS)
      throw new Error(
        `only ${firstArrival.size} of ${REAL_DAEMONS} daemons reported within ${duration(deadline - bootAt)}`,
      );
    const sinceBoot = [...firstArrival.values()].map((at) => at - bootAt);
    const sinceReady = [...firstArrival.entries()].map(
      ([id, at]) => at - (ready.get(id) ?? bootAt),
    );
    const startup = [...ready.values()].map((at) => at - bootAt);
    return { sinceBoot, sinceReady, startup };
  } finally {
    await stopChildren();
    await receiver.close();
  }
}

// ---------------------------------------------------------------------------
// Bytes on the wire: requests replayed through the daemon's HTTP transport to
// the embedded receiver, through a proxy that counts what the sender wrote.

async function wireBytes(posts) {
  const receiver = await startReceiver({ host: '127.0.0.1', port: 0, log: silentLogger });
  const target = new URL(receiver.url);
  const written = [];
  const counter = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    const entry = { bytes: 0 };
    written.push(entry);
    client.on('data', (chunk) => (entry.bytes += chunk.length));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise((resolve) => counter.listen(0, '127.0.0.1', resolve));
  const transport = createHttpTransport({
    url: `http://127.0.0.1:${counter.address().port}${target.pathname}`,
    proxy: '',
    timeoutMs: 10 * SECOND,
  });
  try {
    const result = [];
    for (const post of posts) {
      const before = written.length;
      const answer = await transport.post(
        post.body,
        post.headers,
        AbortSignal.timeout(15 * SECOND),
      );
      if (answer.kind !== 'delivered')
        throw new Error(`the receiver did not take a replayed request: ${answer.kind}`);
      // One connection a request (Connection: close): what the sender wrote on it.
      result.push({
        bodyBytes: post.body.length,
        wireBytes: written.slice(before).reduce((sum, entry) => sum + entry.bytes, 0),
      });
    }
    return result;
  } finally {
    transport.close();
    await new Promise((resolve) => counter.close(resolve));
    await receiver.close();
  }
}

// ---------------------------------------------------------------------------

async function main(dir) {
  const started = performance.now();
  console.log(
    `bench:fleet — ${fmt(NODES)} nodes booted in the same second; defaults: sendingInterval 24h, samplingInterval 1h, send jitter ${SEND_JITTER * 100} %, full catalog with cluster metrics`,
  );
  const checked = await crossCheck(200, 5 * MINUTE, DAY + 3 * HOUR);
  console.log(
    `cross-check: 200 real Agents (virtual clocks, splay 5m, 27 h) posted ${checked} requests at exactly the times and counts the simulation gives`,
  );
  console.log(
    `requests per send by the real policy: fresh boot ${await requestsPerSend(1)} (current values), a day's send ${await requestsPerSend(24)} (backlog, then current values)`,
  );

  console.log('\nBoot together, then run (days 1 and 2):');
  const rows = [];
  for (const [name, splayMs] of SPLAYS) {
    const { times, firstReportAt } = await fleetRequests(splayMs, 2 * DAY);
    const day1 = perMinute(times, 0, DAY);
    const day2 = perMinute(times, DAY, 2 * DAY);
    rows.push([
      name,
      fmt(peakPer(times, SECOND)),
      fmt(peakPer(times, 10 * SECOND)),
      duration(Math.max(...firstReportAt)),
      `${fmt(day1.max)} / ${fmt(day1.mean, 1)}`,
      `${fmt(day2.max)} / ${fmt(day2.mean, 1)}`,
    ]);
  }
  table(
    [
      'splay',
      'peak req/s',
      'peak req/10s',
      'all first reports in',
      'day 1 req/min max / mean',
      'day 2 req/min max / mean',
    ],
    rows,
  );
  console.log(
    "(day 2 is every later day: the jitter is drawn per slot, so each day's sends stay within 2.4 h after that day's slot)",
  );

  console.log(
    `\nPower outage: nodes off ${OUTAGE_MS / HOUR} h, every node boots in the same second with its unsent samples on disk (the worst case: 27 hourly ticks since its last send, plus the tick at boot):`,
  );
  const backlogTicks = 28;
  const outageRows = [];
  for (const [name, splayMs] of SPLAYS) {
    const { times, firstReportAt } = await fleetRequests(splayMs, DAY, backlogTicks);
    outageRows.push([
      name,
      fmt(await requestsPerSend(backlogTicks)),
      fmt(peakPer(times, SECOND)),
      fmt(peakPer(times, 10 * SECOND)),
      duration(Math.max(...firstReportAt)),
    ]);
  }
  table(
    ['splay', 'requests/node at boot', 'peak req/s', 'peak req/10s', 'all first reports in'],
    outageRows,
  );

  for (const downFrom of [0, DAY]) await receiverDown(downFrom, downFrom + OUTAGE_MS);

  console.log(
    "(a send that fails keeps its samples for the node's next slot, a day later: nothing arrives when the receiver comes back, and the next send carries the backlog: " +
      `${await requestsPerSend(2 * 24 + 1)} requests)`,
  );

  console.log(
    `\nReal run: ${REAL_DAEMONS} daemons (dist/cli.js run, splay 20s, samplingInterval 1m) booted together against the embedded receiver:`,
  );
  const real = await realRun(dir);
  // The simulation's first send of 20 nodes with the same splay, from each one's boot (nodes 10,000 on: draws of their own).
  const simulated = Array.from({ length: REAL_DAEMONS }, (_, i) => {
    const node = nodeSends(NODES + i, REAL_SPLAY_MS, HOUR);
    return node.sends[0].atMs - node.bootMs;
  });
  const row = (name, values) => {
    const q = quantiles(values);
    return [
      name,
      ...[q.min, q.p10, q.p25, q.p50, q.p75, q.p90, q.max].map((ms) => fmt(ms / SECOND, 2)),
      fmt(ksUniform(values, REAL_SPLAY_MS), 3),
    ];
  };
  table(
    ['first report arrival (s)', 'min', 'p10', 'p25', 'p50', 'p75', 'p90', 'max', 'KS vs U(0,20s)'],
    [
      row('real, since the common boot', real.sinceBoot),
      row("real, since the daemon's agent started", real.sinceReady),
      row("simulated, 20 nodes, from each one's boot", simulated),
    ],
  );
  const startup = quantiles(real.startup);
  console.log(
    `(start-up of the 20 on this machine's 2 shared cores, spawn to agent start: ${fmt(startup.min / SECOND, 2)}–${fmt(startup.max / SECOND, 2)} s; KS 5 % critical value for n = 20: 0.294)`,
  );

  console.log(
    "\nBytes on the wire per node and day (the daemon's report + encode + snappy, sent by its HTTP transport to the embedded receiver; TCP and TLS not counted):",
  );
  const byteRows = [];
  const cadences = [
    ['host only, defaults (sample 1h, send 24h)', 'host', HOUR, DAY],
    ['cluster metrics, defaults (sample 1h, send 24h)', 'cluster', HOUR, DAY],
    // MicroShift's own sender collects and sends together, hourly (pkg/controllers/telemetry.go: time.NewTicker(time.Hour)).
    ["cluster metrics, MicroShift's cadence (sample and send 1h)", 'cluster', HOUR, HOUR],
  ];
  for (const [name, kind, samplingMs, sendingMs] of cadences) {
    const send = await wireBytes(await sendWithTicks(kind, sendingMs / samplingMs, samplingMs));
    const sends = DAY / sendingMs;
    const perDay = sends * send.reduce((sum, request) => sum + request.wireBytes, 0);
    const times = sends === 1 ? '' : `${sends} × `;
    byteRows.push([
      name,
      times + send.map((request) => fmt(request.bodyBytes)).join(' + '),
      fmt(sends * send.length),
      times + send.map((request) => fmt(request.wireBytes)).join(' + '),
      fmt(perDay),
      `${fmt((perDay * NODES) / 1e6, 1)} MB`,
    ]);
  }
  table(
    [
      'a day',
      'body bytes',
      'requests/day',
      'bytes incl. request line and headers',
      'bytes/node/day',
      `${fmt(NODES)} nodes/day`,
    ],
    byteRows,
  );
  console.log(`\nwall time ${fmt((performance.now() - started) / SECOND, 1)} s`);
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'edge-telemetry-fleet-'));
let interrupted = false;
const onSignal = (signal) => {
  if (interrupted) return;
  interrupted = true;
  console.error(`\n${signal}: stopping the daemons and removing ${dir}`);
  void stopChildren().finally(() =>
    rm(dir, { recursive: true, force: true }).finally(() => process.exit(130)),
  );
};
process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
try {
  await main(dir);
} finally {
  await stopChildren();
  await rm(dir, { recursive: true, force: true });
}
