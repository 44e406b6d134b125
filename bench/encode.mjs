// npm run bench:encode — encode + snappy of 100 series x 1,000 samples, ours
// against the npm package prometheus-remote-write's serializer on the same data,
// measured in the same run, interleaved, median of rounds.
import { createRequire } from 'node:module';
import { compress } from 'snappyjs';
import { encodeWriteRequest } from '../dist/remote-write/encode.js';
import { planRequests } from '../dist/deliver/plan-requests.js';
import { wireProtocol } from '../dist/deliver/wire-format.js';

const require = createRequire(import.meta.url);
const peer = require('prometheus-remote-write');

const SERIES = 100;
const SAMPLES = 1000;
const TOTAL = SERIES * SAMPLES;
const start = 1_790_000_000_000;
let seed = 42;
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const series = Array.from({ length: SERIES }, (_, s) => ({
  labels: [
    { name: '__name__', value: `cluster:usage:resources:sum` },
    { name: '_id', value: '0f6c1d0e-5d4a-4a53-9a8e-3c2f1b0a9e77' },
    { name: 'resource', value: `resource-${s}` },
    { name: 'type', value: 'microshift-rpm' },
  ],
  samples: Array.from({ length: SAMPLES }, (_, i) => ({
    value: Math.round(random() * 5000) / 10,
    timestampMs: start + i * 60_000,
  })),
}));
const peerInput = {
  timeseries: series.map((s) => ({
    labels: s.labels,
    samples: s.samples.map((x) => ({ value: x.value, timestamp: x.timestampMs })),
  })),
};
const acks = series.map((s) => ({ series: s, sampleSeqs: s.samples.map(() => []) }));
const encodedOnce = encodeWriteRequest(series);

const contenders = {
  'edge-telemetry (one body)': async () => compress(encodeWriteRequest(series)).length,
  'edge-telemetry (as sent, split < 128 KiB)': async () =>
    planRequests(
      acks,
      128 * 1024,
      wireProtocol('remote-write').format({ clusterId: 'c', deploymentType: 'd' }, () => ''),
    ).requests.reduce((n, r) => n + r.body.length, 0),
  'ceiling: snappyjs alone on the encoded bytes': async () => compress(encodedOnce).length,
  'prometheus-remote-write serialize + snappyjs': async () =>
    compress(await peer.serialize(peerInput)).length,
};

const ROUNDS = 15;
const times = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
const sizes = {};
for (const run of Object.values(contenders)) await run(); // warm up
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(contenders)) {
    const t0 = process.hrtime.bigint();
    sizes[name] = await run();
    times[name].push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const peerName = 'prometheus-remote-write serialize + snappyjs';
const peerRate = TOTAL / median(times[peerName]);
console.log(
  `encode + snappy, ${SERIES} series x ${SAMPLES} samples, median of ${ROUNDS} rounds, node ${process.version}`,
);
for (const name of Object.keys(contenders)) {
  const rate = TOTAL / median(times[name]);
  console.log(
    `${name.padEnd(46)} ${Math.round(rate).toLocaleString('en').padStart(12)} samples/s  ${(sizes[name] / TOTAL).toFixed(2)} bytes/sample  ${(rate / peerRate).toFixed(2)}x peer`,
  );
}
