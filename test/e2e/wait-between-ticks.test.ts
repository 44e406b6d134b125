// The daemon's side of waiting between ticks, with this test as the launcher
// (packaging/launcher.sh's part is test/packaging/launcher.test.ts, the two
// together under systemd test/systemd/install.test.ts): the real daemon, with
// cluster metrics from the fake API (so its sockets too must let it exit), is
// started, exits with a wait, is started again as the launcher would each
// time, and then for the last send. EDGE_TELEMETRY_TEST_WAIT lowers the
// one-minute policy to seconds.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CLI, runCli, spawnCli } from '../helpers/cli.js';
import { ownTempDir, writeConfig } from '../helpers/files.js';
import { startScriptedReceiver } from '../helpers/scripted-receiver.js';
import { generateCluster, startFakeApi } from '../helpers/fake-kube-api.js';

const CPU = 'cluster:cpu_usage_cores:sum';

/**
 * One process as the launcher starts it: the wait file emptied first (so
 * only this process' wait is in it), EDGE_TELEMETRY_WAKE saying why.
 */
async function startedAs(
  reason: string,
  config: string,
  waitFile: string,
  env: Record<string, string> = {},
) {
  await writeFile(waitFile, '');
  return runCli(['run', '--config', config], {
    env: { EDGE_TELEMETRY_WAKE: reason, EDGE_TELEMETRY_WAKE_FILE: waitFile, ...env },
    timeoutMs: 30_000,
  });
}

/**
 * As the launcher starts the daemon: after the wait the last process asked
 * for (none before the start), with EDGE_TELEMETRY_WAKE saying why. Each
 * start must exit 0 to wait; it returns the journal lines that match `lines`.
 */
function startsAsTheLauncher(
  t: Test,
  config: string,
  waitFile: string,
  caFile: string,
  lines: RegExp,
): (reason: string) => Promise<string[]> {
  return async (reason) => {
    if (reason !== 'start') {
      // The first line, as the launcher reads it (the second names the dataDir it then holds).
      const seconds = Number((await readFile(waitFile, 'utf8')).split('\n')[0]);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    }
    const run = await startedAs(reason, config, waitFile, {
      EDGE_TELEMETRY_TEST_WAIT: '1000,800,200',
      ...(caFile === '' ? {} : { NODE_EXTRA_CA_CERTS: caFile }),
    });
    t.equal(run.code, 0, `${reason} exits 0 to wait: ${run.stderr}`);
    return run.stderr.split('\n').filter((line) => lines.test(line));
  };
}

t.test(
  'started, exited to wait, started again at each wake and for the stop: every tick once, on the grid, a quiet journal',
  async (t) => {
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const api = await startFakeApi(generateCluster(5));
    t.teardown(() => api.close());
    const dir = await ownTempDir(t);
    const config = await writeConfig(dir, {
      endpoint: receiver.url,
      samplingInterval: '2s',
      sendingInterval: '6s',
      splay: '0s',
      kubeconfig: api.kubeconfig,
    });
    const waitFile = path.join(dir, 'wake');
    // As the launcher does: the file emptied before each start, so only this start's wait is in it.
    const start = (reason: string) =>
      startedAs(reason, config, waitFile, {
        // Started a second before the tick, as the unit's leadMs: a start slowed by a loaded machine is still
        // on time, so each tick lands in its own 2 s slot (with 200 ms, a start over 1.2 s late put a tick in
        // the next slot's place, and the grid check below failed under load).
        EDGE_TELEMETRY_TEST_WAIT: '1000,800,1000',
        NODE_EXTRA_CA_CERTS: api.caFile,
      });
    const waitOf = async () => (await readFile(waitFile, 'utf8')).split('\n')[0];

    const first = await start('start');
    t.equal(first.code, 0, `exits 0 to wait: ${first.stderr}`);
    t.match(await waitOf(), /^\d+\.\d{3}$/, 'having written how long to wait, in seconds');
    t.match(first.stderr, /telemetry enabled/, 'the start says what it sends');
    t.equal(receiver.requests.length > 0, true, 'the first report went before the exit');
    const state = JSON.parse(await readFile(path.join(dir, 'data', 'wake.json'), 'utf8')) as {
      schedule: { reported: boolean };
      cpu?: { busy: number };
    };
    t.equal(state.schedule.reported, true, 'wake.json: the first report went');
    t.ok(state.cpu !== undefined, 'wake.json: the CPU reading, for the next average');

    const wakes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const seconds = Number(await waitOf());
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      const wake = await start('wake');
      t.equal(wake.code, 0, `wake ${i + 1} exits 0 to wait again`);
      wakes.push(wake.stderr);
    }
    t.same(
      wakes
        .join('')
        .split('\n')
        .filter((line) => line !== '' && !/info: report sent/.test(line)),
      [],
      'a wake logs nothing but its reports',
    );
    const stop = await start('stop');
    t.equal(stop.code, 0, stop.stderr);
    t.match(stop.stderr, /stopping while waiting: sending once more/);
    t.equal(await waitOf(), '', 'no wait asked after the stop');
    const stopped = JSON.parse(await readFile(path.join(dir, 'data', 'wake.json'), 'utf8')) as {
      stopped?: boolean;
    };
    t.equal(stopped.stopped, true, 'a clean stop: the next start is a start');

    t.ok(
      receiver.requests.every((request) => request.answeredStatus === 200),
      'every request taken',
    );
    const times = receiver.requests.flatMap((request) =>
      request.series
        .filter((series) => series.labels.some((l) => l.name === '__name__' && l.value === CPU))
        .flatMap((series) => series.samples.map((sample) => sample.timestampMs)),
    );
    t.equal(new Set(times).size, times.length, 'no tick twice');
    const sorted = [...times].sort((a, b) => a - b);
    const slots = sorted.map((at) => Math.round((at - sorted[0]!) / 2000));
    t.same(
      slots,
      slots.map((_, index) => index),
      `one tick per 2 s slot, none missing across ${wakes.length} wakes (${sorted.length} ticks)`,
    );
    t.ok(
      receiver.requests.some((request) =>
        request.series.some((series) =>
          series.labels.some((l) => l.name === '__name__' && l.value.startsWith('cluster:usage:')),
        ),
      ),
      'cluster metrics sent: the API connection did not keep a process from exiting',
    );
  },
);

t.test(
  'a wait that cannot be asked for (its file cannot be written): one line, then resident like before; disabled at a wake: it waits on',
  async (t) => {
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const dir = await ownTempDir(t);
    const config = await writeConfig(dir, {
      endpoint: receiver.url,
      samplingInterval: '1s',
      sendingInterval: '1h',
      splay: '0s',
    });
    const env = { EDGE_TELEMETRY_TEST_WAIT: '500,300,100' };
    const daemon = spawnCli(['run', '--config', config], {
      ...env,
      EDGE_TELEMETRY_WAKE_FILE: path.join(dir, 'no-such-dir', 'wake'),
    });
    await daemon.waitFor(/cannot exit to wait; staying resident/);
    // Five more ticks, each an idle point that would have been an exit.
    const ticksAt = (daemon.output().stderr.match(/sampled/g) ?? []).length;
    await new Promise((resolve) => setTimeout(resolve, 5000));
    t.equal(await daemon.stop('SIGTERM'), 0, 'resident, and stopped with its last send');
    t.equal(
      (daemon.output().stderr.match(/cannot exit to wait/g) ?? []).length,
      1,
      `one line, not one per tick (${ticksAt} ticks)`,
    );
    t.match(daemon.output().stderr, /received SIGTERM, sending once more/);

    const written = JSON.parse(await readFile(config, 'utf8')) as { telemetry: object };
    await writeFile(
      config,
      JSON.stringify({ telemetry: { ...written.telemetry, status: 'Disabled' } }),
    );
    const waitFile = path.join(dir, 'wake');
    for (const [reason, wait, notice] of [
      ['wake', '86400.000', true],
      ['wake', '86400.000', false],
      ['reload', '86400.000', true],
      ['start', '', true],
    ] as const) {
      const run = await startedAs(reason, config, waitFile, env);
      t.equal(run.code, 0, `${reason}: exit 0`);
      t.equal(
        (await readFile(waitFile, 'utf8')).trim(),
        wait,
        reason === 'start'
          ? 'a start disabled ends the service'
          : `${reason}: disabled, it waits on (a day, or until a reload) so a reload back to Enabled resumes`,
      );
      t.equal(
        /telemetry is disabled/.test(run.stderr),
        notice,
        reason !== 'wake'
          ? 'the notice'
          : notice
            ? 'the notice at the wake that reads the edit'
            : 'no line at the daily look after it',
      );
      if (reason === 'wake' && notice) {
        const status = await runCli(['status', '--config', config]);
        t.match(
          status.stdout,
          /^daemon: +(not running .*, disabled|disabled \(telemetry\.status: Disabled)/m,
          'status says disabled',
        );
        t.match(status.stdout, /^next send: +none while disabled$/m);
      }
    }
  },
);

t.test(
  'a restart after a crash that has nothing due yet says its next send; a stop whose config broke is still a stop',
  async (t) => {
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const dir = await ownTempDir(t);
    const settings = {
      endpoint: receiver.url,
      splay: '0s',
      samplingInterval: '1m',
      sendingInterval: '1h',
    };
    const config = await writeConfig(dir, settings);
    const dataDir = path.join(dir, 'data');
    const waitFile = path.join(dir, 'wake');
    const run = (reason: string, heldDataDir?: string) =>
      startedAs(reason, config, waitFile, {
        EDGE_TELEMETRY_TEST_WAIT: '1000,800,200',
        ...(heldDataDir === undefined ? {} : { EDGE_TELEMETRY_DATA_DIR: heldDataDir }),
      });
    const status = async () =>
      JSON.parse(await readFile(path.join(dataDir, 'status.json'), 'utf8')) as {
        phase: string;
        nextSendAtMs?: number;
      };

    const first = await run('start');
    t.equal(first.code, 0, first.stderr);
    t.equal(receiver.requests.length, 1, 'the start samples and reports at once');
    const { nextSendAtMs } = await status();
    t.type(nextSendAtMs, 'number', 'the next send, as the start wrote it');

    // The launcher was killed while it waited: systemd starts the unit again, and the start carries on.
    const restart = await run('start');
    t.equal(restart.code, 0, restart.stderr);
    t.equal(receiver.requests.length, 1, 'nothing due yet: no sample, no report');
    const carried = await status();
    t.equal(carried.phase, 'waiting');
    // The same slot, carried over the boot's monotonic clock and back to the wall clock: each process pairs the
    // two clocks at its own instant, so they differ by the milliseconds between two readings.
    t.ok(
      carried.nextSendAtMs !== undefined &&
        Math.abs(carried.nextSendAtMs - (nextSendAtMs as number)) < 50,
      `the same next send, not none: ${carried.nextSendAtMs} against ${nextSendAtMs}`,
    );
    const shown = await runCli(['status', '--config', config]);
    t.notMatch(shown.stdout, /next send: +never/, shown.stdout);

    // A stop while waiting, the config broken meanwhile: exit 2, its one line; the stop is still a stop.
    await writeFile(config, 'telemetry:\n  sendingIntervall: 1h\n');
    const stop = await run('stop', dataDir);
    t.equal(stop.code, 2);
    t.equal(stop.stderr, `edge-telemetry: ${config}: telemetry.sendingIntervall: unknown key\n`);
    const kept = JSON.parse(await readFile(path.join(dataDir, 'wake.json'), 'utf8')) as {
      stopped?: boolean;
    };
    t.equal(kept.stopped, true, 'wake.json says stopped');
    // The admin fixes it and starts the unit: a start, sampling and reporting at once.
    await writeConfig(dir, settings);
    const fixed = await run('start');
    t.equal(fixed.code, 0, fixed.stderr);
    t.equal(receiver.requests.length, 2, 'the start after the fix reports at once');

    // The same for a stop that fails after its config reads (a cluster id file emptied), and one that reads Disabled.
    const stopped = async () =>
      (JSON.parse(await readFile(path.join(dataDir, 'wake.json'), 'utf8')) as { stopped?: boolean })
        .stopped;
    await writeFile(path.join(dir, 'cluster-id'), '');
    const emptied = await run('stop', dataDir);
    t.equal(emptied.code, 2, emptied.stderr);
    t.match(emptied.stderr, /cluster id file .*: empty/);
    t.equal(await stopped(), true, 'a stop that cannot send: wake.json says stopped');
    await writeConfig(dir, settings);
    const again = await run('start');
    t.equal(again.code, 0, again.stderr);
    t.equal(receiver.requests.length, 3, 'the start after that fix reports at once');
    t.equal(await stopped(), undefined, 'running again: not stopped');
    await writeConfig(dir, { ...settings, status: 'Disabled' });
    const disabled = await run('stop', dataDir);
    t.equal(disabled.code, 0, disabled.stderr);
    t.match(disabled.stderr, /telemetry is disabled/);
    t.equal(await stopped(), true, 'a stop that reads Disabled: stopped');
    await writeConfig(dir, settings);
    const enabled = await run('start');
    t.equal(enabled.code, 0, enabled.stderr);
    t.equal(receiver.requests.length, 4, 'enabled again and started: it reports at once');
  },
);

t.test(
  'resident for good (samplingInterval under a minute, or a buffer in memory): it asks the launcher to give way, having read only the config',
  async (t) => {
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    for (const [name, telemetry] of [
      ['samplingInterval 2s', { samplingInterval: '2s' }],
      ['buffer: memory', { samplingInterval: '1m', buffer: 'memory' }],
    ] as const) {
      const dir = await ownTempDir(t);
      const config = await writeConfig(dir, { endpoint: receiver.url, splay: '0s', ...telemetry });
      const waitFile = path.join(dir, 'wake');
      for (const reason of ['start', 'wake', 'reload']) {
        const run = await startedAs(reason, config, waitFile);
        t.equal(run.code, 0, `${name}, ${reason}: exit 0 ${run.stderr}`);
        t.equal(await readFile(waitFile, 'utf8'), 'resident\n', `${name}, ${reason}: "resident"`);
        t.equal(
          run.stderr,
          '',
          `${name}, ${reason}: not a line (the Node.js given way to says it all)`,
        );
      }
      t.equal(existsSync(path.join(dir, 'data')), false, `${name}: dataDir not even made`);
    }
    t.equal(receiver.requests.length, 0, 'nothing sent');

    // A stop while waiting is the last send, resident or not.
    const dir = await ownTempDir(t);
    const config = await writeConfig(dir, { endpoint: receiver.url, samplingInterval: '2s' });
    const waitFile = path.join(dir, 'wake');
    const stop = await startedAs('stop', config, waitFile);
    t.equal(stop.code, 0, stop.stderr);
    t.equal(await readFile(waitFile, 'utf8'), '', 'stop: no answer to the launcher');
    t.equal(receiver.requests.length, 1, 'stop: the last send');
  },
);

t.test(
  "given way to (its PID the launcher's): a reload to a samplingInterval that could wait says it waits from the next start on",
  async (t) => {
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const dir = await ownTempDir(t);
    const settings = { endpoint: receiver.url, splay: '0s', sendingInterval: '1h' };
    const config = await writeConfig(dir, { ...settings, samplingInterval: '2s' });
    // As the launcher's exec leaves it: EDGE_TELEMETRY_WAKE, its own PID as the launcher's, no wake file.
    const daemon = spawn(
      '/bin/sh',
      [
        '-c',
        'export EDGE_TELEMETRY_LAUNCHER_PID=$$; unset NODE_OPTIONS; exec "$0" "$@"',
        process.execPath,
        CLI,
        'run',
        '--config',
        config,
      ],
      {
        env: { ...process.env, EDGE_TELEMETRY_WAKE: 'start' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    daemon.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise((resolve) => daemon.on('close', resolve));
    t.teardown(() => daemon.kill('SIGKILL'));
    const until = async (pattern: RegExp) => {
      for (let i = 0; i < 300 && !pattern.test(stderr); i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      return pattern.test(stderr);
    };
    t.ok(await until(/report sent/), 'reports at start');
    await writeConfig(dir, { ...settings, samplingInterval: '2s', requestTimeout: '20s' });
    daemon.kill('SIGHUP');
    t.ok(await until(/config reloaded/), 'a reload that stays under a minute');
    t.notMatch(stderr, /stays resident until the next start/, 'says nothing of it');
    await writeConfig(dir, { ...settings, samplingInterval: '1m' });
    daemon.kill('SIGHUP');
    t.ok(await until(/config reloaded[^]*config reloaded/), 'reloaded again');
    t.equal(
      stderr.match(
        /info: Node\.js stays resident until the next start \(systemctl restart edge-telemetry\), which waits between ticks/g,
      )?.length,
      1,
      'one line: the next start waits between ticks',
    );
    daemon.kill('SIGTERM');
    t.equal(await exited, 0, stderr);
  },
);

t.test(
  "started for the last send, it finishes it through the stop's own SIGTERM (systemd signals the whole cgroup)",
  async (t) => {
    let requests = 0;
    let onRequest: () => void = () => undefined;
    const server = http.createServer((request, response) => {
      requests++;
      onRequest();
      request.resume();
      request.on('end', () => setTimeout(() => response.writeHead(200).end(), 500));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.teardown(() => server.close());
    const { port } = server.address() as AddressInfo;
    const dir = await ownTempDir(t);
    const config = await writeConfig(dir, {
      endpoint: `http://127.0.0.1:${port}/metrics/v1/receive`,
      samplingInterval: '1m',
    });
    const waitFile = path.join(dir, 'wake');
    await writeFile(waitFile, '');
    const arrived = new Promise<void>((resolve) => (onRequest = resolve));
    const daemon = spawnCli(
      ['run', '--config', config],
      { EDGE_TELEMETRY_WAKE: 'stop', EDGE_TELEMETRY_WAKE_FILE: waitFile },
      { bare: true },
    );
    await arrived;
    daemon.child.kill('SIGTERM');
    t.equal(await daemon.stop(), 0, daemon.output().stderr);
    t.match(daemon.output().stderr, /report sent requests=1 delivered=1/, 'the last send went');
    t.equal(requests, 1, 'once');
  },
);

t.test(
  'a cluster problem is warned once over the wakes, its end once, and again after a reload or for another kubeconfig',
  async (t) => {
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const api = await startFakeApi(generateCluster(3));
    t.teardown(() => api.close());
    const dir = await ownTempDir(t);
    const kubeconfig = path.join(dir, 'kubeconfig-not-yet');
    const settings = {
      endpoint: receiver.url,
      samplingInterval: '2s',
      sendingInterval: '1h',
      splay: '0s',
    };
    const config = await writeConfig(dir, { ...settings, kubeconfig });
    const start = startsAsTheLauncher(
      t,
      config,
      path.join(dir, 'wake'),
      api.caFile,
      /kubeconfig|cluster metrics/,
    );
    const missing = `<4>warn: kubeconfig ${kubeconfig} not found; cluster metrics are left out until it exists (host metrics still go out)`;

    t.same(await start('start'), [missing], 'the start warns that the kubeconfig is missing');
    t.same(await start('wake'), [], 'a wake does not warn again');
    t.same(await start('wake'), [], 'nor the next');
    const state = JSON.parse(await readFile(path.join(dir, 'data', 'wake.json'), 'utf8')) as {
      problems?: { scope?: unknown; keys?: unknown };
    };
    t.same(state.problems?.keys, ['kubeconfig'], 'wake.json keeps the problem by its key');
    t.match(state.problems?.scope, /^[0-9a-f]+$/, 'with what it is about, as a short digest');
    t.notMatch(JSON.stringify(state), /not found/, 'and not its message');
    t.same(await start('reload'), [missing], 'a reload warns afresh');
    t.same(await start('wake'), [], 'and the wake after it does not');

    await writeFile(kubeconfig, await readFile(api.kubeconfig));
    t.same(
      await start('wake'),
      [`<6>info: kubeconfig ${kubeconfig} loaded`],
      'the wake that finds it says so once',
    );
    t.same(await start('wake'), [], 'and the next says nothing');

    const other = path.join(dir, 'another-kubeconfig');
    await writeConfig(dir, { ...settings, kubeconfig: other });
    const otherMissing = missing.replaceAll(kubeconfig, other);
    t.same(await start('wake'), [otherMissing], 'another kubeconfig, read at a wake, is warned of');
    t.same(await start('wake'), [], 'once');
  },
);

t.test(
  'a status file that cannot be written is warned of once over the wakes, and again after it was written',
  async (t) => {
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const dir = await ownTempDir(t);
    const config = await writeConfig(dir, {
      endpoint: receiver.url,
      samplingInterval: '2s',
      sendingInterval: '1h',
      splay: '0s',
    });
    const statusFile = path.join(dir, 'data', 'status.json');
    const start = startsAsTheLauncher(t, config, path.join(dir, 'wake'), '', /status file/);
    t.same(await start('start'), [], 'the start writes it');
    // A directory where the file is: the rename over it fails even for root, and nothing else in dataDir does.
    await rm(statusFile);
    await mkdir(path.join(statusFile, 'in-the-way'), { recursive: true });
    const warning =
      /^<4>warn: cannot write the status file; edge-telemetry status will be stale dir=\S+ reason=E(ISDIR|NOTEMPTY|EXIST)$/;
    const first = await start('wake');
    t.equal(first.length, 1, `one warning: ${first.join(' | ')}`);
    t.match(first[0], warning);
    t.same(await start('wake'), [], 'a wake does not warn again');
    t.same(await start('wake'), [], 'nor the next');
    const state = JSON.parse(await readFile(path.join(dir, 'data', 'wake.json'), 'utf8')) as {
      statusUnwritable?: unknown;
    };
    t.equal(state.statusUnwritable, true, 'wake.json keeps that it was warned');

    await rm(statusFile, { recursive: true });
    t.same(await start('wake'), [], 'written again: nothing to say');
    const after = JSON.parse(await readFile(path.join(dir, 'data', 'wake.json'), 'utf8')) as {
      statusUnwritable?: unknown;
    };
    t.equal(after.statusUnwritable, undefined, 'and no longer kept');
    await rm(statusFile);
    await mkdir(path.join(statusFile, 'in-the-way'), { recursive: true });
    t.equal((await start('wake')).length, 1, 'failing again after a success: warned again');
  },
);

t.test(
  'a resource dropped from extraResources by an edit read at a wake, and put back, is warned of again',
  async (t) => {
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const api = await startFakeApi(generateCluster(3));
    t.teardown(() => api.close());
    const dir = await ownTempDir(t);
    const settings = {
      endpoint: receiver.url,
      samplingInterval: '2s',
      sendingInterval: '1h',
      splay: '0s',
      kubeconfig: api.kubeconfig,
    };
    // Not served by the fake API: 404, one warning.
    const widgets = { ...settings, extraResources: ['example.com/v1/widgets'] };
    const config = await writeConfig(dir, widgets);
    const start = startsAsTheLauncher(t, config, path.join(dir, 'wake'), api.caFile, /widgets/);
    const warning = /warn: resource widgets\.example\.com not available \(HTTP 404\)/;
    const first = await start('start');
    t.match(first.join('\n'), warning, 'the start warns of the resource');
    t.same(await start('wake'), [], 'a wake does not warn again');
    // The edit takes effect at the next wake without a reload (README): the resource is no longer counted.
    await writeConfig(dir, settings);
    t.same(await start('wake'), [], 'nothing to say of a resource no longer counted');
    // Put back: counted afresh, as after a reload of a resident daemon, and still not there.
    await writeConfig(dir, widgets);
    t.match(
      (await start('wake')).join('\n'),
      warning,
      'the resource put back and still missing is warned of',
    );
    t.same(await start('wake'), [], 'and then not again');
  },
);

t.test(
  'dataDir edited while the service waits: the one it holds stays until the next start, said once, again at a reload',
  async (t) => {
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const dir = await ownTempDir(t);
    const settings = {
      endpoint: receiver.url,
      samplingInterval: '2s',
      sendingInterval: '1h',
      splay: '0s',
    };
    const config = await writeConfig(dir, settings);
    const held = path.join(dir, 'data');
    const waitFile = path.join(dir, 'wake');
    const warning = /telemetry\.dataDir takes effect at the next start/;
    /** One process as the launcher starts it, given the dataDir the last wait named. */
    const start = async (reason: string, heldDataDir: string) => {
      const run = await startedAs(reason, config, waitFile, {
        EDGE_TELEMETRY_TEST_WAIT: '1000,800,200',
        EDGE_TELEMETRY_DATA_DIR: heldDataDir,
      });
      t.equal(run.code, 0, `${reason} exits 0 to wait: ${run.stderr}`);
      const [seconds, named] = (await readFile(waitFile, 'utf8')).split('\n');
      t.match(seconds, /^\d+\.\d{3}$/, `${reason}: a wait`);
      return { named, warned: (run.stderr.match(new RegExp(warning, 'g')) ?? []).length };
    };
    t.same(await start('start', ''), { named: held, warned: 0 }, 'the wait names the dataDir held');
    const schedule = await readFile(path.join(held, 'wake.json'), 'utf8');
    await writeConfig(dir, { ...settings, dataDir: 'data2' });
    t.same(await start('wake', held), { named: held, warned: 1 }, 'the wake that reads the edit');
    t.same(await start('wake', held), { named: held, warned: 0 }, 'not again at the next wake');
    t.same(await start('reload', held), { named: held, warned: 1 }, 'a reload says it again');
    t.equal(
      existsSync(path.join(dir, 'data2')),
      false,
      'the new dataDir is not used until a start',
    );
    t.not(
      await readFile(path.join(held, 'wake.json'), 'utf8'),
      schedule,
      'the schedule goes on in the held one',
    );
    await writeConfig(dir, settings);
    t.same(await start('wake', held), { named: held, warned: 0 }, 'an edit back: nothing to say');
    t.ok(receiver.requests.length >= 1, 'it reported');
  },
);
