// What the agent relies on, checked on both implementations of SampleBuffer.
import t from 'tap';
import path from 'node:path';
import { DiskSampleBuffer } from '../../src/buffer/disk-buffer.js';
import { MemorySampleBuffer } from '../../src/buffer/memory-buffer.js';
import type { BufferBounds, SampleBuffer } from '../../src/buffer/sample-buffer.js';
import type { MetricPoint } from '../../src/base/model.js';
import { silentLogger } from '../../src/base/log.js';
import { ownTempDir } from '../helpers/files.js';

/** Temp dirs of this file, removed when it ends. */
const scratch = () => ownTempDir(t);

const makers: Record<string, (bounds: BufferBounds, now: () => number) => Promise<SampleBuffer>> = {
  memory: async (bounds, now) => new MemorySampleBuffer(bounds, now),
  disk: async (bounds, now) =>
    DiskSampleBuffer.open({
      dir: path.join(await scratch(), 'buffer'),
      bounds,
      log: silentLogger,
      now,
      segmentMaxSamples: 16,
    }),
};

const points = (tick: number, count: number): MetricPoint[] =>
  Array.from({ length: count }, (_, i) => ({
    name: `m${i}`,
    labels: { i: String(i) },
    value: tick * 100 + i,
    timestampMs: 1000 + tick,
  }));

for (const [kind, make] of Object.entries(makers)) {
  t.test(`${kind}: batches by cursor, acknowledgement by ranges, bounds`, async (t) => {
    let nowMs = 1000;
    const buffer = await make({ maxSamples: 50, maxAgeMs: 10 }, () => nowMs);
    t.equal(buffer.kind, kind);
    for (let tick = 0; tick < 6; tick++) {
      nowMs = 1000 + tick;
      await buffer.append(points(tick, 5));
    }
    const first = await buffer.read({ afterSeq: 0, maxPoints: 7 });
    t.same(
      first.points.map((entry) => entry.seq),
      [1, 2, 3, 4, 5, 6, 7],
    );
    t.same([first.cursor, first.done], [7, false]);
    const second = await buffer.read({ afterSeq: first.cursor, maxPoints: 100 });
    t.same([second.points.length, second.cursor, second.done], [23, 30, true]);
    t.equal(second.points[0]?.point.value, 102);
    await buffer.acknowledge(
      [
        { first: 1, last: 7 },
        { first: 9, last: 9 },
      ],
      'delivered',
    );
    const rest = await buffer.read({ afterSeq: 0, maxPoints: 100 });
    t.same(
      rest.points.slice(0, 3).map((entry) => entry.seq),
      [8, 10, 11],
    );
    t.equal(buffer.size, 22);
    nowMs = 1000 + 5 + 11;
    t.same(
      (await buffer.append(points(16, 5))).dropped,
      { age: 22 },
      'older than 10 ms: every earlier tick',
    );
    for (let tick = 17; tick < 30; tick++) {
      nowMs = 1000 + tick;
      await buffer.append(points(tick, 5));
    }
    t.equal(buffer.size, 50);
    t.same(buffer.stats().dropped, { age: 22, full: 20 });
    t.equal(buffer.stats().oldestSampleMs, 1020);
    await buffer.close();
  });
}
