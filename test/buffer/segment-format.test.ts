import t from 'tap';
import { crc32 } from '../../src/buffer/crc32.js';
import {
  HEADER_BYTES,
  RecordSink,
  checkHeader,
  decodeSamplesRecord,
  decodeSeriesRecord,
  encodeSamplesRecord,
  encodeSeriesRecord,
  frameAt,
  segmentHeader,
  type EncodedSample,
} from '../../src/buffer/segment-format.js';
import { scanSegment } from '../../src/buffer/segment-scan.js';
import { coversAll, inRanges, normalizeRanges, rangesWithin } from '../../src/buffer/seq-ranges.js';
import { parseStartTime } from '../../src/buffer/data-dir-lock.js';

t.test('crc32 gives the IEEE check values', async (t) => {
  t.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  t.equal(crc32(Buffer.alloc(0)), 0);
  t.equal(crc32(Buffer.from('The quick brown fox jumps over the lazy dog')), 0x414fa339);
});

t.test("crc32 is zlib's on random bytes, whole and in parts", async (t) => {
  const { crc32: zlibCrc32 } = await import('node:zlib');
  const { randomBytes } = await import('node:crypto');
  for (const length of [1, 2, 3, 7, 8, 255, 256, 4097, 65_537]) {
    const bytes = randomBytes(length);
    t.equal(crc32(bytes), zlibCrc32(bytes), `${length} bytes`);
    const start = Math.floor(length / 3);
    const end = length - Math.floor(length / 4);
    t.equal(
      crc32(bytes, start, end),
      zlibCrc32(bytes.subarray(start, end)),
      `${length} bytes, a part`,
    );
  }
});

t.test('every value and timestamp survives the round trip exactly', async (t) => {
  const values = [
    0,
    1,
    -1,
    1.5,
    -0,
    0.1,
    2 ** 52,
    -(2 ** 52),
    2 ** 53,
    2 ** 60,
    1e300,
    -1e-300,
    Number.NaN,
    Infinity,
    -Infinity,
    7_500_000_000,
    123_456_789_012_345,
  ];
  let seq = 1000;
  const samples: EncodedSample[] = values.map((value, index) => ({
    seq: (seq += index % 3 === 0 ? 1 : 7),
    ref: index % 20,
    timestampMs: 1_700_000_000_000 + (index % 4 === 0 ? 0 : index * 1000 - 9000),
    value,
  }));
  const sink = new RecordSink();
  encodeSamplesRecord(sink, samples);
  const bytes = sink.bytes();
  const frame = frameAt(bytes, 0);
  if (frame.kind !== 'record') throw new Error(`bad frame: ${JSON.stringify(frame)}`);
  const decoded: EncodedSample[] = [];
  decodeSamplesRecord(bytes, frame.payloadStart, frame.payloadEnd, (sample) =>
    decoded.push(sample),
  );
  t.equal(decoded.length, samples.length);
  decoded.forEach((sample, index) => {
    const expected = samples[index] as EncodedSample;
    t.ok(Object.is(sample.value, expected.value), `value ${expected.value}`);
    t.equal(sample.seq, expected.seq);
    t.equal(sample.ref, expected.ref);
    t.equal(sample.timestampMs, expected.timestampMs);
  });
});

t.test('series records keep name and labels', async (t) => {
  const sink = new RecordSink();
  encodeSeriesRecord(sink, {
    ref: 300,
    name: 'cluster:usage:resources:sum',
    labels: { resource: 'routes.route.openshift.io', é: 'ü' },
  });
  const bytes = sink.bytes();
  const frame = frameAt(bytes, 0);
  if (frame.kind !== 'record') throw new Error('bad frame');
  t.same(decodeSeriesRecord(bytes, frame.payloadStart, frame.payloadEnd), {
    ref: 300,
    name: 'cluster:usage:resources:sum',
    labels: { resource: 'routes.route.openshift.io', é: 'ü' },
  });
});

t.test(
  'a record is refused where a byte of its payload or checksum changed, where it stops short, and past the maximum',
  async (t) => {
    const sink = new RecordSink();
    encodeSeriesRecord(sink, { ref: 1, name: 'cluster:capacity_cpu_cores:sum', labels: {} });
    const bytes = sink.bytes();
    t.equal(frameAt(bytes, 0).kind, 'record', 'as written');
    t.same(frameAt(bytes, bytes.length), { kind: 'end' });
    // Every byte past the header's type and length: the payload and the CRC itself.
    const headerBytes = (frameAt(bytes, 0) as { payloadStart: number }).payloadStart;
    for (let at = headerBytes; at < bytes.length; at++) {
      const flipped = Uint8Array.from(bytes);
      flipped[at] = (flipped[at] as number) ^ 0x10;
      t.same(frameAt(flipped, 0), { kind: 'bad', reason: 'checksum mismatch' }, `byte ${at}`);
    }
    t.same(frameAt(bytes.subarray(0, bytes.length - 1), 0), {
      kind: 'bad',
      reason: 'record cut short (torn write)',
    });
    t.same(frameAt(Uint8Array.of(9, 1, 0), 0), { kind: 'bad', reason: 'unknown record type 9' });
    t.same(frameAt(Uint8Array.of(1, 0xff, 0xff, 0xff, 0x7f), 0), {
      kind: 'bad',
      reason: 'record length 268435455 beyond the 4194304-byte maximum',
    });
    t.same(frameAt(Uint8Array.of(1, 0x80), 0), {
      kind: 'bad',
      reason: 'record cut inside its header',
    });
  },
);

t.test('header: magic and version are checked', async (t) => {
  t.same(checkHeader(segmentHeader()), { ok: true });
  t.equal(segmentHeader().length, HEADER_BYTES);
  t.match(checkHeader(Buffer.from('ETS')), { ok: false, reason: /shorter/ });
  t.match(checkHeader(Buffer.from('XXXX\u0001\0\0\0')), { ok: false, reason: /magic/ });
  const future = segmentHeader();
  future[4] = 2;
  t.match(checkHeader(future), { ok: false, reason: /version 2/ });
});

t.test('a sample that refers to a series not defined before it is a cut', async (t) => {
  const sink = new RecordSink();
  encodeSeriesRecord(sink, { ref: 0, name: 'a', labels: {} });
  encodeSamplesRecord(sink, [{ seq: 1, ref: 0, timestampMs: 5, value: 1 }]);
  encodeSamplesRecord(sink, [{ seq: 2, ref: 3, timestampMs: 6, value: 1 }]);
  const scan = scanSegment(Buffer.concat([segmentHeader(), sink.bytes()]));
  t.equal(scan.kind, 'ok');
  if (scan.kind !== 'ok') return;
  t.equal(scan.summary.count, 1);
  t.match(scan.summary.cut, { reason: /undefined series 3/, samplesLost: 1 });
});

t.test('seq ranges', async (t) => {
  t.same(
    rangesWithin([1, 2, 3, 7, 8, 9, 10], new Set([1, 2, 3, 7, 8, 9, 10])),
    [{ first: 1, last: 10 }],
    'a whole batch is one range, holes included',
  );
  t.same(rangesWithin([1, 2, 3, 4, 5, 6], new Set([1, 3, 4, 6])), [
    { first: 1, last: 1 },
    { first: 3, last: 4 },
    { first: 6, last: 6 },
  ]);
  t.same(rangesWithin([1, 2, 3], new Set()), []);
  const normalized = normalizeRanges([
    { first: 10, last: 12 },
    { first: 1, last: 3 },
    { first: 4, last: 5 },
    { first: 11, last: 20 },
    { first: 9, last: 8 },
  ]);
  t.same(normalized, [
    { first: 1, last: 5 },
    { first: 10, last: 20 },
  ]);
  t.same(
    [0, 1, 5, 6, 9, 10, 20, 21].map((seq) => inRanges(normalized, seq)),
    [false, true, true, false, false, true, true, false],
  );
  t.ok(coversAll(normalized, 2, 5));
  t.notOk(coversAll(normalized, 2, 11));
});

t.test(
  'lock: the start time is read from /proc/<pid>/stat, whatever the command name holds',
  async (t) => {
    const fields = Array.from({ length: 50 }, (_, index) => String(index + 3));
    t.equal(parseStartTime(`1234 (node) ${fields.join(' ')}`), '22');
    t.equal(parseStartTime(`1234 (a b) c) ${fields.join(' ')}`), '22');
    t.equal(parseStartTime('garbage'), undefined);
  },
);
