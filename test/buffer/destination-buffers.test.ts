// One durable buffer, a cursor per destination, on real files: what each
// destination reads, when a sample leaves, restarts and crashes between the
// cursor's write and the release, an upgrade from a buffer without cursors,
// a destination removed from the config, bounds counted per destination.
import t from 'tap';
import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { DiskSampleBuffer } from '../../src/buffer/disk-buffer.js';
import { DestinationBuffers, type DestinationEntry } from '../../src/buffer/destination-buffers.js';
import { CursorFiles, MemoryCursorStore } from '../../src/buffer/cursor-files.js';
import { MemorySampleBuffer } from '../../src/buffer/memory-buffer.js';
import type { SampleBuffer } from '../../src/buffer/sample-buffer.js';
import type { MetricPoint } from '../../src/base/model.js';
import { silentLogger } from '../../src/base/log.js';
import { ownTempDir } from '../helpers/files.js';

const T0 = 1_700_000_000_000;
const LOOSE = { maxSamples: 1_000_000, maxAgeMs: 1e12 };
const BOTH: readonly DestinationEntry[] = [
  { name: 'primary', startsAt: 'oldest' },
  { name: 'own', startsAt: 'now' },
];

/** `count` points of one series, one second apart, from `from`. */
function points(from: number, count: number): MetricPoint[] {
  return Array.from({ length: count }, (_, i) => ({
    name: 'cluster:usage:containers:sum',
    labels: {},
    value: from + i,
    timestampMs: T0 + (from + i) * 1000,
  }));
}

async function seqsOf(view: SampleBuffer): Promise<number[]> {
  const batch = await view.read({ afterSeq: 0, maxPoints: 1000 });
  return batch.points.map((entry) => entry.seq);
}

async function openDisk(dir: string, entries = BOTH, bounds = LOOSE) {
  const base = await DiskSampleBuffer.open({ dir, bounds, log: silentLogger });
  return DestinationBuffers.open(base, entries, new CursorFiles(dir, silentLogger), silentLogger);
}

t.test(
  'an upgraded buffer: the primary gets what it held, a new destination what comes after',
  async (t) => {
    const dir = await ownTempDir(t);
    // Written by the buffer alone, as the release without cursors leaves it.
    const old = await DiskSampleBuffer.open({ dir, bounds: LOOSE, log: silentLogger });
    await old.append(points(0, 5));
    await old.close();

    const buffers = await openDisk(dir);
    const primary = buffers.view('primary');
    const own = buffers.view('own');
    t.same(
      await seqsOf(primary),
      [1, 2, 3, 4, 5],
      'everything held before the upgrade, to the primary',
    );
    t.same(await seqsOf(own), [], 'nothing from before the upgrade to the new destination');
    await primary.append(points(5, 3));
    t.same(await seqsOf(primary), [1, 2, 3, 4, 5, 6, 7, 8]);
    t.same(await seqsOf(own), [6, 7, 8]);
    t.equal(primary.size, 8);
    t.equal(own.size, 3);
    t.same(
      (await readdir(dir)).filter((name) => name.startsWith('cursor-')).sort(),
      ['cursor-own.json', 'cursor-primary.json'],
      'each destination has its cursor on disk from the first start',
    );
    await buffers.close();
  },
);

t.test('a sample leaves the buffer only when every destination took it', async (t) => {
  const dir = await ownTempDir(t);
  let buffers = await openDisk(dir);
  await buffers.view('primary').append(points(0, 6));
  // own starts at "now" with an empty buffer: it gets all six.
  await buffers.view('primary').acknowledge([{ first: 1, last: 6 }], 'delivered');
  t.equal(buffers.shared.size, 6, 'own has taken none: all six held');
  t.equal(buffers.view('primary').size, 0);
  t.same(await seqsOf(buffers.view('primary')), []);
  await buffers.view('own').acknowledge([{ first: 1, last: 2 }], 'delivered');
  t.equal(buffers.shared.size, 4, 'the two both took are gone from the buffer');
  t.same(await seqsOf(buffers.view('own')), [3, 4, 5, 6]);

  // A restart keeps both cursors.
  await buffers.close();
  buffers = await openDisk(dir);
  t.same(await seqsOf(buffers.view('primary')), [], 'the primary is not sent again what it took');
  t.same(await seqsOf(buffers.view('own')), [3, 4, 5, 6]);
  await buffers.view('own').acknowledge([{ first: 3, last: 6 }], 'rejected');
  t.equal(buffers.shared.size, 0);
  t.same(
    (await buffers.stats('own')).dropped,
    { rejected: 4 },
    'refused for good by own: its drop',
  );
  t.same((await buffers.stats('primary')).dropped, {}, 'not the primary’s');
  await buffers.close();
});

t.test(
  'a crash after the cursor was written and before the release loses and doubles nothing',
  async (t) => {
    const dir = await ownTempDir(t);
    const buffers = await openDisk(dir);
    await buffers.view('primary').append(points(0, 4));
    await buffers.view('own').acknowledge([{ first: 1, last: 4 }], 'delivered');
    await buffers.close();
    // The image a crash leaves: primary's cursor written (it took 1-4), the segments not yet compacted.
    await writeFile(
      path.join(dir, 'cursor-primary.json'),
      JSON.stringify({ format: 1, destination: 'primary', taken: [[1, 4]], dropped: {} }),
    );
    const again = await openDisk(dir);
    t.equal(again.shared.size, 0, 'what both took leaves at the start');
    t.same(await seqsOf(again.view('primary')), []);
    t.same(await seqsOf(again.view('own')), []);
    await again.close();
    // The next start finds the buffer empty and numbers new samples from 1 again.
    const third = await openDisk(dir);
    await third.view('primary').append(points(4, 2));
    t.same(
      await seqsOf(third.view('primary')),
      [1, 2],
      'numbered afresh from an empty buffer: both get them',
    );
    t.same(await seqsOf(third.view('own')), [1, 2], 'old cursors do not hide reused seqs');
    await third.close();
  },
);

t.test('a destination removed from the config: what only it lacked leaves', async (t) => {
  const dir = await ownTempDir(t);
  const buffers = await openDisk(dir);
  await buffers.view('primary').append(points(0, 5));
  await buffers.view('primary').acknowledge([{ first: 1, last: 5 }], 'delivered');
  t.equal(buffers.shared.size, 5, 'held for own');
  await buffers.close();
  const alone = await openDisk(dir, [{ name: 'primary', startsAt: 'oldest' }]);
  t.equal(alone.shared.size, 0);
  t.same(
    (await readdir(dir)).filter((name) => name.startsWith('cursor-')),
    ['cursor-primary.json'],
    "own's cursor is removed",
  );
  await alone.close();
});

t.test('an unreadable cursor: that destination gets every held sample again', async (t) => {
  const dir = await ownTempDir(t);
  const buffers = await openDisk(dir);
  await buffers.view('primary').append(points(0, 3));
  await buffers.view('own').acknowledge([{ first: 1, last: 3 }], 'delivered');
  await buffers.close();
  await writeFile(
    path.join(dir, 'cursor-own.json'),
    '{"format":1,"destination":"own","taken":[[3,1]]}',
  );
  const again = await openDisk(dir);
  t.same(await seqsOf(again.view('own')), [1, 2, 3]);
  await again.close();
});

t.test(
  'the bounds drop the oldest: each destination counts only what it had not taken',
  async (t) => {
    const base = new MemorySampleBuffer({ maxSamples: 4, maxAgeMs: 1e12 });
    const buffers = await DestinationBuffers.open(
      base,
      BOTH,
      new MemoryCursorStore(),
      silentLogger,
    );
    await buffers.view('primary').append(points(0, 4));
    await buffers.view('primary').acknowledge([{ first: 1, last: 3 }], 'delivered');
    await buffers.view('primary').append(points(4, 3)); // 1, 2, 3 go: own lacked them, the primary had them
    t.same((await buffers.stats('own')).dropped, { full: 3 });
    t.same((await buffers.stats('primary')).dropped, {});
    t.same(await seqsOf(buffers.view('own')), [4, 5, 6, 7]);
    t.same(await seqsOf(buffers.view('primary')), [4, 5, 6, 7]);
    t.equal(buffers.view('own').size, 4);
    t.equal(buffers.view('primary').size, 4);
  },
);

t.test('a cursor file holds the ranges, not the samples', async (t) => {
  const dir = await ownTempDir(t);
  const buffers = await openDisk(dir);
  await buffers.view('primary').append(points(0, 1000));
  await buffers.view('primary').acknowledge([{ first: 1, last: 1000 }], 'delivered');
  const text = await readFile(path.join(dir, 'cursor-primary.json'), 'utf8');
  t.same(JSON.parse(text), {
    format: 1,
    destination: 'primary',
    taken: [[1, 1000]],
    dropped: {},
    anchor: [1000, T0 + 999 * 1000],
  });
  await buffers.close();
});

t.test(
  'a buffer the release before destinations wrote (c8a1e96, 5 ticks): read whole, to the primary only, the file untouched',
  async (t) => {
    const fixture = path.resolve(
      path.dirname(fileURLToPath(import.meta.url)),
      '../fixtures/buffer-release-0.1.0',
    );
    const dir = await ownTempDir(t);
    await cp(fixture, dir, { recursive: true });
    const segment = 'segment-00000000000001.etsb';
    const before = await readFile(path.join(dir, segment));
    // Its samples are from 2026-12-02: no age bound may drop them whenever the test runs.
    const buffers = await openDisk(dir, BOTH, { maxSamples: 1_000_000, maxAgeMs: 1e13 });
    const primary = await buffers.view('primary').read({ afterSeq: 0, maxPoints: 1000 });
    t.equal(primary.points.length, 15, 'three host metrics a tick, five ticks');
    t.same([...new Set(primary.points.map((entry) => entry.point.name))].sort(), [
      'cluster:cpu_usage_cores:sum',
      'cluster:disk_usage_bytes:sum',
      'cluster:memory_usage_bytes:sum',
    ]);
    t.same(
      await seqsOf(buffers.view('own')),
      [],
      'a destination added by the upgrade starts after them',
    );
    t.same(
      await readFile(path.join(dir, segment)),
      before,
      'the segment is not rewritten: format 1 as it was',
    );
    await buffers.view('primary').acknowledge([{ first: 1, last: 15 }], 'delivered');
    t.equal(
      buffers.shared.size,
      0,
      'once the primary took them they leave: the new destination never had them',
    );
    await buffers.close();
  },
);

t.test(
  'a disk that refuses a cursor write: no throw, one line, written at the next change that works',
  async (t) => {
    const lines: string[] = [];
    const log = { ...silentLogger, warn: (message: string) => lines.push(message) };
    const inner = new MemoryCursorStore();
    let full = true;
    const store = {
      load: () => inner.load(),
      remove: (name: string) => inner.remove(name),
      save: async (name: string, state: Parameters<MemoryCursorStore['save']>[1]) => {
        if (full) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
        await inner.save(name, state);
      },
    };
    const base = new MemorySampleBuffer(LOOSE);
    const buffers = await DestinationBuffers.open(base, BOTH, store, log);
    await buffers.view('primary').append(points(0, 4));
    await buffers.view('own').acknowledge([{ first: 1, last: 2 }], 'delivered');
    await buffers.view('own').acknowledge([{ first: 3, last: 3 }], 'rejected');
    t.equal(
      lines.filter((line) => /cannot write a destination cursor/.test(line)).length,
      1,
      'said once',
    );
    t.same(await seqsOf(buffers.view('own')), [4], 'the cursor is right in memory');
    t.same((await inner.load()).get('own'), undefined, 'nothing on disk yet');
    full = false;
    await buffers.view('primary').acknowledge([{ first: 1, last: 1 }], 'delivered');
    t.match((await inner.load()).get('own'), {
      taken: [{ first: 1, last: 3 }],
      dropped: { rejected: 1 },
    });
  },
);

t.test(
  'a destination removed: the samples that leave with it are said, with their count',
  async (t) => {
    const dir = await ownTempDir(t);
    const buffers = await openDisk(dir);
    await buffers.view('primary').append(points(0, 5));
    await buffers.view('primary').acknowledge([{ first: 1, last: 5 }], 'delivered');
    await buffers.close();
    const lines: string[] = [];
    const log = {
      ...silentLogger,
      warn: (message: string, fields?: Record<string, unknown>) =>
        lines.push(`${message} ${JSON.stringify(fields)}`),
    };
    const base = await DiskSampleBuffer.open({ dir, bounds: LOOSE, log: silentLogger });
    const alone = await DestinationBuffers.open(
      base,
      [{ name: 'primary', startsAt: 'oldest' }],
      new CursorFiles(dir, silentLogger),
      log,
    );
    t.same(lines, [
      'buffer: a destination is no longer configured; the samples only it still lacked leave the buffer {"destination":"own","samples":5}',
    ]);
    await alone.close();
  },
);

t.test(
  'a downgrade that emptied the buffer and numbered new samples from 1: the old cursors do not hide them',
  async (t) => {
    const dir = await ownTempDir(t);
    const buffers = await openDisk(dir);
    await buffers.view('primary').append(points(0, 6));
    // own is down: the primary's cursor holds 1-6, anchored at seq 6.
    await buffers.view('primary').acknowledge([{ first: 1, last: 6 }], 'delivered');
    await buffers.close();
    // The older release (no cursors): it sends all it holds, then buffers anew, from seq 1.
    const older = await DiskSampleBuffer.open({ dir, bounds: LOOSE, log: silentLogger });
    await older.acknowledge([{ first: 1, last: 6 }], 'delivered');
    await older.close();
    const restarted = await DiskSampleBuffer.open({ dir, bounds: LOOSE, log: silentLogger });
    await restarted.append(points(100, 4));
    await restarted.close();
    const lines: string[] = [];
    const log = { ...silentLogger, warn: (message: string) => lines.push(message) };
    const base = await DiskSampleBuffer.open({ dir, bounds: LOOSE, log: silentLogger });
    const upgraded = await DestinationBuffers.open(
      base,
      BOTH,
      new CursorFiles(dir, silentLogger),
      log,
    );
    t.same(
      await seqsOf(upgraded.view('primary')),
      [1, 2, 3, 4],
      'the primary gets the four new ones',
    );
    t.same(await seqsOf(upgraded.view('own')), [1, 2, 3, 4], 'and so does own');
    t.equal(
      lines.filter((line) => /earlier numbering/.test(line)).length,
      1,
      'one line, for the primary (own had taken nothing)',
    );
    await upgraded.close();
  },
);

t.test('the same numbering after a restart: a cursor is trusted, nothing sent twice', async (t) => {
  const dir = await ownTempDir(t);
  const buffers = await openDisk(dir);
  await buffers.view('primary').append(points(0, 6));
  await buffers.view('primary').acknowledge([{ first: 1, last: 4 }], 'delivered');
  await buffers.close();
  const lines: string[] = [];
  const log = { ...silentLogger, warn: (message: string) => lines.push(message) };
  const base = await DiskSampleBuffer.open({ dir, bounds: LOOSE, log: silentLogger });
  const again = await DestinationBuffers.open(base, BOTH, new CursorFiles(dir, silentLogger), log);
  t.same(await seqsOf(again.view('primary')), [5, 6]);
  t.same(lines, []);
  await again.close();
});
