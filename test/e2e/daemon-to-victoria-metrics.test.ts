// End to end with real processes and a real VictoriaMetrics (Debian's
// victoria-metrics, single node): edge-telemetry run -> edge-telemetry receive
// --forward -> VictoriaMetrics /api/v1/write. The receiver prints every sample
// it accepted; VictoriaMetrics must hold exactly those: same series, same
// timestamps, same values, each with _id and type.
import t from 'tap';
import { startVictoriaMetrics } from '../helpers/victoria-metrics.js';
import { freePort } from '../../scripts/free-port.mjs';
import { spawnCli } from '../helpers/cli.js';
import { tempDir, writeConfig, TOKEN } from '../helpers/files.js';

/** `name{a="1",b="2"} value timestamp` lines, as `edge-telemetry receive` prints them. */
function acceptedSamples(stdout: string): Map<string, Map<number, number>> {
  const bySeries = new Map<string, Map<number, number>>();
  for (const line of stdout.split('\n')) {
    const match = /^(\S+\{.*\}) (\S+) (\d+)$/.exec(line);
    if (match === null) continue;
    const [, series, value, timestamp] = match as unknown as [string, string, string, string];
    const samples = bySeries.get(series) ?? new Map<number, number>();
    samples.set(Number(timestamp), Number(value));
    bySeries.set(series, samples);
  }
  return bySeries;
}

function seriesKey(metric: Record<string, string>): string {
  const { __name__: name, ...labels } = metric;
  const inner = Object.keys(labels)
    .sort()
    .map(
      (key) =>
        `${key}="${(labels[key] ?? '').replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`,
    )
    .join(',');
  return `${name ?? ''}{${inner}}`;
}

t.test(
  'daemon -> receive --forward -> VictoriaMetrics: every accepted sample stored exactly',
  async (t) => {
    const vm = await startVictoriaMetrics();
    t.teardown(vm.stop);
    const port = await freePort();
    const receiver = spawnCli([
      'receive',
      '--listen',
      `127.0.0.1:${port}`,
      '--forward',
      vm.writeUrl,
    ]);
    t.teardown(() => receiver.stop());
    await receiver.waitFor(/receiver listening/);

    const dir = await tempDir();
    const config = await writeConfig(dir, {
      endpoint: `http://127.0.0.1:${port}/metrics/v1/receive`,
      samplingInterval: '1s',
      sendingInterval: '2s',
      diskPaths: ['/'],
    });
    const daemon = spawnCli(['run', '--config', config]);
    // Three reports: the one at start, one on the sending grid, the last at SIGTERM.
    await daemon.waitFor(/report sent[\s\S]*report sent/);
    t.equal(await daemon.stop('SIGTERM'), 0, 'SIGTERM: exit 0 after the last send');
    t.notMatch(daemon.output().stderr, TOKEN, 'token never logged');
    t.notMatch(
      receiver.output().stderr,
      /request refused|forward failed/,
      'every request accepted and forwarded',
    );

    const accepted = acceptedSamples(receiver.output().stdout);
    t.ok(accepted.size >= 7, `${accepted.size} series accepted`);
    const acceptedCount = [...accepted.values()].reduce((sum, samples) => sum + samples.size, 0);
    // VictoriaMetrics makes rows searchable about a second after it took them:
    // read until every accepted sample is there (or 30 s pass), then compare exactly.
    let stored = await vm.exportSeries('{__name__=~".+"}');
    for (
      let tries = 0;
      tries < 60 &&
      stored.reduce((sum, series) => sum + series.timestamps.length, 0) < acceptedCount;
      tries++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      stored = await vm.exportSeries('{__name__=~".+"}');
    }
    t.equal(
      stored.length,
      accepted.size,
      'VictoriaMetrics holds exactly the series the receiver accepted',
    );
    for (const series of stored) {
      const key = seriesKey(series.metric);
      t.equal(series.metric._id, 'cluster-0123', `${key}: _id`);
      t.equal(series.metric.type, 'microshift-rpm', `${key}: type`);
      const expected = accepted.get(key);
      if (expected === undefined) {
        t.fail(`${key} stored but never accepted`);
        continue;
      }
      t.same(
        [...series.timestamps].sort(),
        [...expected.keys()].sort(),
        `${key}: the same timestamps`,
      );
      series.timestamps.forEach((timestamp, index) => {
        const sent = expected.get(timestamp) ?? NaN;
        const kept = series.values[index] ?? NaN;
        // VictoriaMetrics stores values as decimals with 12 significant digits
        // (its documented precision); integers such as bytes come back exact.
        if (Number.isInteger(sent)) t.equal(kept, sent, `${key} @${timestamp}: exact`);
        else
          t.ok(
            Math.abs(kept - sent) <= Math.abs(sent) * 1e-11,
            `${key} @${timestamp}: ${kept} is ${sent} to 12 digits`,
          );
      });
    }
  },
);
