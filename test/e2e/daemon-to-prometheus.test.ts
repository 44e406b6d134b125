// End to end with real processes and a real Prometheus (Debian's 2.42):
// edge-telemetry run -> edge-telemetry receive --forward -> Prometheus remote-write receiver.
import t from 'tap';
import { startPrometheus } from '../helpers/prometheus.js';
import { freePort } from '../../scripts/free-port.mjs';
import { spawnCli } from '../helpers/cli.js';
import { tempDir, writeConfig, TOKEN } from '../helpers/files.js';

t.test('daemon -> receive --forward -> Prometheus', async (t) => {
  const prometheus = await startPrometheus();
  t.teardown(prometheus.stop);
  const port = await freePort();
  const receiver = spawnCli([
    'receive',
    '--listen',
    `127.0.0.1:${port}`,
    '--forward',
    prometheus.writeUrl,
  ]);
  t.teardown(() => receiver.stop());
  await receiver.waitFor(/receiver listening/);

  const dir = await tempDir();
  const config = await writeConfig(dir, {
    endpoint: `http://127.0.0.1:${port}/metrics/v1/receive`,
    samplingInterval: '1s',
    sendingInterval: '3s',
    diskPaths: ['/'],
  });
  const daemon = spawnCli(['--log-level', 'debug', 'run', '--config', config]);
  await daemon.waitFor(/report sent/);
  await new Promise((resolve) => setTimeout(resolve, 6500));
  t.equal(await daemon.stop('SIGTERM'), 0, 'SIGTERM: exit 0 after the last send');
  const { stderr } = daemon.output();
  const ticks = stderr.match(/debug: sampled /g)?.length ?? 0;
  t.ok(ticks >= 5, `${ticks} sampling ticks`);
  t.match(stderr, /To opt out set telemetry\.status: Disabled/, 'says how to opt out at start');
  t.notMatch(stderr, TOKEN, 'token never logged');
  t.notMatch(receiver.output().stderr, /request refused/, 'receiver accepted every request');

  const everything = await prometheus.query('{_id="cluster-0123"}');
  const names = new Set(everything.map((s) => s.metric.__name__));
  for (const name of [
    'cluster:capacity_cpu_cores:sum',
    'cluster:capacity_memory_bytes:sum',
    'cluster:cpu_usage_cores:sum',
    'cluster:memory_usage_bytes:sum',
    'cluster:capacity_disk_bytes:sum',
    'cluster:disk_usage_bytes:sum',
    'microshift_version',
  ])
    t.ok(names.has(name), `${name} arrived`);
  const all = await prometheus.query('count({__name__=~".+"})');
  t.equal(Number(all[0]?.value[1]), everything.length, 'every series carries _id');
  for (const series of everything) {
    t.equal(series.metric._id, 'cluster-0123');
    t.equal(series.metric.type, 'microshift-rpm', `${series.metric.__name__} has type`);
  }
  const counts = await prometheus.query('count_over_time(cluster:cpu_usage_cores:sum[10m])');
  t.equal(Number(counts[0]?.value[1]), ticks, 'one stored sample per sampling tick');
  const memoryCounts = await prometheus.query(
    'count_over_time(cluster:memory_usage_bytes:sum[10m])',
  );
  t.equal(Number(memoryCounts[0]?.value[1]), ticks);

  const cores = Number((await prometheus.query('cluster:capacity_cpu_cores:sum'))[0]?.value[1]);
  const os = await import('node:os');
  t.equal(cores, os.cpus().length);
  const cpuValues = (await prometheus.query('cluster:cpu_usage_cores:sum[10m]')) as unknown as {
    values: [number, string][];
  }[];
  for (const [, value] of cpuValues[0]?.values ?? [])
    t.ok(Number(value) >= 0 && Number(value) <= cores, `cpu usage ${value} within 0..${cores}`);
  const memoryUsed = Number(
    (await prometheus.query('cluster:memory_usage_bytes:sum'))[0]?.value[1],
  );
  t.ok(memoryUsed > 0 && memoryUsed < os.totalmem(), 'memory in use is bytes between 0 and total');
  const diskUsed = Number((await prometheus.query('cluster:disk_usage_bytes:sum'))[0]?.value[1]);
  const diskSize = Number((await prometheus.query('cluster:capacity_disk_bytes:sum'))[0]?.value[1]);
  t.ok(diskUsed > 0 && diskUsed <= diskSize, 'disk used within capacity');
});
