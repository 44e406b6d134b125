// Crash and outage recovery against a real Prometheus (Debian's 2.42), with the
// daemon's default durable buffer. A sampling tick counts as done when the
// daemon logs "sampled" (the samples are on disk by then).
import t from 'tap';
import { startPrometheus } from '../helpers/prometheus.js';
import { freePort } from '../../scripts/free-port.mjs';
import { spawnCli, type Spawned } from '../helpers/cli.js';
import { tempDir, writeConfig } from '../helpers/files.js';

/** Sends during the outage give up quickly, so that the test does not wait on backoff. */
const FAST_RETRY = {
  requestTimeout: '1s',
  retry: { maxAttempts: 2, minDelay: '100ms', maxDelay: '200ms', maxElapsed: '1s' },
};

const ticksLogged = (daemon: Spawned) =>
  daemon.output().stderr.match(/debug: sampled /g)?.length ?? 0;

async function waitForTicks(daemon: Spawned, count: number): Promise<void> {
  const pattern = new RegExp(`(debug: sampled [^\\n]*\\n[\\s\\S]*){${count}}`);
  await daemon.waitFor(pattern, 60_000);
}

t.test('SIGKILL at random moments: every completed tick reaches Prometheus', async (t) => {
  const prometheus = await startPrometheus();
  t.teardown(prometheus.stop);
  const dir = await tempDir();
  const config = await writeConfig(dir, {
    endpoint: prometheus.writeUrl,
    samplingInterval: '1s',
    sendingInterval: '2s',
    diskPaths: ['/'],
    ...FAST_RETRY,
  });
  const kills = 5;
  let logged = 0;
  for (let run = 0; run < kills; run++) {
    const daemon = spawnCli(['--log-level', 'debug', 'run', '--config', config]);
    await waitForTicks(daemon, 2);
    // Somewhere inside the next second: during a tick, a write, a send or idle.
    await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 1000)));
    await daemon.stop('SIGKILL');
    logged += ticksLogged(daemon);
  }
  const last = spawnCli(['--log-level', 'debug', 'run', '--config', config]);
  await last.waitFor(/report sent/);
  t.equal(await last.stop('SIGTERM'), 0);
  logged += ticksLogged(last);
  const stored = Number(
    (await prometheus.query('count_over_time(cluster:cpu_usage_cores:sum[1h])'))[0]?.value[1] ?? 0,
  );
  // A kill may land after a tick's write and before its log line: that tick is kept too.
  t.ok(
    stored >= logged && stored <= logged + kills,
    `${stored} samples stored for ${logged} completed ticks and ${kills} kills`,
  );
  t.notMatch(
    last.output().stderr,
    /buffer.*(corrupt|cut)/i,
    'no damage to repair after plain kills',
  );
});

t.test(
  'an outage with two restarts: every sample arrives once the endpoint is back, oldest first',
  async (t) => {
    const port = await freePort();
    const dir = await tempDir();
    // The daemon sends to `edge-telemetry receive`, which relays to Prometheus and
    // prints every accepted sample in arrival order; neither runs during the outage.
    const config = await writeConfig(dir, {
      endpoint: `http://127.0.0.1:${port}/metrics/v1/receive`,
      samplingInterval: '1s',
      sendingInterval: '2s',
      diskPaths: ['/'],
      ...FAST_RETRY,
    });
    let logged = 0;
    for (let run = 0; run < 3; run++) {
      const daemon = spawnCli(['--log-level', 'debug', 'run', '--config', config]);
      await waitForTicks(daemon, 3);
      t.equal(await daemon.stop('SIGTERM'), 0, `run ${run}: stops cleanly during the outage`);
      logged += ticksLogged(daemon);
    }
    const prometheus = await startPrometheus();
    t.teardown(prometheus.stop);
    const receiver = spawnCli([
      'receive',
      '--listen',
      `127.0.0.1:${port}`,
      '--forward',
      prometheus.writeUrl,
    ]);
    t.teardown(() => receiver.stop());
    await receiver.waitFor(/receiver listening/);
    const daemon = spawnCli(['--log-level', 'debug', 'run', '--config', config]);
    await daemon.waitFor(/report sent/);
    t.equal(await daemon.stop('SIGTERM'), 0);
    logged += ticksLogged(daemon);
    const stored = Number(
      (await prometheus.query('count_over_time(cluster:cpu_usage_cores:sum[1h])'))[0]?.value[1] ??
        0,
    );
    t.equal(stored, logged, 'every tick of the outage and after it, exactly once');
    const arrivals = receiver
      .output()
      .stdout.split('\n')
      .filter((line) => line.startsWith('cluster:cpu_usage_cores:sum{'))
      .map((line) => Number(line.split(' ').at(-1)));
    t.equal(arrivals.length, logged, 'each sample relayed once');
    t.same(
      arrivals,
      [...arrivals].sort((a, b) => a - b),
      'oldest first, across requests',
    );
  },
);
