// The status file the daemon keeps for `edge-telemetry status`: what it says
// after a send that set requests aside, and the endpoint after a reload.
import t, { type Test } from 'tap';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../src/base/log.js';
import { MemorySampleBuffer } from '../../src/buffer/memory-buffer.js';
import { StatusRecorder, readStatus } from '../../src/agent/status-file.js';

async function recorder(t: Test) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'edge-telemetry-status-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const buffer = new MemorySampleBuffer({ maxSamples: 10, maxAgeMs: 1e9 });
  let now = 1_000;
  const status = new StatusRecorder(
    dataDir,
    'https://old.example/api/v1/write',
    buffer,
    silentLogger,
    () => now++,
  );
  return { dataDir, status, buffer };
}

const SENT = {
  ok: true,
  requests: 1,
  delivered: 1,
  samplesSent: 3,
  samplesDropped: 0,
  samplesKept: 0,
} as const;

t.test('a reload that changes the endpoint: the next write names the new one', async (t) => {
  const { dataDir, status, buffer } = await recorder(t);
  await status.sent(SENT, undefined);
  const before = await readStatus(dataDir);
  t.equal(
    before.kind === 'ok' ? before.status.endpoint : before.kind,
    'https://old.example/api/v1/write',
  );
  status.destinationsChanged('https://new.example/api/v1/write', buffer);
  await status.sampled(undefined);
  const after = await readStatus(dataDir);
  t.equal(
    after.kind === 'ok' ? after.status.endpoint : after.kind,
    'https://new.example/api/v1/write',
  );
});

t.test("a send's own reason is the last error; without one, the samples it dropped", async (t) => {
  const { dataDir, status } = await recorder(t);
  await status.sent(
    {
      ...SENT,
      ok: false,
      failure: '2 backlog requests set aside (HTTP 503), kept for the next send',
    },
    undefined,
  );
  let read = await readStatus(dataDir);
  t.equal(
    read.kind === 'ok' ? read.status.lastError?.reason : read.kind,
    '2 backlog requests set aside (HTTP 503), kept for the next send',
  );
  await status.sent({ ...SENT, ok: false, samplesDropped: 4 }, undefined);
  read = await readStatus(dataDir);
  t.equal(
    read.kind === 'ok' ? read.status.lastError?.reason : read.kind,
    'the receiver refused 4 samples for good; they were dropped',
  );
});

t.test('each destination has its own last success, last error and backlog', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'edge-telemetry-status-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const stats = (samples: number) => ({
    kind: 'disk' as const,
    samples,
    bytesOnDisk: 100,
    oldestSampleMs: samples === 0 ? undefined : 5,
    dropped: {},
  });
  const destination = (name: string, samples: number) => ({
    name,
    endpoint: `https://${name}.example/`,
    protocol: name === 'otel' ? 'otlp' : 'remote-write',
    stats: () => stats(samples),
  });
  let now = 1_000;
  const status = new StatusRecorder(
    dataDir,
    'unused',
    [destination('primary', 0), destination('own', 7)],
    silentLogger,
    () => now++,
  );
  await status.sent(SENT, undefined, 0);
  await status.sent({ ...SENT, ok: false, failure: 'network error: ECONNREFUSED' }, undefined, 1);
  let read = await readStatus(dataDir);
  if (read.kind !== 'ok') throw new Error(read.kind);
  t.equal(
    read.status.endpoint,
    'https://primary.example/',
    'the top level is the primary, as before',
  );
  t.same(read.status.lastSuccess, { atMs: 1001, requests: 1, samples: 3 });
  t.equal(read.status.lastError, undefined);
  t.same(
    read.status.destinations?.map((entry) => [
      entry.name,
      entry.buffer.samples,
      entry.lastError?.reason,
    ]),
    [
      ['primary', 0, undefined],
      ['own', 7, 'network error: ECONNREFUSED'],
    ],
  );
  // A reload adds one and keeps own: what own last did stays with it.
  status.destinationsChanged('unused', [
    destination('primary', 0),
    destination('otel', 2),
    destination('own', 7),
  ]);
  await status.sampled(undefined);
  read = await readStatus(dataDir);
  if (read.kind !== 'ok') throw new Error(read.kind);
  t.same(
    read.status.destinations?.map((entry) => [entry.name, entry.protocol, entry.lastError?.reason]),
    [
      ['primary', 'remote-write', undefined],
      ['otel', 'otlp', undefined],
      ['own', 'remote-write', 'network error: ECONNREFUSED'],
    ],
  );
});

t.test(
  'a wake carries on what the process before it said of each destination, and when the service started',
  async (t) => {
    const { dataDir, status } = await recorder(t);
    await status.sent(SENT, undefined);
    await status.sent({ ...SENT, ok: false, failure: 'HTTP 503' }, undefined);
    const before = await readStatus(dataDir);
    if (before.kind !== 'ok') throw new Error(before.kind);
    const woken = new StatusRecorder(
      dataDir,
      'https://old.example/api/v1/write',
      new MemorySampleBuffer({ maxSamples: 10, maxAgeMs: 1e9 }),
      silentLogger,
      () => 9_000,
    );
    woken.carryFrom(before.status);
    await woken.sampled(undefined);
    const after = await readStatus(dataDir);
    if (after.kind !== 'ok') throw new Error(after.kind);
    t.same(after.status.lastSuccess, before.status.lastSuccess, 'the last success');
    t.same(after.status.lastError, before.status.lastError, 'the last error');
    t.equal(after.status.startedAtMs, before.status.startedAtMs, 'the start');
    t.equal(after.status.updatedAtMs, 9_000);
  },
);

t.test(
  'a status.json that is not whole and right is unreadable, field by field, never a crash',
  async (t) => {
    const { dataDir, status } = await recorder(t);
    await status.sent({ ...SENT, ok: false, failure: 'HTTP 503' }, undefined);
    await status.sent(SENT, undefined);
    await status.waiting(5_000, 7_000);
    const file = path.join(dataDir, 'status.json');
    const written = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    t.equal((await readStatus(dataDir)).kind, 'ok', 'as written');
    // What a disk, another release or a hand can leave (the ones seen first:
    // destinations "x" or [null] crashed carryFrom, startedAtMs "x" crashed `status`).
    const destination = (written.destinations as Record<string, unknown>[])[0];
    const buffer = written.buffer as Record<string, unknown>;
    const wrong: [string, Record<string, unknown>][] = [
      ['destinations "x"', { destinations: 'x' }],
      ['destinations [null]', { destinations: [null] }],
      ['destinations []', { destinations: [] }],
      ['a destination without a name', { destinations: [{ ...destination, name: 7 }] }],
      [
        'a destination without its buffer',
        { destinations: [{ ...destination, buffer: undefined }] },
      ],
      ['startedAtMs "x"', { startedAtMs: 'x' }],
      ['startedAtMs past what a Date shows', { startedAtMs: 1e300 }],
      ['updatedAtMs null', { updatedAtMs: null }],
      ['pid 0', { pid: 0 }],
      ['pid 1.5', { pid: 1.5 }],
      ['format 2', { format: 2 }],
      ['endpoint a number', { endpoint: 1 }],
      ['lastSuccess a string', { lastSuccess: 'yes' }],
      ['lastError without a reason', { lastError: { atMs: 1 } }],
      ['nextSendAtMs "soon"', { nextSendAtMs: 'soon' }],
      ['buffer null', { buffer: null }],
      ['buffer of another kind', { buffer: { ...buffer, kind: 'tape' } }],
      ['negative samples', { buffer: { ...buffer, samples: -1 } }],
      ['a drop count that is no count', { buffer: { ...buffer, dropped: { full: 'many' } } }],
      ['phase "asleep"', { phase: 'asleep' }],
      ['wakeAtMs "later"', { wakeAtMs: 'later' }],
      ['launcherPid -1', { launcherPid: -1 }],
    ];
    for (const [name, change] of wrong) {
      await writeFile(file, JSON.stringify({ ...written, ...change }));
      const read = await readStatus(dataDir);
      t.same(
        read,
        { kind: 'unreadable', reason: `${file}: not a status this version writes` },
        name,
      );
    }
    for (const text of ['', 'null', '[]', '"status"', '{"format":1']) {
      await writeFile(file, text);
      t.equal((await readStatus(dataDir)).kind, 'unreadable', JSON.stringify(text));
    }
    // Fields a release before destinations (or phases) did not write are not required.
    const older = { ...written };
    delete older.destinations;
    delete older.phase;
    delete older.wakeAtMs;
    delete older.launcherPid;
    await writeFile(file, JSON.stringify(older));
    t.equal((await readStatus(dataDir)).kind, 'ok', 'a file of an earlier release');
  },
);
