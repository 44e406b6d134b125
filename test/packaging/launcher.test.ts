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
      ['v20.15.0', ['--gc-memory-reducer-start-delay-ms=1000', '--no-expose-wasm', '--lite-mode']],
      ['v20.20.2', ['--gc-memory-reducer-start-delay-ms=1000', '--no-expose-wasm', '--lite-mode']],
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
      /^edge-telemetry: EDGE_TELEMETRY_NODE=\S+ is Node\.js .+; edge-telemetry runs on Node\.js 20\.15\+, 22, 24 or 26\n$/,
      version,
    );
  }
  for (const missing of [path.join(work, 'no-such-node'), work]) {
    const result = launch(missing, ['run']);
    t.equal(result.status, 2, missing);
    t.equal(
      result.stderr,
      `edge-telemetry: EDGE_TELEMETRY_NODE=${missing} does not run; set it to a Node.js 20.15+, 22, 24 or 26 binary\n`,
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
      `edge-telemetry: EDGE_TELEMETRY_NODE=${hanging} does not run; set it to a Node.js 20.15+, 22, 24 or 26 binary\n`,
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
      /^edge-telemetry: EDGE_TELEMETRY_NODE=\S+ is Node\.js v+; edge-telemetry runs on Node\.js 20\.15\+, 22, 24 or 26\n$/,
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
  'it execs: the program has the PID the launcher was started with (systemd MainPID)',
  async (t) => {
    const child = spawn(launcher, ['run'], {
      env: { PATH: '/usr/bin:/bin', EDGE_TELEMETRY_NODE: await fakeNode('v22.23.3') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await new Promise((resolve) => child.on('close', resolve));
    t.equal(out.split('\n')[0], `pid ${child.pid}`);
  },
);

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
    for (const minor of [0, 10, 14, 15, 40]) {
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
