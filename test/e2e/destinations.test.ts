// Several destinations fed by one daemon, with real processes: a real
// VictoriaMetrics (Debian's) as a remote-write destination, and an OTLP
// destination. No OpenTelemetry collector can run here (none in Debian 12 or
// on npm): the OTLP side is test/helpers/otlp-receiver.ts, which decodes every
// request with protobufjs from the official opentelemetry-proto files.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startVictoriaMetrics } from '../helpers/victoria-metrics.js';
import { startPrometheus } from '../helpers/prometheus.js';
import { startOtlpReceiver, type OtlpPoint } from '../helpers/otlp-receiver.js';
import { startScriptedReceiver } from '../helpers/scripted-receiver.js';
import { freePort } from '../../scripts/free-port.mjs';
import { spawnCli, type Spawned } from '../helpers/cli.js';
import { tempDir, writeConfig } from '../helpers/files.js';

const FAST_RETRY = {
  requestTimeout: '1s',
  retry: { maxAttempts: 2, minDelay: '100ms', maxDelay: '200ms', maxElapsed: '1s' },
};

/** A sample as either backend holds it: name, labels or attributes (sorted), timestamp in ms. */
function sampleKey(name: string, labels: Record<string, string>, timestampMs: number) {
  const inner = Object.keys(labels)
    .sort()
    .map((key) => `${key}=${JSON.stringify(labels[key])}`)
    .join(',');
  return `${name}{${inner}} ${timestampMs}`;
}

const otlpKey = (point: OtlpPoint) =>
  sampleKey(point.name, point.attributes, Number(BigInt(point.timeUnixNano) / 1_000_000n));

/** Equal as VictoriaMetrics stores a float: it keeps 12 significant digits. */
const sameValue = (a: number, b: number) => Math.abs(a - b) <= 1e-11 * Math.max(1, Math.abs(a));

const ticksLogged = (daemon: Spawned) =>
  daemon.output().stderr.match(/debug: sampled /g)?.length ?? 0;

t.test(
  'VictoriaMetrics and an OTLP receiver fed by one daemon hold the same samples',
  async (t) => {
    const vm = await startVictoriaMetrics();
    t.teardown(vm.stop);
    const otlp = await startOtlpReceiver();
    t.teardown(otlp.stop);
    const dir = await tempDir();
    const config = await writeConfig(dir, {
      endpoint: vm.writeUrl,
      auth: { type: 'none' },
      samplingInterval: '1s',
      sendingInterval: '2s',
      diskPaths: ['/'],
      destinations: [{ name: 'otel', endpoint: otlp.url, protocol: 'otlp' }],
    });
    const daemon = spawnCli(['--log-level', 'debug', 'run', '--config', config]);
    await daemon.waitFor(/(report sent[^\n]*destination=otel[\s\S]*){3}/, 60_000);
    t.equal(await daemon.stop('SIGTERM'), 0);
    const log = daemon.output().stderr;
    t.match(log, /report sent[^\n]*destination=primary/);
    t.notMatch(log, /(warn|error):/, 'no warning, no error');

    const fromOtlp = new Map(otlp.stored.map((point) => [otlpKey(point), point.value]));
    const stored = async () => {
      const samples = new Map<string, number>();
      for (const series of await vm.exportSeries('{__name__=~".+"}')) {
        const { __name__: name, ...labels } = series.metric;
        series.timestamps.forEach((timestampMs, index) =>
          samples.set(sampleKey(name ?? '', labels, timestampMs), series.values[index] ?? NaN),
        );
      }
      return samples;
    };
    // VictoriaMetrics makes what it took searchable a moment later.
    let fromVm = await stored();
    for (let tries = 0; tries < 50 && fromVm.size < fromOtlp.size; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      fromVm = await stored();
    }
    t.ok(fromOtlp.size > 10, `${fromOtlp.size} samples through OTLP`);
    t.same(
      [...fromOtlp.keys()].sort(),
      [...fromVm.keys()].sort(),
      'the same (name, labels, timestamp) set',
    );
    const differing = [...fromOtlp].filter(
      ([key, value]) => !sameValue(value, fromVm.get(key) ?? NaN),
    );
    t.same(differing, [], 'and the same value for each');
    t.ok([...fromOtlp.keys()].every((key) => /_id="cluster-0123"/.test(key) && /type="/.test(key)));
    const request = otlp.requests[0];
    t.same(request?.resource, {
      'service.name': 'edge-telemetry',
      'service.version': request?.resource['service.version'],
      'service.instance.id': 'cluster-0123',
    });
    t.match(request?.headers, { 'content-type': 'application/x-protobuf' });
    t.notOk(
      request?.headers.authorization,
      "Red Hat's credential never goes to another destination",
    );
    const cpu = otlp.stored.find((point) => point.name === 'cluster:cpu_usage_cores:sum');
    t.match(cpu, { unit: '{core}', description: /CPU cores/ });
  },
);

t.test(
  'one destination down through SIGKILLs and restarts, one refusing everything: the third gets every tick, each at most once more',
  async (t) => {
    const otlp = await startOtlpReceiver();
    t.teardown(otlp.stop);
    const refusing = await startScriptedReceiver([], { status: 400, body: 'refused' }, undefined, {
      authorized: () => true,
    });
    t.teardown(refusing.close);
    const downPort = await freePort();
    const dir = await tempDir();
    const config = await writeConfig(dir, {
      endpoint: otlp.url,
      protocol: 'otlp',
      auth: { type: 'none' },
      samplingInterval: '1s',
      sendingInterval: '2s',
      diskPaths: ['/'],
      ...FAST_RETRY,
      destinations: [
        {
          name: 'down',
          endpoint: `http://127.0.0.1:${downPort}/metrics/v1/receive`,
          auth: { type: 'none' },
          ...FAST_RETRY,
        },
        { name: 'refusing', endpoint: refusing.url, auth: { type: 'none' }, ...FAST_RETRY },
      ],
    });
    let logged = 0;
    const kills = 3;
    for (let run = 0; run < kills; run++) {
      const daemon = spawnCli(['--log-level', 'debug', 'run', '--config', config]);
      // The OTLP destination reports on time while the other is down.
      await daemon.waitFor(/(report sent[^\n]*destination=primary[\s\S]*){2}/, 60_000);
      await daemon.stop('SIGKILL');
      logged += ticksLogged(daemon);
    }
    // The down destination comes up: `edge-telemetry receive` on its port prints what it accepts.
    const receiver = spawnCli(['receive', '--listen', `127.0.0.1:${downPort}`, '--auth', 'none']);
    t.teardown(() => receiver.stop());
    await receiver.waitFor(/receiver listening/);
    const last = spawnCli(['--log-level', 'debug', 'run', '--config', config]);
    await last.waitFor(/report sent[^\n]*destination=down/, 60_000);
    t.equal(await last.stop('SIGTERM'), 0);
    logged += ticksLogged(last);

    const cpuAt = (lines: string[]) =>
      lines.filter((line) => line.startsWith('cluster:cpu_usage_cores:sum{')).length;
    const downGot = cpuAt(receiver.output().stdout.split('\n'));
    const otlpGot = otlp.stored.filter((point) => point.name === 'cluster:cpu_usage_cores:sum');
    const otlpDistinct = new Set(otlpGot.map(otlpKey)).size;
    // A kill may land after a tick's write and before its log line: that tick is kept too.
    t.ok(downGot >= logged && downGot <= logged + kills, `down got ${downGot} of ${logged} ticks`);
    t.ok(
      otlpDistinct >= logged && otlpDistinct <= logged + kills,
      `OTLP got ${otlpDistinct} of ${logged}`,
    );
    // At most the request in flight at each kill again.
    t.ok(
      otlpGot.length - otlpDistinct <= kills,
      `${otlpGot.length - otlpDistinct} repeats after ${kills} kills`,
    );
    t.ok(refusing.requests.length > 0, 'the refusing destination was sent to');
    t.ok(
      refusing.requests.every((request) => request.answeredStatus === 400),
      'and refused everything',
    );
    const status = JSON.parse(await readFile(path.join(dir, 'data', 'status.json'), 'utf8')) as {
      destinations: {
        name: string;
        buffer: { samples: number; dropped: Record<string, number> };
      }[];
    };
    const byName = new Map(status.destinations.map((entry) => [entry.name, entry]));
    t.ok(
      (byName.get('refusing')?.buffer.dropped.rejected ?? 0) > 0,
      'its refusals counted as its drops',
    );
    t.same(byName.get('primary')?.buffer.dropped, {}, 'the others dropped nothing');
    t.same(byName.get('down')?.buffer.dropped, {});
  },
);

t.test(
  'Prometheus and VictoriaMetrics as two remote-write destinations: each stores every tick, a restart in between',
  async (t) => {
    const prometheus = await startPrometheus();
    t.teardown(prometheus.stop);
    const vm = await startVictoriaMetrics();
    t.teardown(vm.stop);
    const dir = await tempDir();
    const config = await writeConfig(dir, {
      endpoint: prometheus.writeUrl,
      auth: { type: 'none' },
      samplingInterval: '1s',
      sendingInterval: '2s',
      diskPaths: ['/'],
      destinations: [{ name: 'vm', endpoint: vm.writeUrl }],
    });
    let logged = 0;
    for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
      const daemon = spawnCli(['--log-level', 'debug', 'run', '--config', config]);
      await daemon.waitFor(/(report sent[^\n]*destination=vm[\s\S]*){2}/, 60_000);
      await daemon.stop(signal);
      logged += ticksLogged(daemon);
    }
    const inPrometheus = Number(
      (await prometheus.query('count_over_time(cluster:cpu_usage_cores:sum[1h])'))[0]?.value[1] ??
        0,
    );
    let inVm = 0;
    for (let tries = 0; tries < 50 && inVm < logged; tries++) {
      if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      inVm = (await vm.exportSeries('cluster:cpu_usage_cores:sum'))[0]?.timestamps.length ?? 0;
    }
    // A kill may land after a tick's write and before its log line: that tick is kept too.
    t.ok(
      inPrometheus >= logged && inPrometheus <= logged + 1,
      `Prometheus: ${inPrometheus} of ${logged} ticks`,
    );
    t.ok(inVm >= logged && inVm <= logged + 1, `VictoriaMetrics: ${inVm} of ${logged} ticks`);
    t.equal(inPrometheus, inVm, 'the same ticks in both');
  },
);
