import t from 'tap';
import { formatDurationMs, parseDurationMs } from '../../src/config/duration.js';
import { applyMergePatch, patchedPaths } from '../../src/config/merge-patch.js';

t.test('Go durations', async (t) => {
  const cases: [string, number | undefined][] = [
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['1h30m', 5_400_000],
    ['24h', 86_400_000],
    ['1.5h', 5_400_000],
    ['500ms', 500],
    ['0', 0],
    ['', undefined],
    ['5', undefined],
    ['5x', undefined],
    ['-1s', undefined],
    ['1h 30m', undefined],
    ['h', undefined],
  ];
  for (const [text, expected] of cases)
    t.equal(parseDurationMs(text), expected, JSON.stringify(text));
  t.equal(formatDurationMs(5_400_000), '1h30m');
  t.equal(formatDurationMs(1500), '1s500ms');
});

t.test('RFC 7386 merge patch', async (t) => {
  t.same(applyMergePatch({ a: 'b', c: { d: 'e', f: 'g' } }, { a: 'z', c: { f: null } }), {
    a: 'z',
    c: { d: 'e' },
  });
  t.same(applyMergePatch({ a: [1, 2] }, { a: [3] }), { a: [3] }, 'arrays are replaced');
  t.same(applyMergePatch({ a: 'b' }, { b: { c: 1 } }), { a: 'b', b: { c: 1 } });
});

t.test('patched paths are the leaves a patch sets', async (t) => {
  t.same(
    patchedPaths({
      telemetry: { endpoint: 'x', retry: { maxAttempts: 3 }, diskPaths: ['/'], proxy: null },
    }),
    ['telemetry.endpoint', 'telemetry.retry.maxAttempts', 'telemetry.diskPaths', 'telemetry.proxy'],
  );
});
