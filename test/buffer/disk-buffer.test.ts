// The durable buffer on real files in a temp dir: restarts, torn tails,
// corruption, crash images around the compaction rename, bounds.
import t from 'tap';
import { cp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DiskSampleBuffer, type CompactionHooks } from '../../src/buffer/disk-buffer.js';
import { HEADER_BYTES, frameAt } from '../../src/buffer/segment-format.js';
import type { BufferedPoint, SampleBuffer } from '../../src/buffer/sample-buffer.js';
import type { MetricPoint } from '../../src/base/model.js';
import { formatLine, type Logger } from '../../src/base/log.js';
import { ownTempDir } from '../helpers/files.js';

/** Temp dirs of this file, removed when it ends. */
const scratch = () => ownTempDir(t);

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;
const LOOSE = { maxSamples: 1_000_000, maxAgeMs: 10_000 * HOUR };

/** One sampling tick of the full catalog: 10 series, counts, bytes and a fraction. */
function tick(index: number): MetricPoint[] {
  const timestampMs = T0 + index * HOUR;
  const resources = [
    'pods',
    'namespaces',
    'services',
    'ingresses.networking.k8s.io',
    'routes.route.openshift.io',
    'customresourcedefinitions.apiextensions.k8s.io',
  ];
  return [
    { name: 'cluster:cpu_usage_cores:sum', labels: {}, value: 0.25 + index / 1000, timestampMs },
    {
      name: 'cluster:memory_usage_bytes:sum',
      labels: {},
      value: 7_500_000_000 + index * 4096,
      timestampMs,
    },
    {
      name: 'cluster:disk_usage_bytes:sum',
      labels: {},
      value: 120_000_000_000 + index * 8192,
      timestampMs,
    },
    { name: 'cluster:usage:containers:sum', labels: {}, value: 310 + (index % 7), timestampMs },
    ...resources.map((resource, i) => ({
      name: 'cluster:usage:resources:sum',
      labels: { resource },
      value: 300 - i * 40 + (index % 3),
      timestampMs,
    })),
  ];
}

function capture(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at =
    (level: 'error' | 'warn' | 'info' | 'debug') =>
    (message: string, fields?: Record<string, string | number | boolean | undefined>) => {
      lines.push(formatLine(level, message, fields));
    };
  return { lines, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

async function readAll(buffer: SampleBuffer, maxPoints = 1000): Promise<BufferedPoint[]> {
  const all: BufferedPoint[] = [];
  let afterSeq = 0;
  for (;;) {
    const batch = await buffer.read({ afterSeq, maxPoints });
    all.push(...batch.points);
    afterSeq = batch.cursor;
    if (batch.done) return all;
  }
}

const plain = (entries: readonly BufferedPoint[]) =>
  entries.map((entry) => ({ seq: entry.seq, ...entry.point }));

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.etsb')).sort();
}

async function open(
  dir: string,
  options: {
    log?: Logger;
    now?: () => number;
    bounds?: typeof LOOSE;
    segmentMaxSamples?: number;
    hooks?: CompactionHooks;
  } = {},
) {
  return DiskSampleBuffer.open({
    dir,
    bounds: options.bounds ?? LOOSE,
    log: options.log ?? capture(),
    now: options.now ?? (() => T0 + 1000 * HOUR),
    ...options,
  });
}

t.test('round trip: what goes in comes out, oldest first, exactly', async (t) => {
  const dir = path.join(await scratch(), 'buffer');
  const buffer = await open(dir, { segmentMaxSamples: 50 });
  const expected: MetricPoint[] = [];
  for (let i = 0; i < 30; i++) {
    expected.push(...tick(i));
    await buffer.append(tick(i));
  }
  t.equal(buffer.size, 300);
  const read = await readAll(buffer, 37);
  t.same(
    read.map((entry) => entry.point),
    expected,
  );
  t.same(
    read.map((entry) => entry.seq),
    expected.map((_, index) => index + 1),
  );
  t.equal((await segmentFiles(dir)).length, 6, 'split into segments of 50: five ticks each');
  t.equal((await buffer.read({ afterSeq: 300, maxPoints: 10 })).points.length, 0);
  t.equal(buffer.stats().oldestSampleMs, T0);
  await buffer.close();
});

t.test('compact on disk: 30 days of the full catalog at the default 1h interval', async (t) => {
  const dir = path.join(await scratch(), 'buffer');
  const buffer = await open(dir);
  for (let i = 0; i < 720; i++) await buffer.append(tick(i));
  const stats = buffer.stats();
  t.equal(stats.samples, 7200);
  const files = await segmentFiles(dir);
  let bytes = 0;
  for (const name of files) bytes += (await readFile(path.join(dir, name))).length;
  t.equal(stats.bytesOnDisk, bytes, 'stats report the bytes the files take');
  t.comment(
    `${stats.samples} samples in ${bytes} bytes: ${(bytes / stats.samples).toFixed(2)} bytes a sample, ${files.length} segment files`,
  );
  t.ok(
    bytes / stats.samples < 7,
    'under 7 bytes a sample (labels interned per segment, one record a tick)',
  );
  await buffer.close();
});

t.test('a restart keeps exactly the unacknowledged samples', async (t) => {
  const dir = path.join(await scratch(), 'buffer');
  let buffer = await open(dir, { segmentMaxSamples: 64 });
  for (let i = 0; i < 40; i++) await buffer.append(tick(i));
  const before = await readAll(buffer);
  // Whole segments, a part of one, and scattered seqs (another request's series).
  await buffer.acknowledge(
    [
      { first: 1, last: 150 },
      { first: 171, last: 171 },
      { first: 200, last: 209 },
      { first: 301, last: 305 },
    ],
    'delivered',
  );
  const acked = (seq: number) =>
    seq <= 150 || seq === 171 || (seq >= 200 && seq <= 209) || (seq >= 301 && seq <= 305);
  const kept = before.filter((entry) => !acked(entry.seq));
  t.equal(buffer.size, kept.length);
  await buffer.close();
  buffer = await open(dir);
  t.equal(buffer.size, 400 - 150 - 1 - 10 - 5);
  t.same(
    plain(await readAll(buffer)),
    plain(kept),
    'same seqs, names, labels, values and timestamps',
  );
  await buffer.append(tick(40));
  const after = await readAll(buffer);
  t.equal(after[after.length - 1]?.seq, 410, 'seqs go on after the restart');
  t.same(buffer.stats().dropped, {}, 'nothing counted as dropped');
  await buffer.close();
});

t.test(
  'each restart carries on in the last segment: one file for many short processes, as for one long one',
  async (t) => {
    const dir = path.join(await scratch(), 'buffer');
    const reference = await open(path.join(await scratch(), 'buffer'), { segmentMaxSamples: 64 });
    // A new series in the third process: the dictionary read back is extended, not renumbered.
    const ticks = [0, 1, 2, 3, 4, 5, 6, 7].map((i) =>
      i === 2
        ? [
            ...tick(i),
            {
              name: 'cluster:usage:resources:sum',
              labels: { resource: 'new' },
              value: 1,
              timestampMs: T0 + i * HOUR,
            },
          ]
        : tick(i),
    );
    const files: number[] = [];
    for (const points of ticks) {
      // One process per tick, as a daemon that exits between ticks.
      const buffer = await open(dir, { segmentMaxSamples: 64 });
      await buffer.append(points);
      await buffer.close();
      await reference.append(points);
      files.push((await segmentFiles(dir)).length);
    }
    // 10 samples a tick (11 in the third): the segment is full (64) after the seventh, the eighth opens a new one.
    t.same(files, [1, 1, 1, 1, 1, 1, 1, 2], 'a new file only when the last one is full');
    const buffer = await open(dir);
    t.same(
      plain(await readAll(buffer)),
      plain(await readAll(reference)),
      'read back as one process wrote it',
    );
    t.equal(buffer.size, 81);
    await buffer.close();
    await reference.close();
  },
);

t.test('a damaged last segment is not carried on: appends go to a new one', async (t) => {
  const dir = path.join(await scratch(), 'buffer');
  let buffer = await open(dir, { segmentMaxSamples: 64 });
  await buffer.append(tick(0));
  await buffer.close();
  const [first] = await segmentFiles(dir);
  // A torn append: the start of a record with nothing after it.
  await writeFile(path.join(dir, first as string), Buffer.from([2, 200, 1]), { flag: 'a' });
  const log = capture();
  buffer = await open(dir, { segmentMaxSamples: 64, log });
  t.match(log.lines.join('\n'), /torn or corrupt tail cut/, 'the torn tail is cut, as before');
  await buffer.append(tick(1));
  await buffer.close();
  t.equal((await segmentFiles(dir)).length, 2, 'and the next append went to a new segment');
  buffer = await open(dir);
  t.same(
    plain(await readAll(buffer)),
    plain([...tick(0), ...tick(1)].map((point, i) => ({ seq: i + 1, point }))),
    'nothing lost',
  );
  await buffer.close();
});

t.test('acknowledged as rejected or oversized: counted as dropped by reason', async (t) => {
  const dir = path.join(await scratch(), 'buffer');
  const buffer = await open(dir);
  for (let i = 0; i < 3; i++) await buffer.append(tick(i));
  await buffer.acknowledge([{ first: 1, last: 10 }], 'delivered');
  await buffer.acknowledge([{ first: 11, last: 14 }], 'rejected');
  await buffer.acknowledge(
    [
      { first: 15, last: 15 },
      { first: 1, last: 3 },
    ],
    'oversized',
  );
  t.same(
    buffer.stats().dropped,
    { rejected: 4, oversized: 1 },
    'already gone seqs are not counted',
  );
  t.equal(buffer.size, 15);
  await buffer.close();
});

t.test(
  'compaction is atomic: a crash image before the rename has the old file, after it the new one',
  async (t) => {
    const root = await scratch();
    const dir = path.join(root, 'buffer');
    const images: Record<string, string> = {};
    const snapshot = (label: string) => async () => {
      images[label] = path.join(root, `image-${label}`);
      await cp(dir, images[label], { recursive: true });
    };
    const buffer = await open(dir, {
      hooks: { beforeRename: snapshot('before'), afterRename: snapshot('after') },
    });
    for (let i = 0; i < 5; i++) await buffer.append(tick(i));
    const all = await readAll(buffer);
    await buffer.acknowledge([{ first: 1, last: 23 }], 'delivered');
    await buffer.close();
    t.ok(
      (await readdir(images.before as string)).some((name) => name.endsWith('.tmp')),
      'the crash image holds the finished temporary file',
    );

    const log = capture();
    const old = await open(images.before as string, { log });
    t.same(plain(await readAll(old)), plain(all), 'before the rename: the old content, whole');
    t.match(log.lines.join('\n'), /removed an unfinished temporary file/);
    t.notOk(
      (await readdir(images.before as string)).some((name) => name.endsWith('.tmp')),
      'temporary file removed',
    );
    await old.close();
    const compacted = await open(images.after as string);
    t.same(
      plain(await readAll(compacted)),
      plain(all.slice(23)),
      'after the rename: the new content',
    );
    await compacted.close();
  },
);

/** Writes `ticks` ticks in one segment and returns its file and where each record starts. */
async function oneSegment(
  dir: string,
  ticks: number,
): Promise<{ file: string; bytes: Buffer; records: number[] }> {
  const buffer = await open(dir);
  for (let i = 0; i < ticks; i++) await buffer.append(tick(i));
  await buffer.close();
  const [name] = await segmentFiles(dir);
  const file = path.join(dir, name as string);
  const bytes = await readFile(file);
  const records: number[] = [];
  for (let offset = HEADER_BYTES; offset < bytes.length;) {
    records.push(offset);
    const frame = frameAt(bytes, offset);
    if (frame.kind !== 'record') throw new Error('unexpected frame');
    offset = frame.next;
  }
  return { file, bytes, records };
}

t.test(
  'a torn tail at every byte offset of the last record: the earlier ticks kept exactly, the cut logged',
  async (t) => {
    const root = await scratch();
    const { bytes, records } = await oneSegment(path.join(root, 'source'), 4);
    const lastStart = records[records.length - 1] as number;
    const name = (await segmentFiles(path.join(root, 'source')))[0] as string;
    const expected = await (async () => {
      const dir = path.join(root, 'reference');
      await mkdir(dir);
      await writeFile(path.join(dir, name), bytes.subarray(0, lastStart));
      const reference = await open(dir);
      const points = await readAll(reference);
      await reference.close();
      return plain(points);
    })();
    t.equal(expected.length, 30, 'three whole ticks before the last record');
    let checked = 0;
    for (let cut = lastStart + 1; cut < bytes.length; cut++) {
      const dir = path.join(root, `cut-${cut}`);
      await mkdir(dir);
      await writeFile(path.join(dir, name), bytes.subarray(0, cut));
      const log = capture();
      const buffer = await open(dir, { log });
      const kept = plain(await readAll(buffer));
      if (kept.length !== 30 || JSON.stringify(kept) !== JSON.stringify(expected))
        t.fail(`cut at ${cut}: ${kept.length} samples`);
      if (
        !log.lines.some(
          (line) =>
            line.includes('torn or corrupt tail cut at the last good record') &&
            line.includes(`offset=${lastStart}`) &&
            line.includes(`bytesCut=${cut - lastStart}`),
        )
      ) {
        t.fail(`cut at ${cut}: not logged: ${log.lines.join(' | ')}`);
      }
      t.equal(
        (await readFile(path.join(dir, name))).length,
        lastStart,
        `cut at ${cut}: file truncated to the good part`,
      );
      await buffer.append(tick(9));
      t.equal(buffer.size, 40, `cut at ${cut}: sampling goes on`);
      await buffer.close();
      await rm(dir, { recursive: true });
      checked++;
    }
    t.equal(checked, bytes.length - lastStart - 1, `${checked} offsets checked`);
  },
);

t.test(
  'a flipped byte in the middle: only its record is lost, the records after it kept, a copy aside, counted once',
  async (t) => {
    const dir = path.join(await scratch(), 'buffer');
    const { file, bytes, records } = await oneSegment(dir, 10);
    // records: the series dictionary first (10 SERIES records), then one SAMPLES record a tick.
    const samplesRecords = records.slice(10);
    t.equal(samplesRecords.length, 10);
    const victim = samplesRecords[6] as number;
    const flipped = Buffer.from(bytes);
    flipped[victim + 15] = (flipped[victim + 15] as number) ^ 0x20; // inside the first value
    await writeFile(file, flipped);
    const log = capture();
    const buffer = await open(dir, { log });
    const kept = await readAll(buffer);
    t.equal(kept.length, 90, 'every tick but the damaged one');
    t.same(
      kept.map((entry) => entry.point),
      [0, 1, 2, 3, 4, 5, 7, 8, 9].flatMap((i) => tick(i)),
    );
    t.match(
      log.lines.join('\n'),
      /corrupt records skipped and dropped; the records after them are kept .*samplesLost=10 samplesKept=90 copy=segment-\S+\.corrupt/,
    );
    t.same(buffer.stats().dropped, { corrupt: 10 }, 'status counts the loss exactly');
    const aside = (await readdir(dir)).filter((name) => name.endsWith('.corrupt'));
    t.equal(aside.length, 1, 'a copy of the damaged file kept aside');
    t.same(await readFile(path.join(dir, aside[0] as string)), flipped, 'as it was found');
    await buffer.close();
    const again = await open(dir, { log: capture() });
    t.equal((await readAll(again)).length, 90, 'after a restart: the same samples');
    t.same(
      again.stats().dropped,
      { corrupt: 10 },
      'the count kept, not added to again: the segment was rewritten without the damage',
    );
    await again.close();
  },
);

t.test(
  'one flipped byte in each record in turn: exactly that record costs, never more',
  async (t) => {
    const root = await scratch();
    const { bytes, records } = await oneSegment(path.join(root, 'source'), 6);
    const name = (await segmentFiles(path.join(root, 'source')))[0] as string;
    // 10 series records, 6 samples records of 10 samples each.
    for (const [index, offset] of records.entries()) {
      const series = index < 10;
      const dir = path.join(root, `flip-${index}`);
      await mkdir(dir);
      const flipped = Buffer.from(bytes);
      const end = records[index + 1] ?? bytes.length;
      const at = offset + Math.floor((end - offset) / 2);
      flipped[at] = (flipped[at] as number) ^ 0x01;
      await writeFile(path.join(dir, name), flipped);
      const buffer = await open(dir, { log: capture() });
      const kept = await readAll(buffer);
      // A series record lost: its series' sample in each of the 6 ticks. A samples record lost: its tick's 10.
      const lost = series ? 6 : 10;
      t.equal(
        kept.length,
        60 - lost,
        `record ${index} (${series ? 'series' : 'samples'}): ${lost} lost`,
      );
      t.same(buffer.stats().dropped, { corrupt: lost }, `record ${index}: counted exactly`);
      await buffer.close();
    }
  },
);

t.test(
  'a file corrupt as a whole is renamed aside; the other segments are still read',
  async (t) => {
    const dir = path.join(await scratch(), 'buffer');
    let buffer = await open(dir, { segmentMaxSamples: 20 });
    for (let i = 0; i < 6; i++) await buffer.append(tick(i));
    await buffer.close();
    const files = await segmentFiles(dir);
    t.equal(files.length, 3);
    await writeFile(
      path.join(dir, files[1] as string),
      Buffer.from('this is not a buffer segment at all\n'),
    );
    const future = await readFile(path.join(dir, files[2] as string));
    future[4] = 9; // a version this code does not know
    await writeFile(path.join(dir, files[2] as string), future);
    const log = capture();
    buffer = await open(dir, { log });
    t.same(
      (await readAll(buffer)).map((entry) => entry.point),
      [...tick(0), ...tick(1)],
      'the intact segment is still there',
    );
    const text = log.lines.join('\n');
    t.match(
      text,
      new RegExp(
        `file corrupt as a whole; renamed aside.* file=${files[1]} .*reason="not a buffer segment \\(bad magic\\)"`,
      ),
    );
    t.match(text, new RegExp(`file=${files[2]} .*reason="segment version 9 is not 1"`));
    const aside = (await readdir(dir)).filter((name) => name.endsWith('.corrupt'));
    t.equal(aside.length, 2, 'both kept aside for the admin');
    await buffer.append(tick(7));
    t.equal(buffer.size, 30);
    await buffer.close();
    buffer = await open(dir);
    t.equal(buffer.size, 30, 'and the next start is clean');
    await buffer.close();
  },
);

t.test('bounded by count: the oldest go, counted exactly', async (t) => {
  const dir = path.join(await scratch(), 'buffer');
  const buffer = await open(dir, {
    bounds: { maxSamples: 95, maxAgeMs: 10_000 * HOUR },
    segmentMaxSamples: 30,
  });
  const drops: number[] = [];
  for (let i = 0; i < 12; i++) drops.push((await buffer.append(tick(i))).dropped.full ?? 0);
  t.same(drops, [0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 10, 10]);
  t.equal(buffer.size, 95);
  const kept = await readAll(buffer);
  t.equal(kept[0]?.seq, 26, 'seqs 1-25 went');
  t.same(
    kept.map((entry) => entry.point),
    Array.from({ length: 12 }, (_, i) => tick(i))
      .flat()
      .slice(25),
  );
  t.same(buffer.stats().dropped, { full: 25 });
  t.same(
    (await buffer.setBounds({ maxSamples: 40, maxAgeMs: 10_000 * HOUR })).dropped,
    { full: 55 },
    'a reload tightening it drops at once',
  );
  await buffer.close();
  const reopened = await open(dir);
  t.equal(reopened.size, 40, 'drops are on disk');
  await reopened.close();
});

t.test('bounded by age with an injected clock: exact counts', async (t) => {
  const dir = path.join(await scratch(), 'buffer');
  let nowMs = T0;
  const buffer = await open(dir, {
    bounds: { maxSamples: 1_000_000, maxAgeMs: 5 * HOUR },
    now: () => nowMs,
    segmentMaxSamples: 25,
  });
  const drops: number[] = [];
  for (let i = 0; i < 10; i++) {
    nowMs = T0 + i * HOUR;
    drops.push((await buffer.append(tick(i))).dropped.age ?? 0);
  }
  // At tick i the cutoff is tick i-5: a tick exactly 5 h old stays, one older goes.
  t.same(drops, [0, 0, 0, 0, 0, 0, 10, 10, 10, 10]);
  t.equal(buffer.size, 60);
  t.equal(buffer.stats().oldestSampleMs, T0 + 4 * HOUR);
  nowMs = T0 + 100 * HOUR;
  t.same(
    (await buffer.append([])).dropped,
    { age: 60 },
    'a long pause: everything too old goes at the next tick',
  );
  t.equal(buffer.size, 0);
  t.same(buffer.stats().dropped, { age: 100 });
  await buffer.close();
});

t.test('restart after a long time off: too old samples go at start, logged', async (t) => {
  const dir = path.join(await scratch(), 'buffer');
  let buffer = await open(dir, { now: () => T0 });
  for (let i = 0; i < 4; i++) await buffer.append(tick(i));
  await buffer.close();
  const log = capture();
  buffer = await open(dir, {
    log,
    bounds: { maxSamples: 15, maxAgeMs: 2 * HOUR + 1 },
    now: () => T0 + 3 * HOUR,
  });
  t.equal(buffer.size, 15);
  t.same(buffer.stats().dropped, { age: 10, full: 15 });
  t.match(
    log.lines.join('\n'),
    /samples older or more than the bounds allow dropped at start age=10 full=15/,
  );
  await buffer.close();
});

t.test(
  'a write the disk refuses: the tick held in memory, read and sent meanwhile, written with the next tick it takes',
  async (t) => {
    const dir = path.join(await scratch(), 'buffer');
    const log = capture();
    const buffer = await open(dir, { log });
    await buffer.append(tick(0));
    // Take the directory away under the buffer: the next segment cannot be created.
    await buffer.acknowledge([{ first: 1, last: 10 }], 'delivered');
    await rm(dir, { recursive: true });
    t.same((await buffer.append(tick(1))).dropped, {}, 'nothing dropped');
    t.match(
      log.lines.join('\n'),
      /the disk refuses writes; new samples are held in memory until it takes them/,
    );
    t.equal(buffer.size, 10);
    t.same(
      (await readAll(buffer)).map((entry) => entry.point),
      tick(1),
      'read like the rest',
    );
    await buffer.append(tick(2));
    t.equal(buffer.size, 20, 'still held');
    t.equal(
      log.lines.filter((line) => line.includes('the disk refuses writes')).length,
      1,
      'said once',
    );
    await mkdir(dir);
    await buffer.append(tick(3));
    t.match(
      log.lines.join('\n'),
      /the disk takes writes again; the samples held in memory are written samples=20/,
    );
    t.equal(buffer.size, 30);
    t.same(buffer.stats().dropped, {});
    await buffer.close();
    const reopened = await open(dir, { log: capture() });
    t.same(
      (await readAll(reopened)).map((entry) => entry.point),
      [...tick(1), ...tick(2), ...tick(3)],
      'on disk, in order, after a restart',
    );
    await reopened.close();
  },
);

t.test(
  'drop counts survive a restart; a drop count file that is not ours is one line and zero',
  async (t) => {
    const dir = path.join(await scratch(), 'buffer');
    const first = await open(dir);
    for (let i = 0; i < 3; i++) await first.append(tick(i));
    const seqs = (await readAll(first)).map((entry) => entry.seq);
    await first.acknowledge([{ first: seqs[0] as number, last: seqs[4] as number }], 'rejected');
    await first.acknowledge([{ first: seqs[5] as number, last: seqs[5] as number }], 'oversized');
    await first.acknowledge([{ first: seqs[6] as number, last: seqs[9] as number }], 'delivered');
    t.same(first.stats().dropped, { rejected: 5, oversized: 1 });
    await first.close();
    const second = await open(dir);
    t.same(second.stats().dropped, { rejected: 5, oversized: 1 }, 'as before the restart');
    t.equal(second.size, 20);
    await second.close();
    for (const garbage of [
      'not json',
      JSON.stringify({ format: 2, dropped: { rejected: 9 } }),
      JSON.stringify({ format: 1, dropped: { rejected: -4, full: 1.5, x: 3 } }),
    ]) {
      await writeFile(path.join(dir, 'dropped.json'), garbage);
      const log = capture();
      const third = await open(dir, { log });
      t.same(third.stats().dropped, {}, `${garbage}: counting from zero`);
      t.equal(
        log.lines.filter((line) => line.includes('earlier drop counts unreadable')).length,
        garbage.includes('"format":1') ? 0 : 1,
      );
      await third.close();
    }
  },
);
