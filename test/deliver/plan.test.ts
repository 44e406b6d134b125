// Every buffered sample is in exactly one place of a plan: a request (a 2xx
// acknowledges it), rejected, or oversized; static points carry no seqs.
import { wireProtocol } from '../../src/deliver/wire-format.js';
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { planDelivery } from '../../src/deliver/plan.js';
import type { BufferedPoint, MetricPoint } from '../../src/base/model.js';

t.test('each buffered seq lands exactly once: in a request, rejected or oversized', async (t) => {
  const now = 1_790_000_000_000;
  const buffered: BufferedPoint[] = [];
  let seq = 1;
  for (let tick = 0; tick < 50; tick++) {
    buffered.push({
      seq: seq++,
      point: {
        name: 'cluster:cpu_usage_cores:sum',
        labels: {},
        value: tick,
        timestampMs: now + tick * 1000,
      },
    });
    buffered.push({
      seq: seq++,
      point: {
        name: 'cluster:usage:resources:sum',
        labels: { resource: 'pods' },
        value: tick,
        timestampMs: now + tick * 1000,
      },
    });
    // No receiver takes a label name with a space.
    buffered.push({
      seq: seq++,
      point: {
        name: 'bad',
        labels: { 'bad label': 'x' },
        value: tick,
        timestampMs: now + tick * 1000,
      },
    });
  }
  // Labels larger than any request can hold, even compressed.
  buffered.push({
    seq,
    point: {
      name: 'huge',
      labels: { l: randomBytes(4000).toString('base64') },
      value: 1,
      timestampMs: now,
    },
  });
  const staticPoints: MetricPoint[] = [
    { name: 'cluster:capacity_cpu_cores:sum', labels: {}, value: 4, timestampMs: now },
  ];
  const plan = planDelivery(
    staticPoints,
    buffered,
    { clusterId: 'c-1', deploymentType: 'microshift-rpm' },
    2048,
    wireProtocol('remote-write').format(
      { clusterId: 'c-1', deploymentType: 'microshift-rpm' },
      () => '',
    ),
  );
  const placed = [
    ...plan.requests.flatMap((request) => request.seqs),
    ...plan.rejected.flatMap((entry) => entry.seqs),
    ...plan.oversized.flatMap((entry) => entry.seqs),
  ];
  t.same(
    [...placed].sort((a, b) => a - b),
    buffered.map((entry) => entry.seq),
    'every seq once',
  );
  t.equal(
    plan.rejected.flatMap((entry) => entry.seqs).length,
    50,
    'the 50 samples of the bad series, rejected',
  );
  t.same(
    plan.oversized.map((entry) => entry.seqs),
    [[151]],
    'the one sample no request can hold',
  );
  t.ok(plan.requests.length > 1, `${plan.requests.length} requests of at most 2048 bytes`);
  t.ok(
    plan.requests.every((request) => request.body.length < 2048),
    'each under the limit',
  );
  t.equal(
    plan.requests.reduce((sum, request) => sum + request.sampleCount, 0),
    101,
    '100 buffered samples and the static one',
  );
});
