// The release as an admin or an image builder meets it: npm run package into a
// temp dir, the tree it makes, install.sh and uninstall.sh under DESTDIR, the
// bundle run from there with no node_modules anywhere, and the RPM built from
// the tarball with rpmbuild, whose file list must be the release tree's.
import t from 'tap';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import buffer from 'node:buffer';
import fs, { existsSync } from 'node:fs';
import vm from 'node:vm';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  readlink,
  realpath,
  rm,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeConfig } from '../helpers/files.js';
import { decodeWriteRequest } from '../../src/receiver/decode.js';

const checkout = fileURLToPath(new URL('../../', import.meta.url));
const { version } = JSON.parse(await readFile(path.join(checkout, 'package.json'), 'utf8')) as {
  version: string;
};
const name = `edge-telemetry-${version}`;
const BUNDLE = 'usr/local/lib/edge-telemetry/edge-telemetry.mjs';
/** packaging/launcher.sh: the unit's ExecStart and the link's target; runs the bundle on this line's Node.js with its flags. */
const LAUNCHER = 'usr/local/lib/edge-telemetry/edge-telemetry';
/** The launcher runs the Node.js this suite runs on (CI runs the suite once per supported line). */
const THIS_NODE = { EDGE_TELEMETRY_NODE: process.execPath };
/** The YAML parser, bundled on its own: the program compiles it for each read and drops it (src/base/yaml-parse-evictable.ts). */
const YAML_PARSER = 'usr/local/lib/edge-telemetry/yaml-parse.cjs';
const LINK = 'usr/local/bin/edge-telemetry';
const UNIT = 'etc/systemd/system/edge-telemetry.service';
const CONFIG = 'etc/edge-telemetry/telemetry.yaml';
const DOC = 'usr/local/share/doc/edge-telemetry';
/** Directories the release passes through but that belong to the system, not to edge-telemetry. */
const SYSTEM_DIRS = new Set([
  'etc',
  'etc/systemd',
  'etc/systemd/system',
  'usr',
  'usr/local',
  'usr/local/bin',
  'usr/local/lib',
  'usr/local/share',
  'usr/local/share/doc',
]);
const CHUNK = /^usr\/local\/lib\/edge-telemetry\/chunk-[A-Z0-9]+\.mjs$/;

interface Entry {
  readonly kind: 'file' | 'dir' | 'link';
  readonly mode: number;
  readonly target?: string;
}

/** Every entry under `dir` by relative path, without following links. */
async function walk(dir: string, prefix = ''): Promise<Map<string, Entry>> {
  const entries = new Map<string, Entry>();
  for (const item of (await readdir(path.join(dir, prefix))).sort()) {
    const relative = prefix === '' ? item : `${prefix}/${item}`;
    const info = await lstat(path.join(dir, relative));
    const mode = info.mode & 0o7777;
    if (info.isSymbolicLink())
      entries.set(relative, {
        kind: 'link',
        mode,
        target: await readlink(path.join(dir, relative)),
      });
    else if (info.isDirectory()) {
      entries.set(relative, { kind: 'dir', mode });
      for (const [child, entry] of await walk(dir, relative)) entries.set(child, entry);
    } else entries.set(relative, { kind: 'file', mode });
  }
  return entries;
}

/** The files of the checkout's docs/ as release paths. */
async function docFiles(): Promise<string[]> {
  const docs = await walk(path.join(checkout, 'docs'));
  return [...docs]
    .filter(([, entry]) => entry.kind === 'file')
    .map(([relative]) => `${DOC}/docs/${relative}`);
}

function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): SpawnSyncReturns<string> {
  return spawnSync(command, args, {
    encoding: 'utf8',
    timeout: 120_000,
    cwd: options.cwd ?? checkout,
    env: { ...process.env, ...options.env },
  });
}

const work = await mkdtemp(path.join(os.tmpdir(), 'edge-telemetry-release-test-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const out = path.join(work, 'out');
const releaseDir = path.join(out, name);
const root = path.join(releaseDir, 'root');
const tarball = path.join(out, `${name}.tar.gz`);

// An older release and a file of the admin's in the output directory: the
// first must go (README's ./release/edge-telemetry-*/install.sh must match one
// release only), the second stay.
await mkdir(path.join(out, 'edge-telemetry-0.0.1', 'root'), { recursive: true });
await writeFile(path.join(out, 'edge-telemetry-0.0.1.tar.gz'), 'old');
await writeFile(path.join(out, 'notes.txt'), 'mine');
const packaged = run(process.execPath, [
  path.join(checkout, 'scripts', 'package.mjs'),
  '--out',
  out,
]);

t.test('npm run package builds the release and prints the sizes', async (t) => {
  t.equal(packaged.status, 0, packaged.stderr);
  t.match(
    packaged.stdout,
    /^bundle +\S+edge-telemetry\.mjs +\d+\.\d\d MB \(\+ \d+ on-demand chunks beside it, \d+\.\d\d MB\)$/m,
  );
  t.match(packaged.stdout, /^release +\S+\/ +\d+\.\d\d MB in \d+ files$/m);
  t.match(packaged.stdout, /^tarball +\S+\.tar\.gz +\d+\.\d\d MB$/m);
  t.same(
    (await readdir(out)).sort(),
    [name, `${name}.tar.gz`, 'notes.txt'].sort(),
    'this release and its tarball; the older one removed, nothing else touched',
  );
});

t.test(
  'the release tree: what the contract names, with its modes, and no node_modules',
  async (t) => {
    const top = await walk(releaseDir);
    t.same(
      [...top.keys()].filter((relative) => !relative.startsWith('root/')),
      ['edge-telemetry.spec', 'install.sh', 'root', 'uninstall.sh'],
    );
    t.equal(top.get('install.sh')?.mode, 0o755);
    t.equal(top.get('uninstall.sh')?.mode, 0o755);
    for (const script of ['install.sh', 'uninstall.sh']) {
      t.match(
        await readFile(path.join(releaseDir, script), 'utf8'),
        /^#!\/bin\/sh\n[^]*\nset -eu\n/,
        `${script}: POSIX sh, set -eu`,
      );
      t.equal(
        run('dash', ['-n', path.join(releaseDir, script)]).status,
        0,
        `${script} parses as POSIX sh (dash)`,
      );
    }
    t.equal(
      await readFile(path.join(releaseDir, 'edge-telemetry.spec'), 'utf8'),
      await readFile(path.join(checkout, 'packaging', 'edge-telemetry.spec'), 'utf8'),
    );

    const tree = await walk(root);
    const files = [...tree]
      .filter(([, entry]) => entry.kind === 'file')
      .map(([relative]) => relative);
    const expectedFiles = [
      BUNDLE,
      LAUNCHER,
      YAML_PARSER,
      UNIT,
      CONFIG,
      `${DOC}/README.md`,
      `${DOC}/telemetry.example.yaml`,
      `${DOC}/rbac.yaml`,
      `${DOC}/THIRD-PARTY-LICENSES`,
      ...(await docFiles()),
    ];
    t.same(
      files.filter((file) => !CHUNK.test(file)).sort(),
      expectedFiles.sort(),
      'every file the contract names, and nothing else but chunks',
    );
    t.ok(
      files.some((file) => CHUNK.test(file)),
      'on-demand chunks beside the bundle',
    );
    t.notOk(
      [...tree.keys()].some((relative) => relative.split('/').includes('node_modules')),
      'no node_modules',
    );
    t.same(tree.get(LINK), {
      kind: 'link',
      mode: 0o777,
      target: '../lib/edge-telemetry/edge-telemetry',
    });
    t.equal(
      await realpath(path.join(root, LINK)),
      await realpath(path.join(root, LAUNCHER)),
      'the link reaches the launcher',
    );
    t.equal(tree.get('etc/edge-telemetry/telemetry.d')?.kind, 'dir', 'the drop-in directory');

    for (const [relative, entry] of tree) {
      if (entry.kind === 'link') continue;
      const expected =
        entry.kind === 'dir' || relative === BUNDLE || relative === LAUNCHER
          ? 0o755
          : relative === CONFIG
            ? 0o600
            : 0o644;
      t.equal(entry.mode.toString(8), expected.toString(8), `mode of ${relative}`);
    }
    t.equal(
      (await readFile(path.join(root, BUNDLE), 'utf8')).split('\n')[0],
      '#!/usr/bin/env node',
      'shebang',
    );
    t.equal(
      (await readFile(path.join(root, LAUNCHER), 'utf8')).split('\n')[0],
      '#!/bin/sh',
      'the launcher is POSIX sh',
    );
    t.equal(
      run('dash', ['-n', path.join(root, LAUNCHER)]).status,
      0,
      'the launcher parses as POSIX sh (dash)',
    );
    const same: [string, string][] = [
      [UNIT, 'systemd/edge-telemetry.service'],
      [LAUNCHER, 'packaging/launcher.sh'],
      [CONFIG, 'config/telemetry.yaml'],
      [`${DOC}/README.md`, 'README.md'],
      [`${DOC}/telemetry.example.yaml`, 'telemetry.example.yaml'],
      [`${DOC}/rbac.yaml`, 'config/rbac.yaml'],
    ];
    for (const [shipped, source] of same) {
      t.ok(
        (await readFile(path.join(root, shipped))).equals(
          await readFile(path.join(checkout, source)),
        ),
        `${shipped} is ${source}`,
      );
    }
    t.match(
      await readFile(path.join(root, DOC, 'THIRD-PARTY-LICENSES'), 'utf8'),
      /^@kubernetes\/client-node \S+ \(Apache-2\.0\)$/m,
    );
  },
);

t.test(
  "every bundle file's require(): Node's builtins, and MODULE_NOT_FOUND for any other name",
  async (t) => {
    // Bundled packages try optional ones (ws's bufferutil, node-fetch's encoding) in a
    // try/catch and fall back only when require() throws: an undefined would be used.
    const libDir = path.join(root, path.dirname(BUNDLE));
    const files = (await readdir(libDir)).filter((file) => file.endsWith('.mjs'));
    t.ok(files.length > 10, `the bundle and its chunks (${files.length} files)`);
    for (const file of files) {
      const lines = (await readFile(path.join(libDir, file), 'utf8')).split('\n');
      const banner = (lines[0]?.startsWith('#!') === true ? lines[1] : lines[0]) ?? '';
      t.match(banner, /^const require = /, `${file} opens with its require()`);
      const made = new vm.Script(`${banner}\nrequire;`).runInNewContext({ process }) as (
        id: string,
      ) => unknown;
      t.equal(made('node:fs'), fs, `${file}: node:fs`);
      t.equal(made('buffer'), buffer, `${file}: buffer, without node:`);
      t.throws(() => made('bufferutil'), { code: 'MODULE_NOT_FOUND' }, `${file}: bufferutil`);
      t.throws(() => made('./chunk-X.mjs'), { code: 'MODULE_NOT_FOUND' }, `${file}: a file`);
    }
  },
);

t.test('the tarball holds the release directory, owned by root', async (t) => {
  const listing = run('tar', ['-tvzf', tarball]);
  t.equal(listing.status, 0, listing.stderr);
  const lines = listing.stdout.trim().split('\n');
  const names = lines.map((line) =>
    line
      .split(/\s+/)
      .slice(5)
      .join(' ')
      .replace(/ -> .*$/, '')
      .replace(/\/$/, ''),
  );
  const expected = [
    name,
    ...[...(await walk(releaseDir)).keys()].map((relative) => `${name}/${relative}`),
  ];
  t.same(names.sort(), expected.sort());
  t.ok(
    lines.every((line) => line.split(/\s+/)[1] === '0/0'),
    'uid/gid 0',
  );
  t.match(
    lines.find((line) => line.includes(BUNDLE)),
    /^-rwxr-xr-x /,
  );
  t.match(
    lines.find((line) => line.endsWith(CONFIG)),
    /^-rw------- /,
  );
});

const dest = path.join(work, 'destdir');
const installSh = path.join(releaseDir, 'install.sh');

t.test(
  'install.sh with DESTDIR puts the tree in place, then keeps an edited config and drop-ins',
  async (t) => {
    const first = run('sh', [installSh], { env: { DESTDIR: dest } });
    t.equal(first.status, 0, first.stderr);
    t.same(await walk(dest), await walk(root), 'the same entries, kinds and modes as root/');
    for (const [relative, entry] of await walk(root)) {
      if (entry.kind === 'file')
        t.ok(
          (await readFile(path.join(dest, relative))).equals(
            await readFile(path.join(root, relative)),
          ),
          relative,
        );
    }

    const edited = (await readFile(path.join(dest, CONFIG), 'utf8')).replace(
      'sendingInterval: 24h',
      'sendingInterval: 12h',
    );
    t.not(edited, await readFile(path.join(dest, CONFIG), 'utf8'), 'the edit changes the file');
    await writeFile(path.join(dest, CONFIG), edited);
    const dropIn = path.join(dest, 'etc/edge-telemetry/telemetry.d/10-proxy.yaml');
    await writeFile(dropIn, 'telemetry:\n  proxy: http://proxy.example:3128\n');
    const second = run('sh', [installSh], { env: { DESTDIR: dest } });
    t.equal(second.status, 0, second.stderr);
    t.equal(await readFile(path.join(dest, CONFIG), 'utf8'), edited, 'the edited config is kept');
    t.equal(
      await readFile(dropIn, 'utf8'),
      'telemetry:\n  proxy: http://proxy.example:3128\n',
      'the drop-in is kept',
    );
    t.ok(
      (await readFile(path.join(dest, `${CONFIG}.default`))).equals(
        await readFile(path.join(checkout, 'config/telemetry.yaml')),
      ),
      "this release's default beside it",
    );
    t.match(second.stdout, `kept your /${CONFIG}; this release's default is in /${CONFIG}.default`);
    t.equal(((await lstat(path.join(dest, `${CONFIG}.default`))).mode & 0o777).toString(8), '600');

    const globbedTwo = run(
      'sh',
      [installSh, path.join(out, 'edge-telemetry-9.9.9', 'install.sh')],
      { env: { DESTDIR: dest } },
    );
    t.equal(globbedTwo.status, 1, 'arguments refused');
    t.match(globbedTwo.stderr, /^install\.sh: takes no arguments/);
  },
);

t.test(
  'install.sh and uninstall.sh refuse a non-root user without DESTDIR, with a clear message',
  { skip: process.getuid?.() !== 0 ? 'needs root to switch to nobody' : false },
  async (t) => {
    // nobody must be able to reach the scripts in this test's private temp dir.
    for (const dir of [work, out, releaseDir]) await chmod(dir, 0o755);
    for (const script of ['install.sh', 'uninstall.sh']) {
      const result = run(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', path.join(releaseDir, script)],
        {
          cwd: '/',
          env: { DESTDIR: '' },
        },
      );
      t.equal(result.status, 1, `${script}: ${result.stderr}`);
      t.match(
        result.stderr,
        new RegExp(`^${script.replace('.', '\\.')}: must run as root`),
        script,
      );
    }
    await chmod(work, 0o700);
  },
);

t.test(
  `the launcher runs the bundle from DESTDIR on Node.js ${process.versions.node} with its flags, no node_modules on the way`,
  async (t) => {
    for (let dir = dest; dir !== path.dirname(dir); dir = path.dirname(dir)) {
      t.notOk(existsSync(path.join(dir, 'node_modules')), `no node_modules in ${dir}`);
    }
    const launcher = path.join(dest, LAUNCHER);
    const direct = run(launcher, ['--version'], { cwd: dest, env: THIS_NODE });
    t.equal(direct.status, 0, direct.stderr);
    t.equal(direct.stdout, `${version}\n`, '--version, once');
    t.equal(direct.stderr, '', "no start-up warning: the launcher's flags are this line's");
    t.equal(
      run(launcher, ['--which-node'], { env: THIS_NODE }).stdout,
      `${process.execPath} v${process.versions.node}\n`,
      '--which-node names this Node.js',
    );
    // Through the symlink, as an admin types it.
    const viaLink = run(path.join(dest, LINK), ['--version'], { cwd: dest, env: THIS_NODE });
    t.equal(viaLink.stdout, `${version}\n`, viaLink.stderr);
    // The bundle's own shebang (env finds node on PATH) still works without the launcher.
    const bundle = path.join(dest, BUNDLE);
    const viaShebang = run(bundle, ['--version'], {
      cwd: dest,
      env: { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin` },
    });
    t.equal(viaShebang.stdout, `${version}\n`, viaShebang.stderr);
    // The shipped config. Its clusterIdFile (/var/lib/microshift/cluster-id) does
    // not exist on a fresh node (nor here): that is not an error, the daemon waits
    // for it, and check-config says so in one note.
    const shipped = path.join(root, CONFIG);
    const check = run(launcher, ['check-config', '--config', shipped], {
      cwd: dest,
      env: THIS_NODE,
    });
    t.equal(check.status, 0, check.stderr);
    t.equal(check.stdout.split('\n')[0], `# ${shipped}`, 'headed by the file that counted');
    t.match(
      check.stdout,
      /\ntelemetry:\n {2}status: Enabled\n {2}endpoint: https:\/\/infogw\.api\.openshift\.com\/metrics\/v1\/receive\n/,
    );
    t.match(check.stdout, /\n {2}clusterIdFile: \/var\/lib\/microshift\/cluster-id\n/);
    if (!existsSync('/var/lib/microshift/cluster-id')) {
      t.equal(
        check.stderr,
        'edge-telemetry: note: cluster id file /var/lib/microshift/cluster-id does not exist yet (MicroShift writes it on its first start); the daemon waits for it and sends once it appears\n',
      );
    }
    // YAML in the release goes through yaml-parse.cjs: its errors keep their line and column.
    const broken = path.join(work, 'broken.yaml');
    await writeFile(broken, 'telemetry:\n  status: Enabled\n  status: Disabled\n');
    const refused = run(launcher, ['check-config', '--config', broken], {
      cwd: dest,
      env: THIS_NODE,
    });
    t.equal(refused.status, 2, refused.stderr);
    t.equal(refused.stdout, '');
    t.equal(
      refused.stderr,
      `edge-telemetry: ${broken}:3:3: YAML syntax error: Map keys must be unique\n`,
    );
  },
);

t.test(
  'the bundle sends a report to the bundle receiver (the .proto texts are inside it)',
  async (t) => {
    const bundle = path.join(dest, BUNDLE);
    const receiver = spawn(process.execPath, [bundle, 'receive', '--listen', '127.0.0.1:0'], {
      cwd: dest,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.teardown(() => {
      receiver.kill('SIGTERM');
    });
    let received = '';
    receiver.stdout.on('data', (chunk: Buffer) => (received += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`receiver did not start: ${log}`)), 60_000);
      receiver.stderr.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        const match = /receiver listening url=(\S+)/.exec(log);
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    const config = await writeConfig(path.join(work, 'once'), { endpoint: url });
    const once = run(path.join(dest, LAUNCHER), ['once', '--config', config], {
      cwd: dest,
      env: THIS_NODE,
    });
    t.notMatch(once.stderr, /Warning|WebAssembly|bad option/, 'no Node warning or refusal');
    t.equal(once.status, 0, once.stderr);
    // The receiver prints each accepted series; give its stdout a moment to drain.
    for (let i = 0; i < 100 && !received.includes('cluster:cpu_usage_cores:sum'); i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    t.match(received, /cluster:cpu_usage_cores:sum\{_id="cluster-0123"/);
  },
);

t.test(
  "the launcher's run: a wake that only samples loads none of the sending machinery",
  async (t) => {
    // Every Node.js process the launcher starts appends its reason and the builtins it loaded.
    const seen = path.join(work, 'wake-modules.txt');
    const preload = path.join(work, 'wake-modules.cjs');
    await writeFile(
      preload,
      `process.on('exit', () => require('node:fs').appendFileSync(${JSON.stringify(seen)}, JSON.stringify({ wake: process.env.EDGE_TELEMETRY_WAKE, modules: process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)) }) + '\\n'));\n`,
    );
    // The microshift_version label of each report, in order.
    const versions: string[] = [];
    const server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const verdict = decodeWriteRequest(Buffer.concat(chunks), 1 << 24);
        for (const series of verdict.ok ? verdict.series : [])
          if (series.labels.some((l) => l.name === '__name__' && l.value === 'microshift_version'))
            versions.push(series.labels.find((l) => l.name === 'version')?.value ?? '');
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.teardown(() => server.close());
    const { port } = server.address() as net.AddressInfo;
    // A microshift on PATH, which counts its runs: the start asks it, every later process reads the kept answer.
    const bin = path.join(work, 'wake-bin');
    const asked = path.join(work, 'microshift-asked.txt');
    await mkdir(bin, { recursive: true });
    await writeFile(
      path.join(bin, 'microshift'),
      `#!/bin/sh\necho "$*" >> ${asked}\necho '{"gitVersion":"v4.18.2"}'\n`,
      { mode: 0o755 },
    );
    const config = await writeConfig(path.join(work, 'wakes'), {
      endpoint: `http://127.0.0.1:${port}/metrics/v1/receive`,
      samplingInterval: '2s',
      sendingInterval: '1h',
      splay: '0s',
    });
    // The unit's clean environment, by env -i: this runner puts its coverage hooks
    // (which load node:child_process) into every child's environment otherwise.
    const environment = {
      PATH: `${bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin`,
      ...THIS_NODE,
      // The one-minute policy lowered to seconds, as test/systemd/install.test.ts does.
      EDGE_TELEMETRY_TEST_WAIT: '1000,800,200',
      NODE_OPTIONS: `--require ${preload}`,
    };
    const launcher = spawn(
      '/usr/bin/env',
      [
        '-i',
        ...Object.entries(environment).map(([key, value]) => `${key}=${value}`),
        path.join(dest, LAUNCHER),
        'run',
        '--config',
        config,
      ],
      { cwd: dest, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    launcher.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise((resolve) => launcher.on('exit', resolve));
    t.teardown(() => launcher.kill('SIGKILL'));
    const records = async () =>
      (await readFile(seen, 'utf8').catch(() => ''))
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { wake: string; modules: string[] });
    for (let i = 0; i < 600 && (await records()).length < 3; i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    launcher.kill('SIGTERM');
    await exited;
    const [start, ...wakes] = await records();
    t.equal(start?.wake, 'start', stderr);
    t.equal(
      await readFile(asked, 'utf8'),
      'version -o json\n',
      'microshift asked once, by the start',
    );
    const stop = wakes.find((record) => record.wake === 'stop');
    t.ok(stop, `the stop's own process (${wakes.map((r) => r.wake).join(', ')})`);
    t.notOk(
      stop?.modules.includes('child_process'),
      "the stop's last send read microshift's kept answer: no node:child_process (no bootc asked off ostree)",
    );
    t.same(
      versions,
      ['4.18.2', '4.18.2'],
      "the start's report and the stop's, the second from the kept answer",
    );
    // node:net: its stderr is a pipe, as the journal's socket is under systemd; a wake that logs nothing makes no stream for it.
    const sending = ['http', 'tls', 'child_process', 'crypto', 'net'];
    t.same(
      sending.filter((name) => start?.modules.includes(name) !== true),
      [],
      'the start, which sent its first report and asked microshift, loaded them all: the record sees them',
    );
    t.same(
      ['zlib', 'fs/promises'].filter((name) => start?.modules.includes(name) === true),
      [],
      'nor node:zlib, which only OTLP gzip needs (the buffer has its own CRC-32), nor node:fs/promises (base/fs-async.ts)',
    );
    // What esbuild's import of a builtin used to load by reading every property's
    // descriptor (scripts/package.mjs, builtinsThroughRequire): node:util's lazy
    // diff, parseArgs and setTraceSigInt, node:fs's Dir, on 22 and later; less what
    // this line loads for an ES module file that requires node:fs and node:util, as
    // the bundle does (Node 20's ES module loader loads fs's Dir itself).
    const baseline = path.join(work, 'baseline.mjs');
    await writeFile(
      baseline,
      "const require = (id) => process.getBuiltinModule(id);\nrequire('node:fs');\nrequire('node:util');\nconsole.log(process.moduleLoadList.join('\\n'));\n",
    );
    // By env -i, as the launcher's run: this runner's hooks in NODE_OPTIONS load worker_threads and fs's Dir.
    const loadedWithTheModules = spawnSync('/usr/bin/env', ['-i', process.execPath, baseline], {
      encoding: 'utf8',
    }).stdout.split('\n');
    const lazyProperties = [
      'internal/util/diff',
      'internal/util/parse_args/parse_args',
      'worker_threads',
      'internal/fs/dir',
    ].filter((name) => !loadedWithTheModules.includes(`NativeModule ${name}`));
    t.ok(
      loadedWithTheModules.includes('NativeModule fs'),
      'the module list of node:fs and node:util was read',
    );
    for (const record of [start, ...wakes])
      t.same(
        lazyProperties.filter((name) => record?.modules.includes(name) === true),
        [],
        `the ${record?.wake ?? 'missing'} process loads no builtin's lazy property the code does not use`,
      );
    // The bundle's require() of builtins is process.getBuiltinModule (scripts/package.mjs's banner):
    // an ES import of node:module built its facade, which loads its SourceMap, in every process.
    for (const record of [start, ...wakes])
      t.same(
        ['module', 'internal/source_map/source_map'].filter(
          (name) => record?.modules.includes(name) === true,
        ),
        [],
        `the ${record?.wake ?? 'missing'} process loads neither node:module nor its SourceMap`,
      );
    const sampleWakes = wakes.filter((record) => record.wake === 'wake');
    t.ok(sampleWakes.length >= 2, `two wakes or more (${wakes.map((r) => r.wake).join(', ')})`);
    for (const [index, wake] of sampleWakes.entries())
      t.same(
        [...sending, 'zlib', 'fs/promises'].filter((name) => wake.modules.includes(name)),
        [],
        `wake ${index + 1}, a sample alone: no node:http, node:tls, node:child_process, node:crypto, node:net, node:zlib or node:fs/promises`,
      );
  },
);

t.test(
  'uninstall.sh with DESTDIR removes the program, unit and docs, keeps config and state unless --purge',
  async (t) => {
    await mkdir(path.join(dest, 'var/lib/edge-telemetry'), { recursive: true });
    await writeFile(path.join(dest, 'var/lib/edge-telemetry/cluster-id'), 'kept\n');
    const uninstall = run('sh', [path.join(releaseDir, 'uninstall.sh')], {
      env: { DESTDIR: dest },
    });
    t.equal(uninstall.status, 0, uninstall.stderr);
    for (const gone of [BUNDLE, 'usr/local/lib/edge-telemetry', LINK, UNIT, DOC])
      t.notOk(existsSync(path.join(dest, gone)), `${gone} removed`);
    t.ok(existsSync(path.join(dest, CONFIG)), 'config kept');
    t.ok(
      existsSync(path.join(dest, 'etc/edge-telemetry/telemetry.d/10-proxy.yaml')),
      'drop-in kept',
    );
    t.ok(existsSync(path.join(dest, 'var/lib/edge-telemetry/cluster-id')), 'state kept');
    t.match(
      uninstall.stdout,
      'kept /etc/edge-telemetry and /var/lib/edge-telemetry (uninstall.sh --purge removes them)',
    );
    const purge = run('sh', [path.join(releaseDir, 'uninstall.sh'), '--purge'], {
      env: { DESTDIR: dest },
    });
    t.equal(purge.status, 0, purge.stderr);
    t.notOk(existsSync(path.join(dest, 'etc/edge-telemetry')), 'config purged');
    t.notOk(existsSync(path.join(dest, 'var/lib/edge-telemetry')), 'state purged');
    const wrong = run('sh', [path.join(releaseDir, 'uninstall.sh'), '--everything'], {
      env: { DESTDIR: dest },
    });
    t.equal(wrong.status, 1);
    t.match(wrong.stderr, "unknown argument '--everything' (only --purge)");
  },
);

const rpmbuild = ['/usr/bin/rpmbuild', '/bin/rpmbuild'].find((candidate) => existsSync(candidate));
t.test(
  'the RPM holds exactly the release tree',
  {
    skip:
      rpmbuild === undefined
        ? 'rpmbuild not found: apt-get install rpm (.ci/run installs it)'
        : false,
  },
  async (t) => {
    const topdir = path.join(work, 'rpmbuild');
    await mkdir(path.join(topdir, 'tmp'), { recursive: true });
    const build = run(rpmbuild!, [
      '-bb',
      '--define',
      `_topdir ${topdir}`,
      '--define',
      `_sourcedir ${out}`,
      '--define',
      `_tmppath ${path.join(topdir, 'tmp')}`,
      path.join(releaseDir, 'edge-telemetry.spec'),
    ]);
    t.equal(build.status, 0, build.stderr.slice(-3000));
    const rpm = path.join(topdir, 'RPMS', 'noarch', `${name}-1.noarch.rpm`);
    t.ok(existsSync(rpm), rpm);

    const listed = run('rpm', ['-qlp', rpm]);
    t.equal(listed.status, 0, listed.stderr);
    const tree = [...(await walk(root)).keys()]
      .filter((relative) => !SYSTEM_DIRS.has(relative))
      .map((relative) => `/${relative}`);
    t.same(
      listed.stdout.trim().split('\n').sort(),
      tree.sort(),
      'rpm -qlp is the release tree (without the system directories)',
    );

    t.equal(
      run('rpm', ['-qcp', rpm]).stdout,
      `/${CONFIG}\n`,
      'the config is the only %config file',
    );
    const modes = run('rpm', [
      '-qp',
      '--qf',
      '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\\n]',
      rpm,
    ]).stdout;
    t.match(modes, `-rwxr-xr-x root:root /${BUNDLE}\n`);
    t.match(modes, `-rwxr-xr-x root:root /${LAUNCHER}\n`);
    t.match(modes, `-rw------- root:root /${CONFIG}\n`);
    t.match(modes, `lrwxrwxrwx root:root /${LINK}\n`);
    t.match(modes, 'drwxr-xr-x root:root /etc/edge-telemetry/telemetry.d\n');
    t.equal(run('rpm', ['-qp', '--qf', '%{ARCH}', rpm]).stdout, 'noarch');
    const requires = run('rpm', ['-qp', '--requires', rpm]).stdout.split('\n');
    t.ok(
      requires.includes(
        '((nodejs(engine) >= 20.16 with nodejs(engine) < 21) or (nodejs(engine) >= 22.3 with nodejs(engine) < 23) or (nodejs(engine) >= 24 with nodejs(engine) < 25) or (nodejs(engine) >= 26 with nodejs(engine) < 27))',
      ),
      `requires a Node.js of a supported line: ${requires.join(', ')}`,
    );
    t.notOk(
      requires.includes('/usr/bin/node'),
      "no /usr/bin/node: RHEL 10's nodejs24 has only /usr/bin/node-24, which the launcher finds",
    );
    t.match(
      run('rpm', ['-qp', '--scripts', rpm]).stdout,
      /preuninstall scriptlet[^]*systemctl --no-reload disable --now edge-telemetry\.service/,
    );
  },
);
