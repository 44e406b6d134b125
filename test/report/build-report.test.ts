import t from 'tap';
import { buildReport } from '../../src/report/build-report.js';
import { validateSeriesLabels } from '../../src/report/validate-series.js';
import { toExposition } from '../../src/report/exposition.js';
import type { MetricPoint } from '../../src/base/model.js';

const identity = { clusterId: 'cid-1', deploymentType: 'microshift-rpm' };
const point = (
  name: string,
  labels: Record<string, string>,
  value: number,
  timestampMs: number,
): MetricPoint => ({ name, labels, value, timestampMs });

t.test('every series carries __name__, _id and type exactly once, labels sorted', async (t) => {
  const report = buildReport(
    [
      point(
        'cluster:capacity_cpu_cores:sum',
        { label_kubernetes_io_arch: 'amd64', _id: 'spoofed', type: 'spoofed' },
        4,
        10,
      ),
    ],
    [{ seq: 1, point: point('cluster:cpu_usage_cores:sum', {}, 0.5, 5) }],
    identity,
  );
  t.equal(report.rejected.length, 0);
  for (const item of report.series) {
    const names = item.series.labels.map((l) => l.name);
    t.same(names, [...names].sort(), 'sorted');
    t.equal(names.filter((n) => n === '_id').length, 1);
    t.equal(names.filter((n) => n === 'type').length, 1);
    t.equal(
      item.series.labels.find((l) => l.name === '_id')?.value,
      'cid-1',
      'collectors cannot override _id',
    );
  }
});

t.test('samples ordered oldest first; one per millisecond, both acknowledged', async (t) => {
  const report = buildReport(
    [],
    [
      { seq: 3, point: point('m', {}, 3, 300) },
      { seq: 1, point: point('m', {}, 1, 100) },
      { seq: 2, point: point('m', {}, 2, 100) },
    ],
    identity,
  );
  t.same(report.series[0]!.series.samples, [
    { value: 2, timestampMs: 100 },
    { value: 3, timestampMs: 300 },
  ]);
  t.same(report.series[0]!.sampleSeqs, [[1, 2], [3]]);
});

t.test('series that receivers would refuse are dropped with a reason', async (t) => {
  const report = buildReport(
    [
      point('bad name', {}, 1, 1),
      point('m', { '': 'x' }, 1, 1),
      point('m', { a: '' }, 1, 1),
      point('m', { __reserved: 'x' }, 1, 1),
      point('m', { a: '\uD800' }, 1, 1),
      point('ok', {}, 1, -5),
    ],
    [],
    identity,
  );
  t.equal(report.series.length, 0);
  t.same(
    report.rejected.map((r) => r.reason),
    [
      'invalid metric name "bad name"',
      'invalid label name ""',
      'empty value for label a',
      'invalid label name "__reserved"',
      'label a is not valid UTF-8',
      'invalid timestamp -5',
    ],
  );
});

t.test('label rules', async (t) => {
  t.equal(validateSeriesLabels([]), 'empty label set');
  t.equal(
    validateSeriesLabels([
      { name: '__name__', value: 'm' },
      { name: 'a', value: '1' },
      { name: 'a', value: '2' },
    ]),
    'duplicate label name a',
  );
  t.equal(
    validateSeriesLabels([
      { name: 'b', value: '1' },
      { name: 'a', value: '2' },
    ]),
    'labels not sorted by name',
  );
  t.equal(validateSeriesLabels([{ name: 'a', value: '1' }]), 'no metric name');
});

t.test('exposition escapes label values and groups families', async (t) => {
  const report = buildReport(
    [point('m', { path: 'a"b\\c\nd' }, 1.5, 42), point('m', { path: 'z' }, 2, 42)],
    [],
    identity,
  );
  const text = toExposition(
    report.series.map((item) => item.series),
    { m: 'A gauge for the test.' },
  );
  t.equal(text.match(/# TYPE m gauge/g)?.length, 1);
  t.equal(
    text.match(/# HELP m A gauge for the test\./g)?.length,
    1,
    'HELP from the collector, once per family',
  );
  t.match(
    toExposition(
      report.series.map((item) => item.series),
      {},
    ),
    '# HELP m Collected by edge-telemetry.',
  );
  t.match(text, 'm{_id="cid-1",path="a\\"b\\\\c\\nd",type="microshift-rpm"} 1.5 42');
});
