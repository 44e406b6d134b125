// npm run bench:footprint — the daemon's memory exactly as the systemd unit
// starts it, on every supported Node.js line, beside what an admin would run
// instead, all in the same run.
//
// The daemon: ExecStart= and Environment= of systemd/edge-telemetry.service
// (ExecStart is the release's launcher, which picks the line's V8 flags), run
// against the release (`npm run package`, built into the temp directory), with
// EDGE_TELEMETRY_NODE set to the line's binary as /usr/bin/node being that
// line would, and the release's config changed only where a test node must
// (endpoint, pull secret, cluster id, dataDir, kubeconfig, intervals), in two
// cases at once: host metrics only, and cluster metrics from the fake API
// server with 300 pods through a client-certificate kubeconfig (MicroShift's form).
// Each line's floor: bare Node through the same launcher (so with exactly the
// daemon's flags), idle, and with one HTTPS POST every 30 s.
// The peers: Debian's prometheus-node-exporter scraped every 5 s by (a)
// Debian's Prometheus in agent mode, (b) Debian's vmagent, each remote-writing
// to the same receiver.
//
// Every sender writes over HTTPS (as the daemon does to the Telemetry API),
// to a TLS front of the embedded receiver; the daemon trusts the front's test
// CA through NODE_EXTRA_CA_CERTS. RSS is VmRSS from /proc/PID/status, once a
// second, summed over a peer's processes.
//
// LINES (default: every line of package.json's engines): e.g. LINES=24 or
// LINES="22 26"; a line other than the running Node's comes from npm's
// node@<major> (scripts/node-line.sh, cached outside the checkout).
// TICKS (default 300): seconds measured.
// SAMPLING (default 1s): the daemon's samplingInterval; 5s samples as often as
// the peers scrape.
// UNIT=file: another unit file than systemd/edge-telemetry.service.
// BUNDLE=single: the release built with --single-file instead of on-demand chunks.
// COMPARE=file: one more host-only daemon per line, started as that unit file
// starts it, in the same run: an A/B of unit settings.
// COMPARE_LAUNCHER=file: one more host-only daemon per line, started by that
// launcher instead of the release's (other V8 flags), same bundle: an A/B of flags.
// COMPARE_RELEASE=dir: one more host-only daemon per line, started by the
// launcher of another release (`node scripts/package.mjs --out dir` at
// another commit), so running that release's bundle: an A/B of code.
// COMPARE_CASE (default host): which case the COMPARE, COMPARE_LAUNCHER and
// COMPARE_RELEASE daemons run, and are judged against: host, cluster (the fake
// API's pods too), or two-destinations (the OTLP destination too).
// Always, per line: one more host-only daemon with a second destination (OTLP
// over HTTPS to a sink that answers 200), whose cost over the host-only one
// has a target of its own (1 MB).
// Everything started here is stopped at the end, on error and on Ctrl-C too,
// and the temp directory is removed.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rm,
  writeFile,
} from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseDocument } from 'yaml';
import { freePort } from '../scripts/free-port.mjs';
import { readServiceCommand } from './unit-file.mjs';
import { proxyTo, testCertificate } from './tls-front.mjs';
import { nodeLines } from './node-lines.mjs';

const TICKS = Number(process.env.TICKS ?? 300);
const COMPARE_CASES = ['host', 'cluster', 'two-destinations'];
const COMPARE_CASE = process.env.COMPARE_CASE ?? 'host';
if (!COMPARE_CASES.includes(COMPARE_CASE))
  throw new Error(`COMPARE_CASE=${COMPARE_CASE}: expected ${COMPARE_CASES.join(', ')}`);
const SAMPLING = process.env.SAMPLING ?? '1s';
const PODS = 300;
const SCRAPE_INTERVAL = '5s';
/** Growth from the start window to the end window that still counts as flat. */
const FLAT_MB = 1;
const INSTALLED_BUNDLE = '/usr/local/lib/edge-telemetry/edge-telemetry.mjs';
const INSTALLED_LAUNCHER = '/usr/local/lib/edge-telemetry/edge-telemetry';
/** Targets over the line's own HTTPS floor, and against the Prometheus agent pair. */
const TARGET_HOST_OVER_FLOOR_MB = 3;
const TARGET_CLUSTER_OVER_FLOOR_MB = 5;
const TARGET_PROMETHEUS_RATIO = 0.75;
const TARGET_SECOND_DESTINATION_MB = 1;
const INSTALLED_CONFIG = '/etc/edge-telemetry/telemetry.yaml';
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);
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
  return {
    name,
    child,
    pid: child.pid,
    exited,
    stop,
    alive: () => child.exitCode === null && child.signalCode === null,
  };
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

/**
 * VmRSS of a process and all its descendants: the unit's launcher stays
 * MainPID with Node.js as its child (packaging/launcher.sh), and a peer's
 * children count too. Undefined when the process itself is gone.
 */
async function rssKb(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (match === null) return undefined;
  const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => ''))
    .split(' ')
    .filter((child) => /^\d+$/.test(child));
  let sum = Number(match[1]);
  for (const child of children) sum += (await rssKb(Number(child))) ?? 0;
  return sum;
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
  if (!existsSync(path.join(root, INSTALLED_BUNDLE)))
    throw new Error(`npm run package: no ${INSTALLED_BUNDLE} under ${root}`);
  const beside = (await readdir(path.join(root, path.dirname(INSTALLED_BUNDLE)))).filter(
    (name) => name !== path.basename(INSTALLED_BUNDLE),
  );
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
  if (word.startsWith('/usr/local/') || word.startsWith('/etc/edge-telemetry/'))
    return path.join(root, word);
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
  const child = spawn(argv[0], argv.slice(1), {
    env: environment,
    cwd: '/',
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  // The unit's TimeoutStopSec is 20 s: the daemon's last send fits in it.
  const tracked = track(name, child, 20_000);
  return { ...tracked, log: () => readFile(logFile, 'utf8').catch(() => '') };
}

/** The installed launcher of the release `npm run package -- --out dir` wrote into dir. */
async function releaseLauncherIn(dir) {
  const trees = (await readdir(dir)).filter(
    (name) => /^edge-telemetry-[^/]+$/.test(name) && !name.endsWith('.tar.gz'),
  );
  if (trees.length !== 1)
    throw new Error(
      `COMPARE_RELEASE=${dir}: expected one edge-telemetry-<version> release tree in it, found ${trees.length}`,
    );
  const launcher = path.join(dir, trees[0], 'root', INSTALLED_LAUNCHER);
  if (!existsSync(launcher))
    throw new Error(`COMPARE_RELEASE=${dir}: no ${INSTALLED_LAUNCHER} in ${trees[0]}/root`);
  return launcher;
}

async function daemonCase({
  name,
  release,
  unit,
  line,
  tmp,
  endpoint,
  caFile,
  kubeconfig,
  launcher,
  destinations,
}) {
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
  set('samplingInterval', SAMPLING);
  set('sendingInterval', '30s');
  if (destinations !== undefined) set('destinations', document.createNode(destinations));
  await writeFile(
    path.join(dir, 'pull-secret.json'),
    JSON.stringify({ auths: { 'cloud.openshift.com': { auth: `bench-token-${name}` } } }),
  );
  await writeFile(path.join(dir, 'cluster-id'), `bench-${name}\n`);
  await mkdir(path.join(dir, 'data'), { mode: 0o700 });
  const config = path.join(dir, 'telemetry.yaml');
  await writeFile(config, document.toString());
  const argv = unit.argv.map((word) =>
    word === INSTALLED_CONFIG ? config : inRelease(release.root, word),
  );
  if (launcher !== undefined) argv[0] = launcher;
  // systemd's environment for a system service: PATH and the unit's Environment=;
  // EDGE_TELEMETRY_NODE makes the launcher run this line's binary, as
  // /usr/bin/node being that line would.
  const environment = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin',
    ...unit.environment,
    EDGE_TELEMETRY_NODE: line.binary,
    NODE_EXTRA_CA_CERTS: caFile,
  };
  return launchDaemon({ name, argv, environment, logFile: path.join(dir, 'journal.log') });
}

// ---- the receiving side ---------------------------------------------------
/** The embedded receiver (not measured), counting what each sender (by cluster id) delivered. */
async function startReceiver(tmp) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [path.join(repo, 'dist/cli.js'), 'receive', '--listen', `127.0.0.1:${port}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
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
        if (name !== undefined)
          (names.get(current) ?? names.set(current, new Set()).get(current)).add(name);
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
  const front = https.createServer({ key, cert }, proxyTo(port));
  await new Promise((resolve) => front.listen(0, '127.0.0.1', resolve));
  atCleanup(
    () =>
      new Promise((resolve) => {
        front.closeAllConnections();
        front.close(() => resolve());
      }),
  );
  // An OTLP/HTTP sink over the same TLS: what a collector's otlphttp receiver answers to a full success.
  let otlpPoints = 0;
  const otlp = https.createServer({ key, cert }, (request, response) => {
    let bytes = 0;
    request.on('data', (chunk) => (bytes += chunk.length));
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/v1/metrics' && bytes > 0) otlpPoints++;
      response.writeHead(200, { 'Content-Type': 'application/x-protobuf' });
      response.end();
    });
  });
  await new Promise((resolve) => otlp.listen(0, '127.0.0.1', resolve));
  atCleanup(
    () =>
      new Promise((resolve) => {
        otlp.closeAllConnections();
        otlp.close(() => resolve());
      }),
  );
  return {
    url: `https://127.0.0.1:${front.address().port}/metrics/v1/receive`,
    otlpUrl: `https://127.0.0.1:${otlp.address().port}`,
    otlpRequests: () => otlpPoints,
    caFile,
    accepted,
    names,
    receiver,
    errors: () => errors,
  };
}

/** The telemeter Authorization a sender must present (the receiver checks its form). */
const telemeterBearer = (clusterId) =>
  Buffer.from(
    JSON.stringify({ authorization_token: `bench-token-${clusterId}`, cluster_id: clusterId }),
  ).toString('base64');

// ---- the peers ------------------------------------------------------------
async function startNodeExporter(name) {
  const port = await freePort();
  const child = spawn(
    '/usr/bin/prometheus-node-exporter',
    [`--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: 'ignore' },
  );
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
 * It runs through the release's own launcher (a copy beside a stand-in
 * edge-telemetry.mjs), so its flags are exactly the ones that line's daemon gets.
 */
async function startBareNode({ tmp, release, unit, line, httpsUrl, caFile }) {
  const dir = path.join(tmp, `bare-${line.major}${httpsUrl === undefined ? '' : '-https'}`);
  await mkdir(dir);
  await writeFile(
    path.join(dir, 'edge-telemetry.mjs'),
    httpsUrl === undefined
      ? 'setInterval(() => {}, 60_000);\n'
      : `import https from 'node:https';\nconst post = () => https.request(${JSON.stringify(httpsUrl)}, { method: 'POST' }, (response) => response.resume()).on('error', () => {}).end('x');\npost();\nsetInterval(post, 30_000);\n`,
  );
  const launcher = path.join(dir, 'edge-telemetry');
  await copyFile(path.join(release.root, INSTALLED_LAUNCHER), launcher);
  await chmod(launcher, 0o755);
  // The unit's Environment= too (GLIBC_TUNABLES shapes malloc for any Node program).
  const env = {
    PATH: '/usr/bin:/bin',
    ...unit.environment,
    EDGE_TELEMETRY_NODE: line.binary,
    ...(caFile === undefined ? {} : { NODE_EXTRA_CA_CERTS: caFile }),
  };
  const child = spawn(launcher, [], { stdio: 'ignore', env, cwd: '/' });
  const tracked = track(
    `node ${line.major} bare${httpsUrl === undefined ? '' : ' + https'}`,
    child,
  );
  await sleep(300);
  const flags = (await readFile(`/proc/${child.pid}/cmdline`, 'utf8').catch(() => ''))
    .split('\0')
    .slice(1, -2);
  return { ...tracked, flags };
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

const describeUnit = (unit) =>
  `ExecStart=${unit.argv.join(' ')}${
    Object.keys(unit.environment).length > 0
      ? `; Environment=${Object.entries(unit.environment)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(' ')}`
      : ''
  }${unit.notes.length > 0 ? `; not reproduced here: ${unit.notes.join(', ')}` : ''}`;

async function main() {
  if (!Number.isInteger(TICKS) || TICKS < 30)
    throw new Error('TICKS must be an integer ≥ 30 (≥ 120 for the settled start window)');
  for (const binary of [
    '/usr/bin/prometheus',
    '/usr/bin/vmagent',
    '/usr/bin/prometheus-node-exporter',
    'openssl',
  ]) {
    if (binary.startsWith('/') && !existsSync(binary))
      throw new Error(
        `${binary} is missing: apt-get install prometheus victoria-metrics prometheus-node-exporter`,
      );
  }
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'edge-telemetry-footprint-'));
  atCleanup(() => rm(tmp, { recursive: true, force: true }));

  // UNIT=file measures another unit file (a drop-in's result, a branch's unit).
  const unitFile = path.resolve(
    process.env.UNIT ?? path.join(repo, 'systemd/edge-telemetry.service'),
  );
  const unit = readServiceCommand(await readFile(unitFile, 'utf8'));
  const compareFile =
    process.env.COMPARE === undefined ? undefined : path.resolve(process.env.COMPARE);
  const compareUnit =
    compareFile === undefined ? undefined : readServiceCommand(await readFile(compareFile, 'utf8'));
  const lines = await nodeLines();
  const release = await releaseRoot(tmp);
  // COMPARE_LAUNCHER=file: another launcher (other V8 flags) beside the release's, running the same bundle.
  const compareLauncher =
    process.env.COMPARE_LAUNCHER === undefined
      ? undefined
      : path.join(release.root, path.dirname(INSTALLED_LAUNCHER), 'edge-telemetry-compare');
  if (compareLauncher !== undefined) {
    await copyFile(path.resolve(process.env.COMPARE_LAUNCHER), compareLauncher);
    await chmod(compareLauncher, 0o755);
  }
  // COMPARE_RELEASE=dir: another release's launcher, which runs the bundle beside it.
  const compareRelease =
    process.env.COMPARE_RELEASE === undefined
      ? undefined
      : await releaseLauncherIn(path.resolve(process.env.COMPARE_RELEASE));
  const receiver = await startReceiver(tmp);

  const fakeChild = spawn(
    process.execPath,
    ['--import', '@tapjs/typescript/import', 'bench/fake-api-server.ts', String(PODS)],
    {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const fake = track('fake API', fakeChild);
  const [fakeLine] = await Promise.race([
    once(fakeChild.stdout, 'data'),
    fake.exited.then(() => {
      throw new Error('the fake API server exited');
    }),
  ]);
  const fakeApi = JSON.parse(fakeLine.toString().split('\n')[0]);

  const peers = [await startPrometheusAgent(tmp, receiver), await startVmagent(tmp, receiver)];
  // What the compared daemons run, by COMPARE_CASE: each case's settings and its name.
  const otlp = [{ name: 'otel', endpoint: receiver.otlpUrl, protocol: 'otlp' }];
  const caseSettings = {
    host: { kubeconfig: '', name: 'host only' },
    cluster: { kubeconfig: fakeApi.clientCertKubeconfig, name: `cluster metrics (${PODS} pods)` },
    'two-destinations': { kubeconfig: '', destinations: otlp, name: 'two destinations' },
  };
  const { name: compareCaseName, ...compareSettings } = caseSettings[COMPARE_CASE];
  const perLine = [];
  for (const line of lines) {
    const common = { release, unit, line, tmp, endpoint: receiver.url, caFile: receiver.caFile };
    const bare = await startBareNode({ tmp, release, unit, line });
    const bareHttps = await startBareNode({
      tmp,
      release,
      unit,
      line,
      httpsUrl: receiver.url,
      caFile: receiver.caFile,
    });
    const host = {
      ...(await daemonCase({ ...common, name: `host-${line.major}`, kubeconfig: '' })),
      label: `node ${line.major}: daemon, host metrics only`,
      kind: 'host',
    };
    const cluster = {
      ...(await daemonCase({
        ...common,
        name: `cluster-${line.major}`,
        kubeconfig: fakeApi.clientCertKubeconfig,
      })),
      label: `node ${line.major}: daemon, cluster metrics (${PODS} pods)`,
      kind: 'cluster',
    };
    const compares = [];
    if (compareUnit !== undefined)
      compares.push({
        ...(await daemonCase({
          ...common,
          unit: compareUnit,
          name: `compare-${line.major}`,
          ...compareSettings,
        })),
        kind: COMPARE_CASE,
        label: `node ${line.major}: daemon, ${compareCaseName}, COMPARE unit`,
      });
    if (compareLauncher !== undefined)
      compares.push({
        ...(await daemonCase({
          ...common,
          name: `compare-launcher-${line.major}`,
          ...compareSettings,
          launcher: compareLauncher,
        })),
        kind: COMPARE_CASE,
        label: `node ${line.major}: daemon, ${compareCaseName}, COMPARE_LAUNCHER`,
      });
    if (compareRelease !== undefined)
      compares.push({
        ...(await daemonCase({
          ...common,
          name: `compare-release-${line.major}`,
          ...compareSettings,
          launcher: compareRelease,
        })),
        kind: COMPARE_CASE,
        label: `node ${line.major}: daemon, ${compareCaseName}, COMPARE_RELEASE`,
      });
    // Issue 17's target: a second destination (OTLP, over HTTPS) costs at most 1 MB.
    compares.push({
      ...(await daemonCase({
        ...common,
        name: `two-destinations-${line.major}`,
        kubeconfig: '',
        destinations: otlp,
      })),
      kind: 'two-destinations',
      label: `node ${line.major}: daemon, host only, with a second destination (OTLP)`,
      target: TARGET_SECOND_DESTINATION_MB,
    });
    perLine.push({ line, bare, bareHttps, daemons: [host, cluster], compares });
  }

  console.log(
    `footprint: ${TICKS} s, daemon samplingInterval ${SAMPLING} and sendingInterval 30s, peers scrape every ${SCRAPE_INTERVAL}; Node.js lines: ${lines.map((line) => `${line.version} (${line.binary})`).join(', ')}`,
  );
  console.log(`unit:    ${path.relative(repo, unitFile)}: ${describeUnit(unit)}`);
  if (compareUnit !== undefined)
    console.log(`COMPARE: ${compareFile}: ${describeUnit(compareUnit)}`);
  if (compareLauncher !== undefined)
    console.log(`COMPARE_LAUNCHER: ${path.resolve(process.env.COMPARE_LAUNCHER)}`);
  if (compareRelease !== undefined) console.log(`COMPARE_RELEASE: ${compareRelease}`);
  console.log(`bundle:  ${release.how}`);
  for (const { line, bare } of perLine)
    console.log(`launcher's flags on node ${line.major}: ${bare.flags.join(' ')}`);
  console.log(
    "started outside systemd (no cgroup limits, no hardening); environment: PATH, the unit's Environment=, EDGE_TELEMETRY_NODE (the line's binary, as /usr/bin/node), NODE_EXTRA_CA_CERTS (the receiver's test CA); working directory /",
  );

  const rows = [
    ...perLine.flatMap(({ line, bare, bareHttps, daemons, compares }) => [
      ...daemons.map((daemon) => ({ label: daemon.label, pids: [daemon], daemon, line })),
      ...compares.map((compare) => ({ label: compare.label, pids: [compare], compare, line })),
      { label: `node ${line.major}: bare node, the launcher's flags`, pids: [bare], line },
      { label: `node ${line.major}: bare node + HTTPS POST every 30 s`, pids: [bareHttps], line },
    ]),
    ...peers.map((peer) => ({ label: peer.name, pids: peer.parts, peer })),
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
      const log =
        dead.log === undefined
          ? ''
          : `; its journal:\n${(await dead.log()).split('\n').slice(-15).join('\n')}`;
      throw new Error(
        `${dead.name} exited after ${second} s (code ${why.code}, signal ${why.signal})${log}`,
      );
    }
    await sleep(Math.max(0, 1000 - (Date.now() - began)));
  }

  // The daemons' last send, then the counts at the receiver.
  await Promise.all(
    perLine.flatMap(({ daemons, compares }) =>
      [...daemons, ...compares].map((daemon) => daemon.stop()),
    ),
  );
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
  const summaryOf = (predicate) => summaries.get(rows.find(predicate));
  const peerEnds = peers.map((peer) => ({ peer, end: summaryOf((row) => row.peer === peer).end }));
  const prometheusEnd = peerEnds[0].end;
  console.log(
    `The line's floor: bare Node with the launcher's flags, and with node:https and one small HTTPS POST every 30 s. Targets: host only ≤ HTTPS floor + ${TARGET_HOST_OVER_FLOOR_MB} MB, cluster ≤ HTTPS floor + ${TARGET_CLUSTER_OVER_FLOOR_MB} MB (end of the run, the last 30 s), both flat (floor growth ≤ ${FLAT_MB} MB), and ≤ ${TARGET_PROMETHEUS_RATIO} × ${peers[0].name}.`,
  );
  console.log(
    `${'line'.padEnd(9)} ${'floor'.padStart(8)} ${'https floor'.padStart(11)}  ${'case'.padEnd(8)} ${'ours'.padStart(8)} ${'max'.padStart(8)} ${'ours−floor'.padStart(10)} ${'growth'.padStart(7)}  ${peers.map((peer) => `÷ ${peer.name.split(' ')[0]}`.padStart(13)).join(' ')}  verdict`,
  );
  for (const { line, bare, bareHttps, daemons, compares } of perLine) {
    const floorEnd = summaryOf((row) => row.pids[0] === bare).end;
    const httpsFloor = summaryOf((row) => row.pids[0] === bareHttps).end;
    for (const daemon of daemons) {
      const s = summaryOf((row) => row.daemon === daemon);
      const over = s.end - httpsFloor;
      const allowed =
        daemon.kind === 'host' ? TARGET_HOST_OVER_FLOOR_MB : TARGET_CLUSTER_OVER_FLOOR_MB;
      const ratios = peerEnds.map(({ end }) => s.end / end);
      const problems = [];
      if (mb(over) > allowed)
        problems.push(`${mb(over).toFixed(1)} MB over the floor > ${allowed}`);
      if (mb(s.floorGrowth) > FLAT_MB) problems.push(`growing ${mb(s.floorGrowth).toFixed(1)} MB`);
      if (s.end > TARGET_PROMETHEUS_RATIO * prometheusEnd)
        problems.push(`${ratios[0].toFixed(2)} × ${peers[0].name} > ${TARGET_PROMETHEUS_RATIO}`);
      const samples = delivered(`bench-${daemon.name}`);
      if (samples === 0) problems.push('delivered nothing');
      if (problems.length > 0)
        failures.push(`node ${line.major} ${daemon.kind}: ${problems.join(', ')}`);
      console.log(
        `${line.version.padEnd(9)} ${fmt(floorEnd).padStart(8)} ${fmt(httpsFloor).padStart(11)}  ${daemon.kind.padEnd(8)} ${fmt(s.end).padStart(8)} ${fmt(s.max).padStart(8)} ${signed(over).padStart(10)} ${signed(s.floorGrowth).padStart(7)}  ${ratios.map((ratio) => `${ratio.toFixed(2)} ×`.padStart(13)).join(' ')}  ${problems.length === 0 ? 'PASS' : `FAIL (${problems.join(', ')})`}; ${samples} samples delivered`,
      );
    }
    // What the ratio target leaves a line's program, over what Node alone needs for HTTPS.
    const room = TARGET_PROMETHEUS_RATIO * prometheusEnd - httpsFloor;
    console.log(
      `${line.version.padEnd(9)} the HTTPS floor is ${(httpsFloor / prometheusEnd).toFixed(2)} × ${peers[0].name}: ${TARGET_PROMETHEUS_RATIO} × it leaves ${signed(room)} over the floor (host only ${signed(summaryOf((row) => row.daemon === daemons[0]).end - httpsFloor)}, cluster ${signed(summaryOf((row) => row.daemon === daemons[1]).end - httpsFloor)})`,
    );
    for (const compare of compares) {
      // Each against this unit's daemon of its case (the two-destination one is the one with a
      // target), never another compared one; that one against host only (its target).
      const references = [...daemons, ...compares.filter((c) => c.target !== undefined)];
      const baseCase =
        compare.target === undefined ? references.find((d) => d.kind === compare.kind) : daemons[0];
      const base = summaryOf((row) => row.daemon === baseCase || row.compare === baseCase);
      const c = summaryOf((row) => row.compare === compare);
      const verdict =
        compare.target === undefined
          ? ''
          : mb(c.end - base.end) > compare.target
            ? ` FAIL (more than ${compare.target} MB)`
            : ` PASS (at most ${compare.target} MB)`;
      if (verdict.startsWith(' FAIL'))
        failures.push(`node ${line.major}: ${compare.label}: ${signed(c.end - base.end)}`);
      console.log(
        `${line.version.padEnd(9)} A/B, ${baseCase.kind}: ${compare.label.replace(/^node \d+: daemon, [^,]+, /, '')} ${fmt(c.end)} (max ${fmt(c.max)}) vs this unit ${fmt(base.end)} (max ${fmt(base.max)}): ${signed(c.end - base.end)} at the end, ${signed(c.max - base.max)} at the max; it delivered ${delivered(`bench-${compare.name}`)} samples${verdict}`,
      );
    }
  }
  const clusterNames = [...receiver.names].filter(([clusterId]) =>
    clusterId.startsWith('bench-cluster-'),
  );
  for (const { line } of perLine) {
    const names = [...(receiver.names.get(`bench-cluster-${line.major}`) ?? new Set())].filter(
      (name) => name.startsWith('cluster:usage:'),
    );
    if (names.length === 0)
      failures.push(`node ${line.major}: no cluster metrics arrived from the cluster case`);
  }
  console.log(
    `cluster metrics at the receiver from the cluster cases: ${clusterNames.map(([clusterId, names]) => `${clusterId}: ${[...names].filter((name) => name.startsWith('cluster:usage:')).length} cluster:usage series`).join(', ')}`,
  );
  for (const peer of peers) {
    const samples = delivered(peer.clusterId);
    console.log(`${peer.name}: ${samples} samples delivered`);
    if (samples === 0) failures.push(`${peer.name} delivered nothing`);
  }
  console.log(`OTLP sink: ${receiver.otlpRequests()} requests received`);
  if (receiver.otlpRequests() === 0) failures.push('the OTLP destination received nothing');
  if (receiver.receiver.alive() === false) failures.push(`the receiver died: ${receiver.errors()}`);
  if (failures.length > 0) {
    console.log(`\nFAILED: ${failures.join('; ')}`);
    process.exitCode = 1;
  } else console.log('\nPASS: every line at or under its targets');
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
