// The buffer on a disk that is really full: a tmpfs of 256 KiB, mounted in a
// private mount namespace (unshare -m, as root, as CI runs), filled to the
// last byte. A compaction there fails with ENOSPC; what it was to remove must
// never be read (and so sent) again, and leaves the file once space is back.
import t from 'tap';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ownTempDir } from '../helpers/files.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const bufferModule = pathToFileURL(path.resolve(here, '../../src/buffer/disk-buffer.ts')).href;

/** Runs `body` (an ES module's statements) in a Node whose /mnt/tiny is a 256 KiB tmpfs; returns its stdout parsed. */
async function onFullDisk(mountPoint: string, body: string): Promise<Record<string, unknown>> {
  const script = [
    `const { DiskSampleBuffer } = await import(${JSON.stringify(bufferModule)});`,
    "const { writeFile, rm } = await import('node:fs/promises');",
    'const lines = [];',
    "const log = { error: (m, f) => lines.push('error ' + m + ' ' + JSON.stringify(f)), warn: (m) => lines.push('warn ' + m), info: (m) => lines.push('info ' + m), debug: () => {} };",
    body,
  ].join('\n');
  const command = `mount -t tmpfs -o size=256k tmpfs "$0" && exec "$1" --import @tapjs/typescript/import --input-type=module -e "$2"`;
  const { stdout } = await run(
    'unshare',
    ['-m', 'sh', '-c', command, mountPoint, process.execPath, script],
    { timeout: 60_000 },
  );
  return JSON.parse(stdout) as Record<string, unknown>;
}

t.test(
  'ENOSPC at a compaction: the acknowledged samples are never read again, and go once space is back',
  async (t) => {
    const mountPoint = await ownTempDir(t);
    const result = await onFullDisk(
      mountPoint,
      `
const dir = ${JSON.stringify(path.join(mountPoint, 'buffer'))};
const buffer = await DiskSampleBuffer.open({ dir, bounds: { maxSamples: 100000, maxAgeMs: 1e12 }, log, now: () => 2e12 });
const points = (i) => Array.from({ length: 10 }, (_, k) => ({ name: 'm' + k, labels: { i: String(k) }, value: i * 10 + k, timestampMs: 1.9e12 + i * 1000 }));
for (let i = 0; i < 112; i++) await buffer.append(points(i));
const all = [];
for (let after = 0; ; ) { const batch = await buffer.read({ afterSeq: after, maxPoints: 500 }); all.push(...batch.points); after = batch.cursor; if (batch.done) break; }
// Fill the disk to its last byte.
let filler = 0;
for (;;) { try { await writeFile(${JSON.stringify(path.join(mountPoint, 'filler'))} + filler++, Buffer.alloc(4096)); } catch { break; } }
for (let i = 0; i < 64; i++) { try { await writeFile(${JSON.stringify(path.join(mountPoint, 'small'))} + i, 'x'); } catch { break; } }
// The first 1115 samples delivered: the segment holding the 1115th is compacted, and that fails.
await buffer.acknowledge([{ first: all[0].seq, last: all[1114].seq }], 'delivered');
const afterFull = [];
for (let after = 0; ; ) { const batch = await buffer.read({ afterSeq: after, maxPoints: 500 }); afterFull.push(...batch.points); after = batch.cursor; if (batch.done) break; }
const sizeWhileFull = buffer.size;
// Space back; the next acknowledgement compacts what is owed.
for (let i = 0; i < filler; i++) await rm(${JSON.stringify(path.join(mountPoint, 'filler'))} + i, { force: true });
await buffer.acknowledge([{ first: all[1115].seq, last: all[1115].seq }], 'delivered');
await buffer.close();
const reopened = await DiskSampleBuffer.open({ dir, bounds: { maxSamples: 100000, maxAgeMs: 1e12 }, log, now: () => 2e12 });
const afterRestart = [];
for (let after = 0; ; ) { const batch = await reopened.read({ afterSeq: after, maxPoints: 500 }); afterRestart.push(...batch.points); after = batch.cursor; if (batch.done) break; }
process.stdout.write(JSON.stringify({
  total: all.length,
  compactionFailed: lines.some((line) => line.includes('compaction failed') && line.includes('ENOSPC')),
  firstReadWhileFull: afterFull[0]?.seq === all[1115].seq,
  readWhileFull: afterFull.length,
  sizeWhileFull,
  afterRestart: afterRestart.length,
  firstAfterRestart: afterRestart[0]?.seq === all[1116].seq,
  dropped: reopened.stats().dropped,
}));
`,
    );
    t.same(result, {
      total: 1120,
      compactionFailed: true,
      firstReadWhileFull: true,
      readWhileFull: 5,
      sizeWhileFull: 5,
      afterRestart: 4,
      firstAfterRestart: true,
      dropped: {},
    });
  },
);

t.test('ENOSPC at a tick: held in memory, nothing lost, written once space is back', async (t) => {
  const mountPoint = await ownTempDir(t);
  const result = await onFullDisk(
    mountPoint,
    `
const dir = ${JSON.stringify(path.join(mountPoint, 'buffer'))};
const open = () => DiskSampleBuffer.open({ dir, bounds: { maxSamples: 100000, maxAgeMs: 1e12 }, log, now: () => 2e12 });
const buffer = await open();
const points = (i) => Array.from({ length: 10 }, (_, k) => ({ name: 'm' + k, labels: { i: String(k) }, value: i * 10 + k, timestampMs: 1.9e12 + i * 1000 }));
await buffer.append(points(0));
let filler = 0;
for (;;) { try { await writeFile(${JSON.stringify(path.join(mountPoint, 'filler'))} + filler++, Buffer.alloc(4096)); } catch { break; } }
for (let i = 0; i < 64; i++) { try { await writeFile(${JSON.stringify(path.join(mountPoint, 'small'))} + i, 'x'); } catch { break; } }
// The segment's last page still has room: append until the disk refuses a tick, then ten more.
const dropped = [];
let tickNo = 1;
for (let refusedAt = 0; tickNo < 400 && (refusedAt === 0 || tickNo < refusedAt + 10); tickNo++) {
  dropped.push(...Object.keys((await buffer.append(points(tickNo))).dropped));
  if (refusedAt === 0 && lines.some((line) => line.includes('the disk refuses writes'))) refusedAt = tickNo;
}
const sizeWhileFull = buffer.size;
for (let i = 0; i < filler; i++) await rm(${JSON.stringify(path.join(mountPoint, 'filler'))} + i, { force: true });
await buffer.append(points(tickNo));
await buffer.close();
const reopened = await open();
const values = [];
for (let after = 0; ; ) { const batch = await reopened.read({ afterSeq: after, maxPoints: 500 }); values.push(...batch.points.map((entry) => entry.point.value)); after = batch.cursor; if (batch.done) break; }
process.stdout.write(JSON.stringify({
  dropped,
  heldInMemory: lines.some((line) => line.includes('the disk refuses writes')),
  writtenAgain: lines.some((line) => line.includes('the disk takes writes again')),
  sizeWhileFullIsEveryTick: sizeWhileFull === tickNo * 10,
  values: values.length === (tickNo + 1) * 10,
  inOrder: values.every((value, index) => value === index),
  droppedAfterRestart: reopened.stats().dropped,
}));
`,
  );
  t.same(result, {
    dropped: [],
    heldInMemory: true,
    writtenAgain: true,
    sizeWhileFullIsEveryTick: true,
    values: true,
    inOrder: true,
    droppedAfterRestart: {},
  });
});
