// The durable buffer as an admin meets it: the real daemon killed with SIGKILL
// and started again loses no completed tick and sends none twice; one daemon
// per dataDir; a dataDir it cannot write is a one-line config error.
import t from 'tap';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCli, spawnCli, type Spawned } from '../helpers/cli.js';
import { ownTempDir, writeConfig } from '../helpers/files.js';

/** Temp dirs of this file, removed when it ends. */
const scratch = () => ownTempDir(t);
import { startScriptedReceiver } from '../helpers/scripted-receiver.js';

const DYNAMIC = new Set([
  'cluster:cpu_usage_cores:sum',
  'cluster:memory_usage_bytes:sum',
  'cluster:disk_usage_bytes:sum',
]);

interface Tick {
  readonly timestampMs: number;
  readonly points: number;
}

/** Ticks the daemon logged as done ("sampled" comes after the tick is on disk). */
function loggedTicks(stderr: string): Tick[] {
  return [...stderr.matchAll(/debug: sampled points=(\d+) timestampMs=(\d+)/g)].map((match) => ({
    points: Number(match[1]),
    timestampMs: Number(match[2]),
  }));
}

async function untilTicks(daemon: Spawned, count: number): Promise<void> {
  for (let waited = 0; loggedTicks(daemon.output().stderr).length < count; waited += 50) {
    if (waited > 60_000) throw new Error(`no ${count} ticks in 60 s:\n${daemon.output().stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

t.test(
  'SIGKILL at several moments, restarted each time: every sample of every completed tick arrives exactly once',
  async (t) => {
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const dir = await scratch();
    const config = await writeConfig(dir, {
      endpoint: receiver.url,
      samplingInterval: '1s',
      sendingInterval: '1h',
    });
    const ticks: Tick[] = [];
    const killDelaysMs = [0, 350, 700];
    for (const [run, delayMs] of killDelaysMs.entries()) {
      const daemon = spawnCli(['--log-level', 'debug', 'run', '--config', config]);
      // The first start reports at once; a restart after a SIGKILL carries the schedule on (the next report in 1h).
      if (run === 0) await daemon.waitFor(/info: report sent/);
      await untilTicks(daemon, 4);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      t.equal(await daemon.stop('SIGKILL'), null, `killed ${delayMs} ms after the 4th tick`);
      ticks.push(...loggedTicks(daemon.output().stderr));
    }
    const last = spawnCli(['--log-level', 'debug', 'run', '--config', config]);
    await untilTicks(last, 2);
    t.notMatch(last.output().stderr, /report sent/, 'no report at a restart after a crash');
    t.match(
      last.output().stderr,
      /buffer: on disk .*samples=\d+/,
      'the start log says what was read back',
    );
    // The stop's last send takes everything the kills left.
    t.equal(await last.stop('SIGTERM'), 0);
    t.match(last.output().stderr, /report sent/);
    ticks.push(...loggedTicks(last.output().stderr));

    t.ok(receiver.requests.every((request) => request.answeredStatus === 200));
    const seen = new Map<string, number>();
    const perTimestamp = new Map<number, number>();
    for (const request of receiver.requests) {
      for (const series of request.series) {
        const name = series.labels.find((label) => label.name === '__name__')?.value ?? '';
        if (!DYNAMIC.has(name)) continue;
        for (const sample of series.samples) {
          const key = `${name}@${sample.timestampMs}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
          perTimestamp.set(sample.timestampMs, (perTimestamp.get(sample.timestampMs) ?? 0) + 1);
        }
      }
    }
    t.same(
      [...seen.entries()].filter(([, count]) => count > 1),
      [],
      'no sample arrived twice',
    );
    t.ok(
      ticks.length >= 4 * killDelaysMs.length + 1,
      `${ticks.length} completed ticks over ${killDelaysMs.length + 1} runs`,
    );
    const missing = ticks.filter((tick) => perTimestamp.get(tick.timestampMs) !== tick.points);
    t.same(missing, [], 'every completed tick arrived whole');
    // A tick in progress at the kill may have reached the disk before its log line: it may arrive too, once.
    const extra = [...perTimestamp.keys()].filter(
      (ts) => !ticks.some((tick) => tick.timestampMs === ts),
    );
    t.ok(
      extra.length <= killDelaysMs.length,
      `${extra.length} ticks in progress at a kill arrived as well`,
    );
  },
);

t.test('one daemon per dataDir: a second run is a one-line error, exit 2', async (t) => {
  const receiver = await startScriptedReceiver([]);
  t.teardown(receiver.close);
  const dir = await scratch();
  const config = await writeConfig(dir, {
    endpoint: receiver.url,
    samplingInterval: '1s',
    sendingInterval: '1h',
  });
  const first = spawnCli(['run', '--config', config]);
  await first.waitFor(/report sent/);
  const second = await runCli(['run', '--config', config]);
  t.equal(second.code, 2);
  t.equal(second.stderr.trim().split('\n').length, 2, 'the opt-out notice, then the error');
  t.match(
    second.stderr,
    new RegExp(
      `edge-telemetry: ${config}: telemetry.dataDir: ${path.join(dir, 'data')} is in use by another edge-telemetry daemon \\(pid ${first.child.pid}\\)`,
    ),
  );
  const once = await runCli(['once', '--config', config]);
  t.equal(once.code, 0, "once leaves the daemon's buffer alone and still sends");
  t.equal(await first.stop('SIGTERM'), 0);
  const third = spawnCli(['run', '--config', config]);
  await third.waitFor(/report sent/);
  t.equal(await third.stop('SIGTERM'), 0, 'the lock went with the first daemon');
});

t.test(
  'a dataDir that cannot be written: one line naming telemetry.dataDir, exit 2; buffer: memory says what a restart loses',
  async (t) => {
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const dir = await scratch();
    await writeFile(path.join(dir, 'not-a-dir'), 'x');
    const config = await writeConfig(dir, { endpoint: receiver.url, dataDir: 'not-a-dir/data' });
    const result = await runCli(['run', '--config', config]);
    t.equal(result.code, 2);
    t.match(
      result.stderr,
      `edge-telemetry: ${config}: telemetry.dataDir: ${path.join(dir, 'not-a-dir/data')} cannot be written (ENOTDIR)`,
    );
    t.notMatch(result.stderr, /at .*\.js:\d+/, 'no stack trace');
    // Set in a drop-in: the line names the drop-in, the file to edit.
    const dropIn = path.join(dir, 'telemetry.d', '50-data.yaml');
    await mkdir(path.dirname(dropIn), { recursive: true });
    // Relative to the drop-in's own directory, as every path a drop-in sets.
    await writeFile(dropIn, 'telemetry:\n  dataDir: ../not-a-dir/other\n');
    const fromDropIn = await runCli(['run', '--config', config]);
    t.equal(fromDropIn.code, 2);
    t.match(
      fromDropIn.stderr,
      `edge-telemetry: ${dropIn}: telemetry.dataDir: ${path.join(dir, 'not-a-dir/other')} cannot be written (ENOTDIR)`,
    );
    await rm(dropIn);
    // One no mkdir can make though its parent is there: Node's recursive mkdir spun on it for ever.
    const proc = await writeConfig(dir, {
      endpoint: receiver.url,
      dataDir: '/proc/edge-telemetry-test',
    });
    const fromProc = await runCli(['run', '--config', proc]);
    t.equal(fromProc.code, 2);
    t.match(
      fromProc.stderr,
      `edge-telemetry: ${proc}: telemetry.dataDir: /proc/edge-telemetry-test cannot be written (ENOENT)`,
    );

    const memory = await writeConfig(dir, {
      endpoint: receiver.url,
      buffer: 'memory',
      samplingInterval: '1s',
      sendingInterval: '1h',
    });
    const daemon = spawnCli(['run', '--config', memory]);
    await daemon.waitFor(/report sent/);
    t.match(daemon.output().stderr, /buffer: memory; samples not yet sent are lost at a restart/);
    t.equal(await daemon.stop('SIGTERM'), 0);
  },
);
