import t from 'tap';
import { runCollectors } from '../../src/collect/run-collectors.js';
import type { Collector } from '../../src/collect/collector.js';
import type { MetricPoint } from '../../src/base/model.js';
import { silentLogger, type Logger } from '../../src/base/log.js';

function recordingLog(): { log: Logger; warnings: string[]; debug: string[] } {
  const warnings: string[] = [];
  const debug: string[] = [];
  return {
    log: {
      ...silentLogger,
      warn: (message, fields) => warnings.push(`${message} ${JSON.stringify(fields)}`),
      debug: (message, fields) => debug.push(`${message} ${JSON.stringify(fields)}`),
    },
    warnings,
    debug,
  };
}

t.test(
  'a collector that ignores its deadline is not called again until its call returns',
  async (t) => {
    let calls = 0;
    const stuck: Collector = {
      name: 'dead-nfs',
      kind: 'dynamic',
      help: {},
      collect: () => {
        calls++;
        return new Promise<MetricPoint[]>(() => {});
      },
    };
    const { log, warnings, debug } = recordingLog();
    const tick = () =>
      runCollectors([stuck], 'dynamic', {
        timeoutMs: 20,
        signal: new AbortController().signal,
        log,
        nowMs: 1,
      });

    t.same((await tick()).failed, ['dead-nfs'], 'the first call times out');
    t.same((await tick()).failed, ['dead-nfs'], 'the second round fails at once');
    t.same((await tick()).failed, ['dead-nfs']);
    t.equal(calls, 1, 'called once while its first call has not returned');
    t.equal(warnings.length, 1, 'one warning while it stays stuck');
    t.match(warnings[0], /timed out after 20 ms/);
    t.match(debug[0], /previous call has not returned yet/);
  },
);

t.test('once the stuck call returns, the same collector runs again', async (t) => {
  let calls = 0;
  let release: () => void = () => {};
  const collector: Collector = {
    name: 'slow-once',
    kind: 'dynamic',
    help: {},
    collect: async ({ nowMs }) => {
      calls++;
      if (calls === 1) await new Promise<void>((resolve) => (release = resolve));
      return [{ name: 'm', labels: {}, value: calls, timestampMs: nowMs }];
    },
  };
  const run = () =>
    runCollectors([collector], 'dynamic', {
      timeoutMs: 20,
      signal: new AbortController().signal,
      log: silentLogger,
      nowMs: 5,
    });
  t.same((await run()).failed, ['slow-once']);
  release();
  await new Promise((resolve) => setImmediate(resolve));
  const second = await run();
  t.same(second.points, [{ name: 'm', labels: {}, value: 2, timestampMs: 5 }]);
  t.equal(calls, 2);
});
