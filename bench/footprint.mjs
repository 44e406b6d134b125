// npm run bench:footprint — the daemon's memory exactly as the systemd unit
// starts it, beside what an admin would run instead, all in the same run.
//
// The daemon: ExecStart= and Environment= of systemd/edge-telemetry.service,
// run against the release bundle (`npm run package`, built into the temp
// directory), with the release's config changed only where a test node must
// (endpoint, pull secret, cluster id, dataDir, kubeconfig, intervals), in two
// cases at once: host metrics only, and cluster metrics from the fake API
// server with 300 pods through a client-certificate kubeconfig (MicroShift's form).
// The peers: Debian's prometheus-node-exporter scraped every 5 s by (a)
// Debian's Prometheus in agent mode, (b) Debian's vmagent, each remote-writing
// to the same receiver. And bare Node with the unit's flags, for the floor.
//
// Every sender writes over HTTPS (as the daemon does to the Telemetry API),
// to a TLS front of the embedded receiver; the daemon trusts the front's test
// CA through NODE_EXTRA_CA_CERTS, the one variable added to the unit's
// environment. RSS is VmRSS from /proc/PID/status, once a second, summed over
// a peer's processes.
//
// TICKS (default 300): seconds measured; the daemon samples every second.
// UNIT=file: another unit file than systemd/edge-telemetry.service.
// BUNDLE=single: the release built with --single-file instead of on-demand chunks.
// COMPARE=file: one more host-only daemon, started as that unit file starts it
// (e.g. `git show main:systemd/edge-telemetry.service`), in the same run: an
// A/B of unit settings on the same release, the same machine, the same minutes.
// Everything started here is stopped at the end, on error and on Ctrl-C too,
// and the temp directory is removed.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseDocument } from 'yaml';
import { freePort } from '../scripts/free-port.mjs';
import { readServiceCommand } from './unit-file.mjs';

const TICKS = Number(process.env.TICKS ?? 300);
const PODS = 300;
const SCRAPE_INTERVAL = '5s';
const TARGET_HOST_MB = 50;
const TARGET_CLUSTER_MB = 55;
/** Growth from the start window to the end window that still counts as flat. */
const FLAT_MB = 1;
const INSTALLED_BUNDLE = '/usr/local/lib/edge-telemetry/edge-telemetry.mjs';
const INSTALLED_CONFIG = '/etc/edge-telemetry/telemetry.yaml';
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);
const statSize = (file) => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- everything started is stopped, last started first -------------------
const cleanups = [];
const atCleanup = (fn) => cleanups.push(fn);
async function cleanUp() {
  while (cleanups.length > 0) {
    const fn = cleanups.pop();
    await fn().catch((error) => console.error(`cleanup: ${error.message}`));
  }
}

/** A child process we started, stopped by its own pid: SIGTERM, then SIGKILL after `graceMs`. */
function track(name, child, graceMs = 10_000) {
  const exited = once(child, 'exit').then(([code, signal]) => ({ code, signal }));
  child.on('error', () => undefined);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const result = await exited;
    clearTimeout(timer);
    return result;
  };
  atCleanup(stop);
  return { name, child, pid: child.pid, exited, stop, alive: () => child.exitCode === null && child.signalCode === null };
}

async function waitFor(what, check, deadlineMs = 60_000) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready within ${deadlineMs / 1000} s`);
    await sleep(200);
  }
}

const httpOk = (url) =>
  new Promise((resolve) =>
    http
      .get(url, (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      })
      .on('error', () => resolve(false)),
  );

async function rssKb(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return match === null ? undefined : Number(match[1]);
}

// ---- the release --------------------------------------------------------
/**
 * The release tree (root/ mirrors the node's filesystem) from `npm run
 * package`, built into the temp directory. BUNDLE=single: --single-file, to
 * compare with the on-demand chunks.
 */
async function releaseRoot(tmp) {
  const { version } = JSON.parse(await readFile(path.join(repo, 'package.json'), 'utf8'));
  const single = process.env.BUNDLE === 'single';
  const out = path.join(tmp, 'release');
  await run('npm', ['run', 'package', '--', `--out=${out}`, ...(single ? ['--single-file'] : [])], {
    cwd: repo,
    timeout: 600_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const root = path.join(out, `edge-telemetry-${version}`, 'root');
  if (!existsSync(path.join(root, INSTALLED_BUNDLE))) throw new Error(`npm run package: no ${INSTALLED_BUNDLE} under ${root}`);
  const beside = (await readdir(path.join(root, path.dirname(INSTALLED_BUNDLE)))).filter((name) => name !== path.basename(INSTALLED_BUNDLE));
  const chunks = beside.filter((name) => name.startsWith('chunk-'));
  // yaml-parse.cjs: the YAML parser, compiled for each config or kubeconfig read and dropped after it.
  const others = beside.filter((name) => !name.startsWith('chunk-'));
  return {
    root,
    how: `npm run package (${single ? 'one file' : `${chunks.length} on-demand chunks beside the bundle`}${others.length > 0 ? `, and ${others.join(', ')}` : ''}), release edge-telemetry-${version}`,
  };
}

/** The unit's paths inside the release tree: the bundle, its symlinks, the config. */
function inRelease(root, word) {
  if (word === '/usr/bin/edge-telemetry') return path.join(root, 'usr/local/bin/edge-telemetry');
  if (word.startsWith('/usr/local/') || word.startsWith('/etc/edge-telemetry/')) return path.join(root, word);
  return word;
}

// ---- the daemon ----------------------------------------------------------
/**
 * Starts the daemon as systemd would start the unit: its argv and its
 * environment, nothing inherited, working directory /. The one function to
 * swap for the real-systemd sandbox (test/helpers/systemd-sandbox.ts).
 * Returns { pid, alive, stop, log }.
 */
async function launchDaemon({ name, argv, environment, logFile }) {
  const { openSync, closeSync } = await import('node:fs');
  const fd = openSync(logFile, 'a');
  const child = spawn(argv[0], argv.slice(1), { env: environment, cwd: '/', stdio: ['ignore', fd, fd] });
  closeSync(fd);
  // The unit's TimeoutStopSec is 20 s: the daemon's last send fits in it.
  const tracked = track(name, child, 20_000);
  return { ...tracked, log: () => readFile(logFile, 'utf8').catch(() => '') };
}

async function daemonCase({ name, release, unit, tmp, endpoint, caFile, kubeconfig }) {
  const dir = path.join(tmp, name);
  await mkdir(dir);
  // The shipped config, changed only where a test node must.
  const document = parseDocument(await readFile(path.join(release.root, INSTALLED_CONFIG), 'utf8'));
  const set = (key, value) => document.setIn(['telemetry', key], value);
  set('endpoint', endpoint);
  set('pullSecretFile', path.join(dir, 'pull-secret.json'));
  set('clusterIdFile', path.join(dir, 'cluster-id'));
  set('dataDir', path.join(dir, 'data'));
  set('kubeconfig', kubeconfig);
  set('samplingInterval', '1s');
  set('sendingInterval', '30s');
  await writeFile(path.join(dir, 'pull-secret.json'), JSON.stringify({ auths: { 'cloud.openshift.com': { auth: `bench-token-${name}` } } }));
  await writeFile(path.join(dir, 'cluster-id'), `bench-${name}\n`);
  await mkdir(path.join(dir, 'data'), { mode: 0o700 });
  const config = path.join(dir, 'telemetry.yaml');
  await writeFile(config, document.toString());
  const argv = unit.argv.map((word) => (word === INSTALLED_CONFIG ? config : inRelease(release.root, word)));
  // systemd's environment for a system service: PATH and the unit's Environment=.
  const environment = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin', ...unit.environment, NODE_EXTRA_CA_CERTS: caFile };
  return launchDaemon({ name, argv, environment, logFile: path.join(dir, 'journal.log') });
}

// ---- the receiving side ---------------------------------------------------
/** The embedded receiver (not measured), counting what each sender (by cluster id) delivered. */
async function startReceiver(tmp) {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(repo, 'dist/cli.js'), 'receive', '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  const receiver = track('receiver', child);
  const accepted = new Map();
  const names = new Map();
  let current;
  let pending = '';
  child.stdout.on('data', (chunk) => {
    pending += chunk.toString();
    let newline;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      const header = /^# accepted \d+ series, (\d+) samples from cluster (\S+)/.exec(line);
      if (header !== null) {
        current = header[2];
        accepted.set(current, (accepted.get(current) ?? 0) + Number(header[1]));
      } else if (current !== undefined && current.startsWith('bench-')) {
        const name = /^([^{\s]+)/.exec(line)?.[1];
        if (name !== undefined) (names.get(current) ?? names.set(current, new Set()).get(current)).add(name);
      }
    }
  });
  let errors = '';
  child.stderr.on('data', (chunk) => (errors = (errors + chunk.toString()).slice(-4000)));
  await waitFor(
    'receiver',
    () =>
      new Promise((resolve) =>
        http
          .get(`http://127.0.0.1:${port}/`, (response) => {
            response.resume();
            resolve(true);
          })
          .on('error', () => resolve(false)),
      ),
  );
  // A TLS front: every sender writes over HTTPS, as to the real endpoint.
  const { key, cert, caFile } = await testCertificate(tmp);
  const front = https.createServer({ key, cert }, (request, response) => {
    const upstream = http.request({ host: '127.0.0.1', port, method: request.method, path: request.url, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  await new Promise((resolve) => front.listen(0, '127.0.0.1', resolve));
  atCleanup(
    () =>
      new Promise((resolve) => {
        front.closeAllConnections();
        front.close(() => resolve());
      }),
  );
  return { url: `https://127.0.0.1:${front.address().port}/metrics/v1/receive`, caFile, accepted, names, receiver, errors: () => errors };
}

async function testCertificate(tmp) {
  const keyFile = path.join(tmp, 'front.key');
  const certFile = path.join(tmp, 'front.crt');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '2',
    '-subj',
    '/CN=bench-receiver',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  return { key: await readFile(keyFile), cert: await readFile(certFile), caFile: certFile };
}

/** The telemeter Authorization a sender must present (the receiver checks its form). */
const telemeterBearer = (clusterId) =>
  Buffer.from(JSON.stringify({ authorization_token: `bench-token-${clusterId}`, cluster_id: clusterId })).toString('base64');

// ---- the peers ------------------------------------------------------------
async function startNodeExporter(name) {
  const port = await freePort();
  const child = spawn('/usr/bin/prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: 'ignore' });
  const exporter = track(`${name} node_exporter`, child);
  await waitFor(`${name} node_exporter`, () => httpOk(`http://127.0.0.1:${port}/metrics`));
  return { ...exporter, target: `127.0.0.1:${port}` };
}

async function startPrometheusAgent(tmp, receiver) {
  const dir = path.join(tmp, 'prometheus-agent');
  await mkdir(dir);
  const exporter = await startNodeExporter('prometheus');
  const clusterId = 'bench-prometheus-agent';
  const config = [
    'global:',
    `  scrape_interval: ${SCRAPE_INTERVAL}`,
    '  external_labels:',
    `    _id: ${clusterId}`,
    'scrape_configs:',
    '  - job_name: node',
    '    static_configs:',
    `      - targets: ['${exporter.target}']`,
    'remote_write:',
    `  - url: ${receiver.url}`,
    '    authorization:',
    `      credentials: ${telemeterBearer(clusterId)}`,
    '    tls_config:',
    `      ca_file: ${receiver.caFile}`,
    // The receiver enforces the Telemetry API's 128 KiB body limit.
    '    queue_config:',
    '      max_samples_per_send: 500',
    '    metadata_config:',
    '      send: false',
    '',
  ].join('\n');
  await writeFile(path.join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const child = spawn(
    '/usr/bin/prometheus',
    [
      '--enable-feature=agent',
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.agent.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: 'ignore' },
  );
  const agent = track('prometheus agent', child);
  await waitFor('prometheus agent', () => httpOk(`http://127.0.0.1:${port}/-/ready`));
  return { name: 'Prometheus 2.42 agent + node_exporter', clusterId, parts: [agent, exporter] };
}

async function startVmagent(tmp, receiver) {
  const dir = path.join(tmp, 'vmagent');
  await mkdir(dir);
  const exporter = await startNodeExporter('vmagent');
  const clusterId = 'bench-vmagent';
  await writeFile(
    path.join(dir, 'scrape.yml'),
    [
      'global:',
      `  scrape_interval: ${SCRAPE_INTERVAL}`,
      'scrape_configs:',
      '  - job_name: node',
      '    static_configs:',
      `      - targets: ['${exporter.target}']`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const child = spawn(
    '/usr/bin/vmagent',
    [
      `-promscrape.config=${path.join(dir, 'scrape.yml')}`,
      `-remoteWrite.url=${receiver.url}`,
      `-remoteWrite.bearerToken=${telemeterBearer(clusterId)}`,
      `-remoteWrite.label=_id=${clusterId}`,
      `-remoteWrite.tlsCAFile=${receiver.caFile}`,
      `-remoteWrite.tmpDataPath=${path.join(dir, 'data')}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      '-loggerLevel=ERROR',
    ],
    { stdio: 'ignore' },
  );
  const agent = track('vmagent', child);
  await waitFor('vmagent', () => httpOk(`http://127.0.0.1:${port}/health`));
  return { name: 'vmagent 1.79 + node_exporter', clusterId, parts: [agent, exporter] };
}

/**
 * Node with the unit's flags and no code of ours: the floor every Node
 * program starts from; with `httpsUrl`, the floor of any Node HTTPS sender
 * (node:https, OpenSSL, the CA store): one small POST every 30 s, as the daemon sends.
 */
async function startBareNode(tmp, unit, httpsUrl, caFile) {
  const script = path.join(tmp, httpsUrl === undefined ? 'idle.mjs' : 'https-idle.mjs');
  await writeFile(
    script,
    httpsUrl === undefined
      ? 'setInterval(() => {}, 60_000);\n'
      : `import https from 'node:https';\nconst post = () => https.request(${JSON.stringify(httpsUrl)}, { method: 'POST' }, (response) => response.resume()).on('error', () => {}).end('x');\npost();\nsetInterval(post, 30_000);\n`,
  );
  const scriptAt = unit.argv.findIndex((word) => word.endsWith('.mjs') || word.endsWith('.js'));
  const flags = scriptAt > 0 ? unit.argv.slice(1, scriptAt) : [];
  const node = unit.argv[0].endsWith('/node') ? unit.argv[0] : process.execPath;
  // The unit's Environment= too (GLIBC_TUNABLES shapes malloc for any Node program).
  const env = { PATH: '/usr/bin:/bin', ...unit.environment, ...(caFile === undefined ? {} : { NODE_EXTRA_CA_CERTS: caFile }) };
  const child = spawn(node, [...flags, script], { stdio: 'ignore', env, cwd: '/' });
  return { ...track(httpsUrl === undefined ? 'bare node' : 'bare node + https', child), flags };
}

// ---- measuring ------------------------------------------------------------
// MB = 10^6 bytes, as process.memoryUsage() figures are usually quoted (bare Node 20: 40.5 MB).
const mb = (kb) => (kb * 1024) / 1e6;
const fmt = (kb) => `${mb(kb).toFixed(1)} MB`;
const average = (list) => list.reduce((sum, value) => sum + value, 0) / list.length;
/** The 10th percentile: a window's floor. */
const floor = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 10)];
const signed = (kb) => `${kb >= 0 ? '+' : ''}${mb(kb).toFixed(1)} MB`;

/**
 * first: the first second. start: seconds 30-59, once start-up, the first
 * sends and the first full GCs are behind (V8 lets a young heap grow before
 * it collects). end: the last 30 s. max: from second 5 on (the start-up send
 * apart). growth: end - start.
 * floorGrowth, what "flat" is judged on: the same windows' floors (10th
 * percentile). A leak raises the floor. The level above it moves with V8's
 * young generation, which V8 keeps at 0.3 or 2.1 MB by the allocation rate of
 * the last seconds: the cluster case, sampling every second, allocates ~0.9 MB
 * a second, at V8's threshold, and flips between the two (measured with
 * v8.getHeapSpaceStatistics every 100 ms), so the averages of two 30 s windows
 * can differ by 1.8 MB with nothing growing.
 */
function summarise(series) {
  const warm = 5;
  const settled = series.length >= 120 ? 30 : warm;
  const window = series.length >= 120 ? 30 : 10;
  const startWindow = series.slice(settled, settled + window);
  const endWindow = series.slice(-window);
  const start = average(startWindow);
  const end = average(endWindow);
  const floorGrowth = floor(endWindow) - floor(startWindow);
  return {
    first: series[0],
    start,
    end,
    max: Math.max(...series.slice(warm)),
    startupMax: Math.max(...series.slice(0, warm)),
    growth: end - start,
    floorGrowth,
  };
}

async function main() {
  if (!Number.isInteger(TICKS) || TICKS < 30) throw new Error('TICKS must be an integer ≥ 30 (≥ 120 for the settled start window)');
  for (const binary of ['/usr/bin/prometheus', '/usr/bin/vmagent', '/usr/bin/prometheus-node-exporter', 'openssl']) {
    if (binary.startsWith('/') && !existsSync(binary))
      throw new Error(`${binary} is missing: apt-get install prometheus victoria-metrics prometheus-node-exporter`);
  }
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'edge-telemetry-footprint-'));
  atCleanup(() => rm(tmp, { recursive: true, force: true }));

  // UNIT=file measures another unit file (a drop-in's result, a branch's unit).
  const unitFile = path.resolve(process.env.UNIT ?? path.join(repo, 'systemd/edge-telemetry.service'));
  const unit = readServiceCommand(await readFile(unitFile, 'utf8'));
  const compareFile = process.env.COMPARE === undefined ? undefined : path.resolve(process.env.COMPARE);
  const compareUnit = compareFile === undefined ? undefined : readServiceCommand(await readFile(compareFile, 'utf8'));
  const release = await releaseRoot(tmp);
  const receiver = await startReceiver(tmp);

  const fakeChild = spawn(process.execPath, ['--import', '@tapjs/typescript/import', 'bench/fake-api-server.ts', String(PODS)], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const fake = track('fake API', fakeChild);
  const [fakeLine] = await Promise.race([
    once(fakeChild.stdout, 'data'),
    fake.exited.then(() => {
      throw new Error('the fake API server exited');
    }),
  ]);
  const fakeApi = JSON.parse(fakeLine.toString().split('\n')[0]);

  const bare = await startBareNode(tmp, unit);
  const bareHttps = await startBareNode(tmp, unit, receiver.url, receiver.caFile);
  const peers = [await startPrometheusAgent(tmp, receiver), await startVmagent(tmp, receiver)];
  const ours = [
    {
      ...(await daemonCase({ name: 'host', release, unit, tmp, endpoint: receiver.url, caFile: receiver.caFile, kubeconfig: '' })),
      label: 'daemon, host metrics only',
      target: TARGET_HOST_MB,
    },
    {
      ...(await daemonCase({ name: 'cluster', release, unit, tmp, endpoint: receiver.url, caFile: receiver.caFile, kubeconfig: fakeApi.clientCertKubeconfig })),
      label: `daemon, cluster metrics (${PODS} pods, client-cert kubeconfig)`,
      target: TARGET_CLUSTER_MB,
    },
  ];
  const compare =
    compareUnit === undefined
      ? undefined
      : {
          ...(await daemonCase({ name: 'compare', release, unit: compareUnit, tmp, endpoint: receiver.url, caFile: receiver.caFile, kubeconfig: '' })),
          label: 'daemon, host metrics only, COMPARE unit',
        };

  console.log(
    `footprint: ${TICKS} s, daemon samplingInterval 1s and sendingInterval 30s, peers scrape every ${SCRAPE_INTERVAL}; node ${(await run(unit.argv[0].endsWith('node') ? unit.argv[0] : process.execPath, ['--version'])).stdout.trim()}`,
  );
  console.log(
    `unit:    ${path.relative(repo, unitFile)}: ExecStart=${unit.argv.join(' ')}${
      Object.keys(unit.environment).length > 0
        ? `; Environment=${Object.entries(unit.environment)
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(' ')}`
        : ''
    }${unit.notes.length > 0 ? `; not reproduced here: ${unit.notes.join(', ')}` : ''}`,
  );
  if (compareUnit !== undefined)
    console.log(
      `COMPARE: ${compareFile}: ExecStart=${compareUnit.argv.join(' ')}${
        Object.keys(compareUnit.environment).length > 0
          ? `; Environment=${Object.entries(compareUnit.environment)
              .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
              .join(' ')}`
          : ''
      }`,
    );
  console.log(`bundle:  ${release.how}`);
  console.log(
    "started outside systemd (no cgroup limits, no hardening); environment: PATH, the unit's Environment=, NODE_EXTRA_CA_CERTS (the receiver's test CA); working directory /",
  );

  const rows = [
    ...ours.map((daemon) => ({ label: daemon.label, pids: [daemon], daemon })),
    ...(compare === undefined ? [] : [{ label: compare.label, pids: [compare], compare }]),
    ...peers.map((peer) => ({ label: peer.name, pids: peer.parts, peer })),
    { label: "bare node, the unit's flags", pids: [bare], bare: true },
    { label: 'bare node + an HTTPS POST every 30 s', pids: [bareHttps], bare: true },
  ];
  for (const row of rows) {
    row.series = [];
    row.parts = row.pids.map(() => []);
  }
  for (let second = 0; second < TICKS; second++) {
    const began = Date.now();
    for (const row of rows) {
      const values = await Promise.all(row.pids.map((process_) => rssKb(process_.pid)));
      if (values.some((value) => value === undefined)) continue;
      row.series.push(values.reduce((sum, value) => sum + value, 0));
      values.forEach((value, i) => row.parts[i].push(value));
    }
    const dead = rows.flatMap((row) => row.pids).find((process_) => !process_.alive());
    if (dead !== undefined) {
      const why = await dead.exited;
      const log = dead.log === undefined ? '' : `; its journal:\n${(await dead.log()).split('\n').slice(-15).join('\n')}`;
      throw new Error(`${dead.name} exited after ${second} s (code ${why.code}, signal ${why.signal})${log}`);
    }
    await sleep(Math.max(0, 1000 - (Date.now() - began)));
  }

  // The daemons' last send, then the counts at the receiver.
  for (const daemon of ours) await daemon.stop();
  await compare?.stop();
  await sleep(6000);
  const failures = [];
  console.log('');
  console.log(
    `RSS (VmRSS, MB = 10^6 bytes)                        first    start(${TICKS >= 120 ? '30-59 s' : '5-14 s '})  end(last ${TICKS >= 120 ? 30 : 10} s)  max(5 s on)  growth  floor growth`,
  );
  const summaries = new Map();
  for (const row of rows) {
    const s = summarise(row.series);
    summaries.set(row, s);
    console.log(
      `${row.label.padEnd(50)}  ${fmt(s.first).padStart(8)} ${fmt(s.start).padStart(10)}     ${fmt(s.end).padStart(10)}     ${fmt(s.max).padStart(8)} ${signed(s.growth).padStart(9)} ${signed(s.floorGrowth).padStart(9)}`,
    );
    if (row.peer !== undefined) {
      row.peer.parts.forEach((part, i) =>
        console.log(
          `  ${part.name.padEnd(48)}  ${''.padStart(8)} ${fmt(average(row.parts[i].slice(5, 15))).padStart(10)}     ${fmt(average(row.parts[i].slice(-10))).padStart(10)}`,
        ),
      );
    }
  }

  // The shape over the run: flat, still rising, or settled after a rise.
  const step = Math.max(1, Math.floor(TICKS / 10));
  console.log(`\nRSS every ${step} s (MB)`);
  for (const row of rows) {
    const points = [];
    for (let at = 0; at < row.series.length; at += step) points.push(mb(row.series[at]).toFixed(1));
    points.push(mb(row.series.at(-1)).toFixed(1));
    console.log(`${row.label.slice(0, 48).padEnd(48)}  ${points.join(' ')}`);
  }

  console.log('');
  const delivered = (clusterId) => receiver.accepted.get(clusterId) ?? 0;
  for (const daemon of ours) {
    const row = rows.find((candidate) => candidate.daemon === daemon);
    const s = summaries.get(row);
    const samples = delivered(`bench-${daemon.name}`);
    const verdict = mb(s.max) <= row.daemon.target && mb(s.floorGrowth) <= FLAT_MB;
    console.log(
      `${daemon.label}: max ${fmt(s.max)} from second 5 on (target ≤ ${row.daemon.target} MB; ${fmt(s.startupMax)} during start-up and its first send), growth of the floor ${mb(s.floorGrowth).toFixed(1)} MB over ${TICKS} s (flat: ≤ ${FLAT_MB} MB; of the average ${mb(s.growth).toFixed(1)} MB): ${verdict ? 'PASS' : 'FAIL'}; ${samples} samples delivered`,
    );
    if (!verdict) failures.push(`${daemon.label} over target or growing`);
    if (samples === 0) failures.push(`${daemon.label} delivered nothing`);
  }
  const clusterNames = receiver.names.get('bench-cluster') ?? new Set();
  const clusterSeries = [...clusterNames].filter((name) => name.startsWith('cluster:usage:'));
  console.log(`cluster metrics at the receiver from the cluster case: ${clusterSeries.length > 0 ? clusterSeries.sort().join(', ') : 'NONE'}`);
  if (clusterSeries.length === 0) failures.push('no cluster metrics arrived from the cluster case');
  for (const peer of peers) {
    const samples = delivered(peer.clusterId);
    console.log(`${peer.name}: ${samples} samples delivered`);
    if (samples === 0) failures.push(`${peer.name} delivered nothing`);
  }

  console.log('');
  const end = (predicate) => summaries.get(rows.find(predicate)).end;
  const floor = end((row) => row.pids[0] === bare);
  const httpsFloor = end((row) => row.pids[0] === bareHttps);
  console.log(
    `bare node with the unit's flags (${bare.flags.join(' ')}): ${fmt(floor)}; with node:https and one small HTTPS POST every 30 s: ${fmt(httpsFloor)}`,
  );
  for (const daemon of ours) {
    const ourEnd = end((row) => row.daemon === daemon);
    const ratios = peers.map((peer) => `${(ourEnd / end((row) => row.peer === peer)).toFixed(2)} × ${peer.name}`);
    console.log(
      `${daemon.label}: ${fmt(ourEnd)} = Node's HTTPS floor ${fmt(httpsFloor)} + ${fmt(ourEnd - httpsFloor)} of ours; ours / peer: ${ratios.join(', ')}`,
    );
  }
  const hostEnd = end((row) => row.daemon === ours[0]);
  if (compare !== undefined) {
    const compareRow = rows.find((row) => row.compare === compare);
    const c = summaries.get(compareRow);
    const h = summaries.get(rows.find((row) => row.daemon === ours[0]));
    console.log(
      `host-only daemon, this unit vs the COMPARE unit, same run: end ${fmt(h.end)} vs ${fmt(c.end)} (${mb(h.end - c.end) >= 0 ? '+' : ''}${mb(h.end - c.end).toFixed(1)} MB), max ${fmt(h.max)} vs ${fmt(c.max)}, growth ${mb(h.growth).toFixed(1)} vs ${mb(c.growth).toFixed(1)} MB; COMPARE delivered ${delivered('bench-compare')} samples`,
    );
  }
  for (const peer of peers) {
    const peerEnd = end((row) => row.peer === peer);
    const sender = peer.parts[0];
    const senderEnd = average(rows.find((row) => row.peer === peer).parts[0].slice(-30));
    if (peerEnd < hostEnd) {
      console.log(
        `A Go sender is smaller here: ${peer.name} takes ${fmt(peerEnd)}, ${sender.name} alone ${fmt(senderEnd)}, against ${fmt(hostEnd)} for the host-only daemon. ` +
          `Why: Node is ${fmt(floor)} before a line of ours runs (V8's heap and builtins, the touched pages of a ${Math.round(statSize(bare.child.spawnfile) / 1e6)} MB node binary, ICU, libuv), ` +
          `HTTPS brings it to ${fmt(httpsFloor)} (node:tls and OpenSSL's CA store), and our code and data add ${fmt(hostEnd - httpsFloor)}; ` +
          'a Go binary maps only its own runtime and the code it links, and its collector keeps the heap close to the live data.',
      );
    } else {
      console.log(`${peer.name} (${fmt(peerEnd)}, ${sender.name} alone ${fmt(senderEnd)}) is larger than the host-only daemon (${fmt(hostEnd)}).`);
    }
  }
  if (receiver.receiver.alive() === false) failures.push(`the receiver died: ${receiver.errors()}`);
  if (failures.length > 0) {
    console.log(`\nFAILED: ${failures.join('; ')}`);
    process.exitCode = 1;
  }
}

process.once('SIGINT', () => {
  console.error('interrupted: stopping everything');
  void cleanUp().then(() => process.exit(130));
});
try {
  await main();
} catch (error) {
  console.error(`bench:footprint: ${error.message}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
