// What a process of ours survives from outside (src/process-guards.ts), on
// the real CLI process: stray signals, SIGUSR1's inspector, a log pipe whose
// reader went away.
import t from 'tap';
import { spawn } from 'node:child_process';
import { chmod, copyFile, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, spawnCli } from './helpers/cli.js';
import { ownTempDir, writeConfig } from './helpers/files.js';
import { launcherFlags } from './helpers/launcher.js';
import { startScriptedReceiver } from './helpers/scripted-receiver.js';

const INSPECTOR_PORT = 9229;
const LAUNCHER = fileURLToPath(new URL('../packaging/launcher.sh', import.meta.url));

/** Whether anything accepts a connection on 127.0.0.1:`port`. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const count = (text: string, pattern: RegExp) =>
  text.split('\n').filter((line) => pattern.test(line)).length;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test(
  'stray signals to the daemon: each one line once, none a death, SIGUSR1 no inspector',
  async (t) => {
    t.equal(await listening(INSPECTOR_PORT), false, 'nothing on the inspector port before');
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const config = await writeConfig(await ownTempDir(t), {
      endpoint: receiver.url,
      samplingInterval: '1h',
      sendingInterval: '1h',
    });
    const daemon = spawnCli(['run', '--config', config], {}, { bare: true });
    t.teardown(() => daemon.stop('SIGKILL'));
    await daemon.waitFor(/report sent/);
    const signals = [
      'SIGUSR1',
      'SIGUSR2',
      'SIGALRM',
      'SIGVTALRM',
      'SIGIO',
      'SIGPWR',
      'SIGSTKFLT',
      'SIGXCPU',
    ] as const;
    for (const signal of signals) {
      // Twice each: the second says nothing.
      t.ok(daemon.child.kill(signal), `${signal} sent`);
      await daemon.waitFor(new RegExp(`received ${signal}: ignored`));
      t.ok(daemon.child.kill(signal), `${signal} sent again`);
    }
    await pause(300);
    t.equal(daemon.child.exitCode, null, 'still running');
    t.equal(await listening(INSPECTOR_PORT), false, 'no inspector opened');
    const { stderr } = daemon.output();
    t.notMatch(stderr, /Debugger listening/);
    for (const signal of signals)
      t.equal(
        count(stderr, new RegExp(`received ${signal}: ignored`)),
        1,
        `${signal}: one line for two`,
      );
    t.match(
      stderr,
      /^<4>warn: received SIGUSR1: ignored \(no inspector is opened\); edge-telemetry acts on SIGHUP \(reload\), SIGTERM and SIGINT \(stop\)$/m,
    );
    t.equal(await daemon.stop('SIGTERM'), 0, 'stops as usual, with its last send');
    t.match(daemon.output().stderr, /received SIGTERM, sending once more and stopping/);
  },
);

t.test('another long-running command survives them too (the embedded receiver)', async (t) => {
  const receiver = spawnCli(['receive', '--listen', '127.0.0.1:0', '--quiet'], {}, { bare: true });
  t.teardown(() => receiver.stop('SIGKILL'));
  await receiver.waitFor(/receiver listening/);
  receiver.child.kill('SIGUSR1');
  receiver.child.kill('SIGUSR2');
  await receiver.waitFor(/received SIGUSR2: ignored/);
  t.equal(receiver.child.exitCode, null, 'still running');
  t.equal(await listening(INSPECTOR_PORT), false, 'no inspector opened');
  t.equal(await receiver.stop('SIGTERM'), 0);
});

t.test(
  "the log pipe's reader goes away: the daemon goes on sampling and sending, and stops cleanly",
  async (t) => {
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const config = await writeConfig(await ownTempDir(t), {
      endpoint: receiver.url,
      samplingInterval: '1s',
      sendingInterval: '2s',
      splay: '0s',
    });
    const daemon = spawn(
      '/bin/sh',
      [
        '-c',
        'unset NODE_OPTIONS; exec "$0" "$@"',
        process.execPath,
        CLI,
        'run',
        '--config',
        config,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) =>
      daemon.on('exit', (code) => resolve(code)),
    );
    t.teardown(() => void daemon.kill('SIGKILL'));
    // Read until the first report, then close our end of both pipes, as a journald restart does.
    await new Promise<void>((resolve) => {
      let seen = '';
      daemon.stderr.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (/report sent/.test(seen)) resolve();
      });
    });
    daemon.stderr.destroy();
    daemon.stdout.destroy();
    const before = receiver.requests.length;
    // Every log line from now on meets a closed pipe: a reload logs, so do reports and stray signals.
    daemon.kill('SIGHUP');
    daemon.kill('SIGUSR2');
    for (let waited = 0; receiver.requests.length < before + 2 && waited < 30_000; waited += 100)
      await pause(100);
    t.equal(daemon.exitCode, null, 'still running after writing to a closed pipe');
    t.ok(
      receiver.requests.length >= before + 2,
      `it went on sending (${receiver.requests.length - before} more requests)`,
    );
    daemon.kill('SIGTERM');
    t.equal(await exited, 0, 'a clean stop');
  },
);

t.test('show into a pipe closed early (show | head -c 10): no stack trace, no hang', async (t) => {
  const receiver = await startScriptedReceiver([]);
  t.teardown(receiver.close);
  const config = await writeConfig(await ownTempDir(t), { endpoint: receiver.url });
  const shell = spawn(
    '/bin/sh',
    [
      '-c',
      `"$0" "$1" show --config "$2" 2>"$3" | head -c 10 >/dev/null; cat "$3"`,
      process.execPath,
      CLI,
      config,
      path.join(path.dirname(config), 'err'),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let errors = '';
  shell.stdout.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => shell.on('close', resolve));
  t.equal(code, 0);
  t.notMatch(errors, /EPIPE|Error|at /, `nothing but a clean end on stderr: ${errors}`);
});

t.test(
  "SIGUSR1 the moment Node runs, before any of the program's code: no inspector where the launcher can say so",
  async (t) => {
    const flags = launcherFlags();
    if (!flags.includes('--disable-sigusr1')) {
      // Node 20 and 22.0-22.13 have no such flag: there, the program's own listener is the first guard (the test above).
      t.pass(
        `Node.js ${process.versions.node} has no --disable-sigusr1; the launcher gives ${flags.join(' ')}`,
      );
      return;
    }
    const dir = await ownTempDir(t);
    // The launcher beside a program that guards nothing and takes a while to start.
    const launcher = path.join(dir, 'edge-telemetry');
    await copyFile(LAUNCHER, launcher);
    await chmod(launcher, 0o755);
    await writeFile(
      path.join(dir, 'edge-telemetry.mjs'),
      "process.stdout.write('started\\n');\nsetTimeout(() => {}, 2000);\n",
    );
    const child = spawn(launcher, [], {
      env: { PATH: '/usr/bin:/bin', EDGE_TELEMETRY_NODE: process.execPath },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    // Once the shell has exec'd Node, at once.
    while (
      !(await readFile(`/proc/${child.pid}/cmdline`, 'utf8').catch(() => '')).includes(
        'edge-telemetry.mjs',
      )
    )
      await pause(1);
    child.kill('SIGUSR1');
    t.equal(await exited, 0, 'ran to its end');
    t.notMatch(stderr, /Debugger listening/);
    t.equal(await listening(INSPECTOR_PORT), false);
  },
);
