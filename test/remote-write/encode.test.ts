import t from 'tap';
import { randomBytes } from 'node:crypto';
import { uncompress } from 'snappyjs';
import { encodeWriteRequest, estimatedSeriesSize } from '../../src/remote-write/encode.js';
import { writeRequestType } from '../../src/remote-write/prompb.js';
import { planRequests, type SeriesWithAcks } from '../../src/deliver/plan-requests.js';
import { wireProtocol } from '../../src/deliver/wire-format.js';

const REMOTE_WRITE = wireProtocol('remote-write').format(
  { clusterId: 'c', deploymentType: 'd' },
  () => '',
);
import { decodeWriteRequest } from '../../src/receiver/decode.js';
import type { Series } from '../../src/base/model.js';

const series: Series[] = [
  {
    labels: [
      { name: '__name__', value: 'cluster:cpu_usage_cores:sum' },
      { name: '_id', value: 'c1' },
      { name: 'type', value: 'microshift-rpm' },
    ],
    samples: [
      { value: 0.25, timestampMs: 1_700_000_000_000 },
      { value: 0, timestampMs: 1_700_000_060_000 },
      { value: -1e300, timestampMs: 127 },
    ],
  },
  {
    labels: [
      { name: '__name__', value: 'x' },
      { name: 'ünïcode', value: 'välue ✓ 🚀' },
    ],
    samples: [
      { value: Number.NaN, timestampMs: 0 },
      { value: Infinity, timestampMs: 2 ** 53 - 1 },
    ],
  },
  { labels: [{ name: '__name__', value: 'empty' }], samples: [] },
];

t.test('bytes equal what protobufjs encodes from proto/', async (t) => {
  const type = writeRequestType();
  const reference = type
    .encode({
      timeseries: series.map((s) => ({
        labels: s.labels.map((l) => ({ name: l.name, value: l.value })),
        samples: s.samples.map((x) => ({ value: x.value, timestamp: x.timestampMs })),
      })),
    })
    .finish();
  const ours = encodeWriteRequest(series);
  t.same(Buffer.from(ours).toString('hex'), Buffer.from(reference).toString('hex'));
  const typical: Series = {
    labels: series[0]!.labels,
    samples: Array.from({ length: 100 }, (_, i) => ({
      value: 0.5 + i,
      timestampMs: 1_790_000_000_000 + i * 60_000,
    })),
  };
  const actual = encodeWriteRequest([typical]).length;
  t.ok(
    Math.abs(estimatedSeriesSize(typical) - actual) <= actual * 0.02,
    `packing estimate ${estimatedSeriesSize(typical)} within 2 % of ${actual}`,
  );
});

t.test('round trip through snappy and the receiver decoder', async (t) => {
  const plan = planRequests(
    series.map((s, i) => ({ series: s, sampleSeqs: s.samples.map((_, j) => [i * 10 + j]) })),
    128 * 1024,
    REMOTE_WRITE,
  );
  t.equal(plan.requests.length, 1);
  const request = plan.requests[0]!;
  t.same(
    [...request.seqs].sort((a, b) => a - b),
    [0, 1, 2, 10, 11],
  );
  const verdict = decodeWriteRequest(request.body, 1 << 20);
  // Series 1 has no _id: the telemeter-style check refuses the whole request.
  t.same(verdict, {
    ok: false,
    status: 400,
    message: 'a series carries 0 _id labels, exactly one is required',
  });
  const raw = writeRequestType().decode(uncompress(request.body)).toJSON() as {
    timeseries: { labels: { name: string; value: string }[]; samples?: { timestamp: string }[] }[];
  };
  t.equal(raw.timeseries[1]!.labels[1]!.value, 'välue ✓ 🚀');
  t.equal(raw.timeseries[1]!.samples![1]!.timestamp, String(2 ** 53 - 1));
});

t.test(
  'reports are split under the compressed size limit, and acknowledgements follow the samples',
  async (t) => {
    const items: SeriesWithAcks[] = [];
    let seq = 0;
    for (let s = 0; s < 40; s++) {
      const samples = Array.from({ length: 2000 }, (_, i) => ({
        value: Math.sin(s * 1000 + i) * 1e6,
        timestampMs: 1_700_000_000_000 + i * 1000,
      }));
      items.push({
        series: {
          labels: [
            { name: '__name__', value: `m${s}` },
            { name: '_id', value: 'c' },
          ],
          samples,
        },
        sampleSeqs: samples.map(() => [seq++]),
      });
    }
    const limit = 128 * 1024;
    const plan = planRequests(items, limit, REMOTE_WRITE);
    t.ok(plan.requests.length > 5, `split into ${plan.requests.length} requests`);
    for (const request of plan.requests)
      t.ok(request.body.length < limit, `body ${request.body.length} < ${limit}`);
    const allSeqs = plan.requests.flatMap((request) => request.seqs).sort((a, b) => a - b);
    t.same(
      allSeqs,
      Array.from({ length: seq }, (_, i) => i),
      'every sample acknowledged exactly once',
    );
    let samples = 0;
    for (const request of plan.requests) {
      const verdict = decodeWriteRequest(request.body, 1 << 24);
      t.ok(verdict.ok);
      if (verdict.ok) {
        samples += verdict.series.reduce((sum, s) => sum + s.samples.length, 0);
        for (const s of verdict.series) {
          const times = s.samples.map((x) => x.timestampMs);
          t.same(
            times,
            [...times].sort((a, b) => a - b),
            'oldest first within a request',
          );
        }
      }
      t.equal(request.seqs.length, request.sampleCount);
    }
    t.equal(samples, 80_000);
  },
);

t.test('a series whose labels alone exceed the limit is reported, not looped on', async (t) => {
  const huge = randomBytes(3000).toString('base64'); // incompressible
  const plan = planRequests(
    [
      {
        series: {
          labels: [
            { name: '__name__', value: 'm' },
            { name: 'a', value: huge },
          ],
          samples: [{ value: 1, timestampMs: 1 }],
        },
        sampleSeqs: [[7]],
      },
    ],
    1024,
    REMOTE_WRITE,
  );
  t.equal(plan.requests.length, 0);
  t.same(
    plan.oversized.map((o) => o.seqs),
    [[7]],
  );
});
