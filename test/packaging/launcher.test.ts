// packaging/launcher.sh, the unit's ExecStart: which Node.js lines it runs on,
// the V8 flags it gives each, that it execs (the daemon keeps the launcher's
// PID, systemd's MainPID) and passes the arguments through untouched, and the
// one line and exit 2 for a Node.js it does not support. A stand-in "node"
// (a shell script that answers --version and otherwise prints what it was
// given) takes the place of each line; the real lines run the real launcher
// in test/packaging/release.test.ts and under systemd in test/systemd/.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const checkout = fileURLToPath(new URL('../../', import.meta.url));
const work = await mkdtemp(path.join(os.tmpdir(), 'edge-telemetry-launcher-test-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
// The launcher as installed: edge-telemetry.mjs beside it.
const launcher = path.join(work, 'lib', 'edge-telemetry');
await mkdir(path.dirname(launcher));
await copyFile(path.join(checkout, 'packaging', 'launcher.sh'), launcher);
await chmod(launcher, 0o755);
const program = path.join(path.dirname(launcher), 'edge-telemetry.mjs');

const COMMON = [
  '--max-semi-space-size=1',
  '--max-old-space-size=64',
  '--single-threaded-gc',
  '--expose-gc',
];

/** A stand-in node reporting `version`: prints its PID, then each argument on a line of its own. */
async function fakeNode(version: string): Promise<string> {
  const file = path.join(work, `node-${version.replace(/[^\w.]/g, '_')}`);
  await writeFile(
    file,
    `#!/bin/sh\nif [ "$1" = --version ]; then printf '%s\\n' '${version}'; exit 0; fi\necho "pid $$"\nfor a in "$@"; do printf '%s\\n' "$a"; done\n`,
  );
  await chmod(file, 0o755);
  return file;
}

function launch(node: string, args: readonly string[]) {
  return spawnSync(launcher, args, {
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin', EDGE_TELEMETRY_NODE: node },
    timeout: 10_000,
  });
}

t.test(
  'each supported line gets its own flags, then the program and the arguments as given',
  async (t) => {
    const cases: [string, string[]][] = [
      // The memory reducer's shorter delay on 20 only: 22, 24 and 26 shrink at the first tick.
      ['v20.16.0', ['--gc-memory-reducer-start-delay-ms=1000', '--no-expose-wasm', '--lite-mode']],
      ['v20.20.2', ['--gc-memory-reducer-start-delay-ms=1000', '--no-expose-wasm', '--lite-mode']],
      ['v22.3.0', ['--no-compilation-cache', '--no-expose-wasm', '--lite-mode']],
      // --disable-sigusr1 from the first 22 that has it.
      ['v22.13.1', ['--no-compilation-cache', '--no-expose-wasm', '--lite-mode']],
      [
        'v22.14.0',
        ['--no-compilation-cache', '--no-expose-wasm', '--lite-mode', '--disable-sigusr1'],
      ],
      [
        'v22.23.3',
        ['--no-compilation-cache', '--no-expose-wasm', '--lite-mode', '--disable-sigusr1'],
      ],
      ['v24.21.0', ['--no-compilation-cache', '--lite-mode', '--disable-sigusr1']],
      ['v26.10.0', ['--no-compilation-cache', '--lite-mode', '--disable-sigusr1']],
    ];
    for (const [version, lineFlags] of cases) {
      const result = launch(await fakeNode(version), [
        'run',
        '--config',
        '/etc/edge-telemetry/telemetry.yaml',
        'a b',
        '',
      ]);
      t.equal(result.status, 0, `${version}: ${result.stderr}`);
      t.equal(result.stderr, '', `${version}: nothing on stderr`);
      t.same(
        result.stdout.split('\n').slice(1),
        [
          ...COMMON,
          ...lineFlags,
          program,
          'run',
          '--config',
          '/etc/edge-telemetry/telemetry.yaml',
          'a b',
          '',
          '',
        ],
        version,
      );
      t.equal(
        launch(await fakeNode(version), ['--node-flags']).stdout,
        `${[...COMMON, ...lineFlags].join(' ')}\n`,
        `${version}: --node-flags says the same`,
      );
    }
  },
);

t.test('unsupported lines and binaries: one line, exit 2, the program never started', async (t) => {
  for (const version of [
    'v18.19.0',
    'v20.10.0',
    'v20.14.1',
    'v20.15.1',
    'v22.0.0',
    'v22.2.0',
    'v21.7.3',
    'v23.11.0',
    'v25.9.0',
    'v27.0.0',
    'v16',
    'not a version',
  ]) {
    const result = launch(await fakeNode(version), ['run']);
    t.equal(result.status, 2, version);
    t.equal(result.stdout, '', `${version}: nothing run`);
    t.match(
      result.stderr,
      /^edge-telemetry: EDGE_TELEMETRY_NODE=\S+ is Node\.js .+; edge-telemetry runs on Node\.js 20\.16\+, 22\.3\+, 24 or 26\n$/,
      version,
    );
  }
  for (const missing of [path.join(work, 'no-such-node'), work]) {
    const result = launch(missing, ['run']);
    t.equal(result.status, 2, missing);
    t.equal(
      result.stderr,
      `edge-telemetry: EDGE_TELEMETRY_NODE=${missing} does not run; set it to a Node.js 20.16+, 22.3+, 24 or 26 binary\n`,
    );
  }
});

t.test(
  'a binary that never answers --version is given up after 10 s: one line, exit 2',
  async (t) => {
    const hanging = path.join(work, 'node-hanging');
    await writeFile(hanging, '#!/bin/sh\nexec sleep 60\n');
    await chmod(hanging, 0o755);
    const result = spawnSync(launcher, ['run'], {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin', EDGE_TELEMETRY_NODE: hanging },
      timeout: 30_000,
    });
    t.equal(result.status, 2, result.stderr);
    t.equal(
      result.stderr,
      `edge-telemetry: EDGE_TELEMETRY_NODE=${hanging} does not run; set it to a Node.js 20.16+, 22.3+, 24 or 26 binary\n`,
    );
  },
);

t.test(
  'a binary that prints without end is read for 256 bytes only: one short line, exit 2',
  async (t) => {
    const endless = path.join(work, 'node-endless');
    await writeFile(
      endless,
      '#!/bin/sh\nexec yes vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\n',
    );
    await chmod(endless, 0o755);
    const result = spawnSync(launcher, ['run'], {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin', EDGE_TELEMETRY_NODE: endless },
      timeout: 30_000,
    });
    t.equal(result.status, 2, result.stderr);
    t.equal(result.stderr.split('\n').length, 2, 'one line');
    t.match(
      result.stderr,
      /^edge-telemetry: EDGE_TELEMETRY_NODE=\S+ is Node\.js v+; edge-telemetry runs on Node\.js 20\.16\+, 22\.3\+, 24 or 26\n$/,
    );
  },
);

t.test('--which-node names the Node.js it would run, and runs nothing', async (t) => {
  const node = await fakeNode('v24.21.0');
  const result = launch(node, ['--which-node']);
  t.equal(result.status, 0, result.stderr);
  t.equal(result.stdout, `${node} v24.21.0\n`);
});

t.test(
  'every command but run, and run with EDGE_TELEMETRY_RESIDENT=yes: it execs, the program has the PID the launcher was started with',
  async (t) => {
    const resident = spawn(launcher, ['run'], {
      env: {
        PATH: '/usr/bin:/bin',
        EDGE_TELEMETRY_NODE: await fakeNode('v22.23.3'),
        EDGE_TELEMETRY_RESIDENT: 'yes',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let residentOut = '';
    resident.stdout.on('data', (chunk: Buffer) => (residentOut += chunk.toString()));
    await new Promise((resolve) => resident.on('close', resolve));
    t.equal(residentOut.split('\n')[0], `pid ${resident.pid}`, 'run, resident');
    const child = spawn(launcher, ['once'], {
      env: { PATH: '/usr/bin:/bin', EDGE_TELEMETRY_NODE: await fakeNode('v22.23.3') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await new Promise((resolve) => child.on('close', resolve));
    t.equal(out.split('\n')[0], `pid ${child.pid}`, 'once');
  },
);

/**
 * A stand-in daemon for `run` under the supervising launcher: each start
 * appends "<reason> <launcher pid> <its own pid>" to `log`, then does what
 * the next line of `plan` says: "wait S" (ask to be started again in S
 * seconds and exit 0), "resident" (ask the launcher to give way and exit 0),
 * "exit N", "termself" (die by SIGTERM, as before a handler), "exitwait" (a SIGHUP
 * comes as it exits to wait: dropped, it asks for 600 s), "hold" (wait for a signal: SIGHUP is logged
 * and ignored, SIGTERM logged and exit 0) or "die" (SIGKILL itself).
 */
/** How the unit's /bin/sh is: dash on Debian, bash (in its POSIX mode, as `sh`) on RHEL. */
const SHELLS = [
  { name: 'dash', command: '/bin/dash', argv0: 'sh' },
  { name: 'bash as sh', command: '/bin/bash', argv0: 'sh' },
  // Not how the unit runs it; its read -t is not ended by a trapped signal, the line a trap writes ends it.
  { name: 'bash', command: '/bin/bash', argv0: 'bash' },
] as const;
type Shell = (typeof SHELLS)[number];

async function supervisedNode(plan: readonly string[], shell: Shell = SHELLS[0]) {
  const dir = await mkdtemp(path.join(work, 'supervised-'));
  const log = path.join(dir, 'log');
  const count = path.join(dir, 'count');
  await writeFile(path.join(dir, 'plan'), plan.join('\n') + '\n');
  const node = path.join(dir, 'node');
  await writeFile(
    node,
    [
      '#!/bin/sh',
      `if [ "$1" = --version ]; then echo v24.21.0; exit 0; fi`,
      `n=$(( $(cat ${count} 2>/dev/null || echo 0) + 1 )); echo $n > ${count}`,
      `if [ -e /proc/$$/fd/3 ]; then fd3=fd3-open; else fd3=fd3-closed; fi`,
      `echo "$EDGE_TELEMETRY_WAKE $EDGE_TELEMETRY_LAUNCHER_PID $$ $fd3 \${EDGE_TELEMETRY_WAKE_FILE:+with-wake-file}" >> ${log}`,
      `echo "\${EDGE_TELEMETRY_DATA_DIR:-none}" >> ${dir}/dirs`,
      `step=$(sed -n "\${n}p" ${dir}/plan)`,
      'case $step in',
      // "waitdir S DIR", "residentdir DIR": the wait's second line names the dataDir the launcher holds.
      `  waitdir*) rest=\${step#waitdir }; printf '%s\\n%s\\n' "\${rest%% *}" "\${rest#* }" > "$EDGE_TELEMETRY_WAKE_FILE"; exit 0 ;;`,
      `  residentdir*) printf 'resident\\n%s\\n' "\${step#residentdir }" > "$EDGE_TELEMETRY_WAKE_FILE"; exit 0 ;;`,
      '  wait*) echo "${step#wait }" > "$EDGE_TELEMETRY_WAKE_FILE"; exit 0 ;;',
      '  resident) echo resident > "$EDGE_TELEMETRY_WAKE_FILE"; exit 0 ;;',
      `  hold) trap 'echo HUP >> ${log}' HUP; trap 'echo TERM >> ${log}; exit 0' TERM; echo held >> ${log}; while :; do sleep 0.05; done ;;`,
      '  die) kill -9 $$ ;;',
      // Waits with no handler in: a signal the launcher forwards ends it, as one before Node.js's handlers.
      `  holddie) echo held >> ${log}; while :; do sleep 0.05; done ;;`,
      '  termself) kill -TERM $$ ;;',
      `  exitwait) trap 'echo dropped >> ${log}; echo 600 > "$EDGE_TELEMETRY_WAKE_FILE"; exit 0' HUP; echo held >> ${log}; while :; do sleep 0.05; done ;;`,
      // After exitwait, which it would match too.
      '  exit*) exit "${step#exit }" ;;',
      'esac',
      '',
    ].join('\n'),
  );
  await chmod(node, 0o755);
  const child = spawn(shell.command, [launcher, 'run', '--config', 'x.yaml'], {
    argv0: shell.argv0,
    env: { PATH: '/usr/bin:/bin', EDGE_TELEMETRY_NODE: node },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const lines = async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').slice(0, -1);
  let ended = false;
  void closed.then(() => (ended = true));
  /** Resolves once the log has `n` lines; rejects, naming what it has, if the launcher ends first. */
  const until = async (n: number) => {
    for (;;) {
      // Asked before the read: a launcher that ended before it has written every line that read sees.
      const over = ended;
      const now = await lines();
      if (now.length >= n) return now;
      if (over)
        throw new Error(
          `the launcher ended with ${now.length} of ${n} lines: ${JSON.stringify(now)}; stderr ${stderr}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const dirs = async () =>
    (await readFile(path.join(dir, 'dirs'), 'utf8').catch(() => '')).split('\n').slice(0, -1);
  return { child, closed, lines, until, dirs, stderr: () => stderr };
}

for (const shell of SHELLS) {
  t.test(
    `run under ${shell.name}: the dataDir a wait names goes to the next Node.js, and only to it (a dataDir edit waits for the next start)`,
    async (t) => {
      const run = await supervisedNode(
        [
          'waitdir 0 /var/lib/edge telemetry',
          'wait 0',
          'waitdir 0 /srv/held',
          'residentdir /srv/held',
          'exit 0',
        ],
        shell,
      );
      t.same(await run.closed, { code: 0, signal: null }, run.stderr());
      t.same(
        await run.dirs(),
        ['none', '/var/lib/edge telemetry', 'none', '/srv/held', '/srv/held'],
        'a start holds none; each wait says its own (spaces kept); the exec to stay resident carries it',
      );
      t.equal(run.stderr(), '', 'nothing on stderr');
      // A stop that ends a Node.js before its handlers: the one started again for the last send gets the same dataDir.
      const stopped = await supervisedNode(['waitdir 0 /srv/held', 'holddie', 'exit 0'], shell);
      await stopped.until(3);
      stopped.child.kill('SIGTERM');
      t.same(await stopped.closed, { code: 0, signal: null }, stopped.stderr());
      t.same(
        (await stopped.lines()).map((line) => line.split(' ')[0]),
        ['start', 'wake', 'held', 'stop'],
      );
      t.same(
        await stopped.dirs(),
        ['none', '/srv/held', '/srv/held'],
        'the last send is made from the dataDir held, not the configured one',
      );
    },
  );

  t.test(
    `run under ${shell.name}: Node.js exits to wait, the launcher (one PID throughout) waits and starts it again; its exit status is the unit's`,
    async (t) => {
      const run = await supervisedNode(['wait 0.05', 'wait 0', 'exit 0'], shell);
      const end = await run.closed;
      t.same(end, { code: 0, signal: null }, run.stderr());
      const lines = await run.lines();
      t.same(
        lines.map((line) => line.split(' ').slice(0, 2).join(' ')),
        [`start ${run.child.pid}`, `wake ${run.child.pid}`, `wake ${run.child.pid}`],
        'started, then woken twice, told the launcher pid each time',
      );
      t.equal(new Set(lines.map((line) => line.split(' ')[2])).size, 3, 'a new Node.js each time');
      t.not(lines[0]?.split(' ')[2], String(run.child.pid), "Node.js is the launcher's child");
      t.equal(run.stderr(), '', 'nothing on stderr');
      t.ok(
        lines.every((line) => line.split(' ')[3] === 'fd3-closed'),
        "no descriptor of the launcher's wait is left open in Node.js",
      );
      for (const [plan, code] of [
        ['exit 2', 2],
        ['exit 1', 1],
        ['die', 137],
      ] as const) {
        const failing = await supervisedNode(['wait 0', plan], shell);
        t.same(await failing.closed, { code, signal: null }, `${plan}: exit ${code}`);
      }
    },
  );

  t.test(
    `run under ${shell.name}: a reload or a stop while waiting starts Node.js at once for it; while Node.js runs, it gets the signal`,
    async (t) => {
      const reload = await supervisedNode(['wait 600', 'wait 600', 'exit 0'], shell);
      await reload.until(1);
      // The wait is 10 minutes: only the signal can end it within the test's time.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const waiting = (
        await readFile(`/proc/${reload.child.pid}/task/${reload.child.pid}/children`, 'utf8')
      )
        .split(' ')
        .filter((pid) => pid !== '');
      const names = await Promise.all(
        waiting.map(async (pid) => (await readFile(`/proc/${pid}/comm`, 'utf8')).trim()),
      );
      t.same(
        names,
        shell.command === '/bin/dash' ? ['sleep'] : [],
        shell.name === 'dash'
          ? 'dash waits in sleep'
          : "bash waits in its own read -t: no process but the launcher's",
      );
      reload.child.kill('SIGHUP');
      t.same(
        (await reload.until(2)).map((line) => line.split(' ')[0]),
        ['start', 'reload'],
        'SIGHUP: started for the reload',
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      reload.child.kill('SIGTERM');
      t.same(
        (await reload.until(3)).map((line) => line.split(' ')[0]),
        ['start', 'reload', 'stop'],
        'SIGTERM: started for the last send',
      );
      t.same(await reload.closed, { code: 0, signal: null }, 'then exits as Node.js did');
      t.equal(reload.stderr(), '', 'no "Terminated" or other shell noise');

      const held = await supervisedNode(['hold', 'exit 0'], shell);
      await held.until(2);
      held.child.kill('SIGHUP');
      t.same((await held.until(3)).slice(1), ['held', 'HUP'], 'SIGHUP forwarded to Node.js');
      held.child.kill('SIGTERM');
      t.same((await held.until(4)).slice(1), ['held', 'HUP', 'TERM'], 'SIGTERM forwarded');
      t.same(await held.closed, { code: 0, signal: null }, 'Node.js stopped: the launcher too');
      t.equal((await held.lines()).length, 4, 'no new Node.js after a stop it made itself');
    },
  );
}

for (const shell of SHELLS) {
  t.test(
    `run under ${shell.name}: the Node.js started for the last send, reached by the stop's own signal (systemd signals the whole cgroup), is started again for it`,
    async (t) => {
      const run = await supervisedNode(['wait 600', 'termself', 'termself', 'exit 0'], shell);
      await run.until(1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      run.child.kill('SIGTERM');
      t.same(await run.closed, { code: 0, signal: null }, 'the third start made it: exit 0');
      t.same(
        (await run.lines()).map((line) => line.split(' ')[0]),
        ['start', 'stop', 'stop', 'stop'],
        'stop, twice more',
      );
      const endless = await supervisedNode(['wait 600', 'termself', 'termself', 'termself'], shell);
      await endless.until(1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      endless.child.kill('SIGTERM');
      t.same(
        await endless.closed,
        { code: 143, signal: null },
        'not for ever: after three, the status of the last',
      );
    },
  );

  t.test(
    `run under ${shell.name}: a reload that reached a Node.js already exiting to wait is the next one's, at once`,
    async (t) => {
      const run = await supervisedNode(['exitwait', 'exit 0'], shell);
      await run.until(2);
      run.child.kill('SIGHUP');
      t.same(
        (await run.until(4)).map((line) => line.split(' ')[0]),
        ['start', 'held', 'dropped', 'reload'],
        'not after the 600 s it asked for',
      );
      t.same(await run.closed, { code: 0, signal: null });
    },
  );

  t.test(
    `run under ${shell.name}: a daemon resident for good has the launcher give way (exec): it gets the MainPID, for the same reason`,
    async (t) => {
      const atStart = await supervisedNode(['resident', 'hold'], shell);
      const [asked, execd] = await atStart.until(3);
      t.equal(asked?.split(' ')[4], 'with-wake-file', 'the first was started beside the launcher');
      t.same(
        execd?.split(' '),
        ['start', String(atStart.child.pid), String(atStart.child.pid), 'fd3-closed', ''],
        "then Node.js in the launcher's place: its PID, the same reason, no wake file, no descriptor of the wait",
      );
      // Ignored through the exec, until Node.js's own handler is in (a shell stand-in cannot trap it then).
      atStart.child.kill('SIGHUP');
      await new Promise((resolve) => setTimeout(resolve, 200));
      t.equal(atStart.child.exitCode, null, 'a SIGHUP in the hand-over is no death');
      atStart.child.kill('SIGTERM');
      t.same((await atStart.until(4)).slice(2), ['held', 'TERM'], "SIGTERM is Node.js's own");
      t.same(await atStart.closed, { code: 0, signal: null }, "and so is the unit's end");
      t.equal(atStart.stderr(), '', 'no shell noise');

      const atWake = await supervisedNode(['wait 0.05', 'resident', 'exit 3'], shell);
      t.same(
        await atWake.closed,
        { code: 3, signal: null },
        "the exec'd Node.js's status is the unit's",
      );
      const pid = String(atWake.child.pid);
      t.same(
        (await atWake.lines()).map((line) => line.split(' ').slice(0, 3)),
        [
          ['start', pid, (await atWake.lines())[0]?.split(' ')[2]],
          ['wake', pid, (await atWake.lines())[1]?.split(' ')[2]],
          ['wake', pid, pid],
        ],
        'at a wake: given way to for the reason wake',
      );
    },
  );
}

t.test("the launcher's lines are package.json's engines", async (t) => {
  const { engines } = JSON.parse(await readFile(path.join(checkout, 'package.json'), 'utf8')) as {
    engines: { node: string };
  };
  // ^MAJOR or ^MAJOR.MINOR, joined by ||: what engines may say here.
  const ranges = engines.node.split('||').map((range) => {
    const match = /^\s*\^(\d+)(?:\.(\d+))?\s*$/.exec(range);
    if (match === null) throw new Error(`engines.node: unexpected range '${range}'`);
    return { major: Number(match[1]), minor: Number(match[2] ?? 0) };
  });
  for (let major = 16; major <= 30; major++) {
    for (const minor of [0, 2, 3, 10, 14, 15, 16, 40]) {
      const inEngines = ranges.some((range) => range.major === major && minor >= range.minor);
      const result = launch(await fakeNode(`v${major}.${minor}.0`), ['--which-node']);
      t.equal(
        result.status === 0,
        inEngines,
        `v${major}.${minor}.0: ${inEngines ? 'in' : 'not in'} engines (${engines.node})`,
      );
    }
  }
});
