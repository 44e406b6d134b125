// npm run bench:footprint (after bench/footprint.mjs), or node bench/waiting.mjs
//
// The time-averaged footprint of the installed unit, which waits between ticks
// with no Node.js resident (packaging/launcher.sh, docs/architecture.md
// "Waiting without Node.js"). For each supported Node.js line, in one run and
// side by side: the unit's own ExecStart and Environment= from the release
// (`npm run package`), host only, over HTTPS through a TLS front, at
// samplingInterval 1m and sendingInterval 5m, as shipped (it waits) and with
// EDGE_TELEMETRY_RESIDENT=yes (Node.js stays, as before). The waiting unit runs
// twice: under this machine's /bin/sh (the launcher's #!, dash on Debian), and
// under bash as RHEL's /bin/sh is (argv[0] "sh"). Every 200 ms it reads
// the VmRSS of the whole unit: the launcher and every process under it (Node.js,
// sleep), which is what the unit's cgroup holds. CPU is the launcher's own and
// its reaped children's (utime, stime, cutime, cstime of /proc/PID/stat).
//
// MINUTES (default 15) is the window; LINES="22 24" picks lines; SHELLS="sh"
// leaves bash out. The defaults
// (1h, 24h) are not waited out: they are extrapolated from the same run, as
// printed: the waiter's RSS all day, plus 24 sample wakes and one send wake
// at their measured RSS×seconds above the waiter (the send wake is counted
// whole, sample included, so this is an upper bound), over 86,400 s; CPU
// likewise. The resident daemon at the defaults: its average RSS (flat between
// ticks), and its CPU while idle times a day plus 25 ticks or sends at its
// measured cost per event.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseDocument } from 'yaml';
import { freePort } from '../scripts/free-port.mjs';
import { readServiceCommand } from './unit-file.mjs';
import { nodeLines } from './node-lines.mjs';
import { proxyTo, testCertificate } from './tls-front.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const MINUTES = Number(process.env.MINUTES ?? 15);
// The shells the launcher waits in: this machine's /bin/sh (dash on Debian), and
// bash as RHEL's /bin/sh is. SHELLS="sh" measures the first alone.
const SHELLS = (process.env.SHELLS ?? 'sh bash').split(/\s+/).filter((shell) => shell !== '');
const SAMPLE_MS = 200;
const CLK_TCK = 100;
const TARGET_1M_MB = 8;
const TARGET_DEFAULTS_MB = 4;
const INSTALLED_CONFIG = '/etc/edge-telemetry/telemetry.yaml';
const mb = (kb) => (kb * 1024) / 1e6;

const cleanups = [];
process.on('SIGINT', () => void cleanUp().then(() => process.exit(130)));
async function cleanUp() {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
}

async function processTree(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (rss === null) return { rssKb: 0, names: [] };
  const name = /^Name:\s+(\S+)/m.exec(status)?.[1] ?? '?';
  const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => ''))
    .split(' ')
    .filter((child) => /^\d+$/.test(child));
  let rssKb = Number(rss[1]);
  const names = [name];
  for (const child of children) {
    const below = await processTree(Number(child));
    rssKb += below.rssKb;
    names.push(...below.names);
  }
  return { rssKb, names };
}

/** CPU seconds of a process and the children it has reaped. */
async function cpuSeconds(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime, stime, cutime, cstime: fields 14-17 of proc(5), 11-14 after the name.
  return fields.slice(11, 15).reduce((sum, value) => sum + Number(value), 0) / CLK_TCK;
}

async function release(tmp) {
  const out = path.join(tmp, 'release');
  await run('npm', ['run', 'package', '--', `--out=${out}`], { cwd: repo, timeout: 600_000 });
  const tree = (await readdir(out)).find((name) => !name.endsWith('.tar.gz'));
  return path.join(out, tree, 'root');
}

async function tlsFront(tmp, port) {
  const { key, cert, caFile } = await testCertificate(tmp);
  const front = https.createServer({ key, cert }, proxyTo(port));
  await new Promise((resolve) => front.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    front.closeAllConnections();
    await new Promise((resolve) => front.close(resolve));
  });
  return { url: `https://127.0.0.1:${front.address().port}/metrics/v1/receive`, caFile };
}

/** The embedded receiver: when each sender's requests arrived and how many CPU samples each carried. */
async function receiver() {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [path.join(repo, 'dist/cli.js'), 'receive', '--listen', `127.0.0.1:${port}`],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  cleanups.push(async () => child.kill());
  const arrivals = new Map();
  const cpuSamples = new Map();
  let current;
  let pending = '';
  child.stdout.on('data', (chunk) => {
    pending += chunk.toString();
    let newline;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      const header = /^# accepted .* from cluster (\S+)/.exec(line);
      if (header !== null) {
        current = header[1];
        (arrivals.get(current) ?? arrivals.set(current, []).get(current)).push(Date.now());
      } else if (current !== undefined && line.startsWith('cluster:cpu_usage_cores:sum{')) {
        const at = Number(line.split(' ').at(-1));
        (cpuSamples.get(current) ?? cpuSamples.set(current, new Set()).get(current)).add(at);
      }
    }
  });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((resolve) =>
      http
        .get(`http://127.0.0.1:${port}/`, (r) => (r.resume(), resolve(true)))
        .on('error', () => resolve(false)),
    );
    if (up) break;
    await sleep(100);
  }
  return { port, arrivals, cpuSamples };
}

async function startCase({ name, root, unit, line, tmp, endpoint, caFile, resident, shell }) {
  const dir = path.join(tmp, name);
  await mkdir(path.join(dir, 'data'), { recursive: true, mode: 0o700 });
  const document = parseDocument(await readFile(path.join(root, INSTALLED_CONFIG), 'utf8'));
  const set = (key, value) => document.setIn(['telemetry', key], value);
  set('endpoint', endpoint);
  set('pullSecretFile', path.join(dir, 'pull-secret.json'));
  set('clusterIdFile', path.join(dir, 'cluster-id'));
  set('dataDir', path.join(dir, 'data'));
  set('kubeconfig', '');
  set('samplingInterval', '1m');
  set('sendingInterval', '5m');
  await writeFile(
    path.join(dir, 'pull-secret.json'),
    JSON.stringify({ auths: { 'cloud.openshift.com': { auth: `bench-token-${name}` } } }),
    { mode: 0o600 },
  );
  await writeFile(path.join(dir, 'cluster-id'), `bench-${name}\n`, { mode: 0o600 });
  const config = path.join(dir, 'telemetry.yaml');
  await writeFile(config, document.toString());
  const argv = unit.argv.map((word) =>
    word === INSTALLED_CONFIG
      ? config
      : word.startsWith('/usr/local/')
        ? path.join(root, word)
        : word,
  );
  const { openSync, closeSync } = await import('node:fs');
  const fd = openSync(path.join(dir, 'journal.log'), 'a');
  // The launcher's #!/bin/sh, or bash as RHEL's /bin/sh is (argv[0] "sh": its POSIX mode).
  const [command, args, argv0] =
    shell === 'bash' ? ['/bin/bash', argv, 'sh'] : [argv[0], argv.slice(1), undefined];
  const child = spawn(command, args, {
    ...(argv0 === undefined ? {} : { argv0 }),
    env: {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin',
      ...unit.environment,
      EDGE_TELEMETRY_NODE: line.binary,
      NODE_EXTRA_CA_CERTS: caFile,
      ...(resident ? { EDGE_TELEMETRY_RESIDENT: 'yes' } : {}),
    },
    cwd: '/',
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const stop = async () => {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  cleanups.push(stop);
  return {
    name,
    line,
    resident,
    shell,
    pid: child.pid,
    stop,
    dir,
    samples: [],
    startedAt: Date.now(),
  };
}

/** Contiguous stretches with Node.js running, each with its RSS×seconds above `baseKb` and its CPU. */
function wakesOf(samples, baseKb) {
  const wakes = [];
  let wake;
  for (const sample of samples) {
    if (sample.node) {
      wake ??= { from: sample.at, to: sample.at, kbSeconds: 0, cpuFrom: sample.cpuBefore };
      wake.to = sample.at;
      wake.kbSeconds += (sample.rssKb - baseKb) * (SAMPLE_MS / 1000);
    } else if (wake !== undefined) {
      wake.cpu = sample.cpu - wake.cpuFrom;
      wakes.push(wake);
      wake = undefined;
    }
  }
  // The first is the service's start (resident through the first report), not a wake.
  return samples[0]?.node === true ? wakes.slice(1) : wakes;
}

/** Bare starts timed together for Node's start cost. */
const START_RUNS = 20;
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0;
const mean = (list) => (list.length === 0 ? 0 : list.reduce((a, b) => a + b, 0) / list.length);

async function main() {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'edge-telemetry-waiting-'));
  cleanups.push(() => rm(tmp, { recursive: true, force: true }));
  const lines = await nodeLines();
  const root = await release(tmp);
  const unit = readServiceCommand(
    await readFile(path.join(repo, 'systemd/edge-telemetry.service'), 'utf8'),
  );
  // Node's own floor for a wake: a bare start with the unit's flags (`node FLAGS -e 0`), CPU by
  // /usr/bin/time over START_RUNS starts in one shell loop: time(1) counts in 10 ms steps, a
  // start on 22-26 is less than two of them.
  const launcher = path.join(root, unit.argv[0].replace(/^\//, ''));
  const startCost = new Map();
  for (const line of lines) {
    const flags = (
      await run('sh', [launcher, '--node-flags'], {
        env: { PATH: '/usr/bin:/bin', EDGE_TELEMETRY_NODE: line.binary },
      })
    ).stdout
      .trim()
      .split(/\s+/);
    const runs = [];
    for (let i = 0; i < 3; i++) {
      const { stderr } = await run('/usr/bin/time', [
        '-f',
        '%U %S',
        'sh',
        '-c',
        `i=0; while [ $i -lt ${START_RUNS} ]; do "$0" "$@" -e 0 || exit 1; i=$((i + 1)); done`,
        line.binary,
        ...flags,
      ]);
      const [user, system] = stderr.trim().split('\n').at(-1).split(' ').map(Number);
      runs.push((user + system) / START_RUNS);
    }
    startCost.set(line.major, median(runs));
  }
  const shName = path.basename(await realpath('/bin/sh'));
  const sink = await receiver();
  const { url, caFile } = await tlsFront(tmp, sink.port);
  console.log(
    `waiting between ticks: the unit's ExecStart (${unit.argv.join(' ')}) from npm run package, host only, HTTPS, samplingInterval 1m, sendingInterval 5m, ${MINUTES} min, whole-unit VmRSS every ${SAMPLE_MS} ms; lines ${lines.map((l) => l.version).join(', ')} side by side`,
  );
  const cases = [];
  const modes = [
    ...SHELLS.map((shell) => ({ resident: false, shell })),
    { resident: true, shell: 'sh' },
  ];
  for (const line of lines)
    for (const { resident, shell } of modes)
      cases.push(
        await startCase({
          name: `${resident ? 'resident' : `waiting-${shell}`}-${line.major}`,
          shell,
          root,
          unit,
          line,
          tmp,
          endpoint: url,
          caFile,
          resident,
        }),
      );
  const startedAt = Date.now();
  const cpuAtStart = new Map();
  for (const c of cases) cpuAtStart.set(c, await cpuSeconds(c.pid));
  const endAt = startedAt + MINUTES * 60_000;
  while (Date.now() < endAt) {
    const tickAt = Date.now();
    for (const c of cases) {
      const tree = await processTree(c.pid);
      const cpu = await cpuSeconds(c.pid);
      c.samples.push({
        at: tickAt,
        rssKb: tree.rssKb,
        // Node.js by elimination: its main thread is "node" on 20 and 22, "MainThread" from 24 on.
        node: tree.names.slice(1).some((name) => name !== 'sleep'),
        cpu,
        cpuBefore: c.samples.at(-1)?.cpu ?? cpu,
      });
    }
    await sleep(Math.max(0, SAMPLE_MS - (Date.now() - tickAt)));
  }
  const seconds = (Date.now() - startedAt) / 1000;
  const rows = [];
  for (const c of cases) {
    const cpu = (await cpuSeconds(c.pid)) - cpuAtStart.get(c) + 0;
    const averageKb = mean(c.samples.map((s) => s.rssKb));
    const peakKb = Math.max(...c.samples.map((s) => s.rssKb));
    const waiterKb = median(c.samples.filter((s) => !s.node).map((s) => s.rssKb));
    const arrivals = sink.arrivals.get(`bench-${c.name}`) ?? [];
    rows.push({ c, cpu, averageKb, peakKb, waiterKb, arrivals });
  }
  const stoppedAt = Date.now();
  await Promise.all(cases.map((c) => c.stop()));
  await sleep(1000);
  for (const { c, cpu, averageKb, peakKb, waiterKb, arrivals } of rows) {
    const delivered = sink.cpuSamples.get(`bench-${c.name}`)?.size ?? 0;
    const perDay = (cpu / seconds) * 86_400;
    const head = `${c.line.version.padEnd(9)} ${c.resident ? 'resident              ' : `waiting (${c.shell === 'bash' ? 'bash as /bin/sh' : `/bin/sh: ${shName}`})`.padEnd(22)}`;
    // The first sample at start, then one a minute until the stop.
    const firstSample = Math.min(...(sink.cpuSamples.get(`bench-${c.name}`) ?? [c.startedAt]));
    const expectedSamples = Math.floor((stoppedAt - firstSample) / 60_000) + 1;
    const deliveredText = `delivered ${delivered} of its ${expectedSamples} CPU samples ${delivered === expectedSamples ? 'PASS' : 'FAIL'}`;
    if (c.resident) {
      // Idle CPU: the samples farther than 5 s from a minute's tick and from an arrival.
      const quiet = c.samples.filter(
        (s, i) =>
          i > 0 &&
          (s.at - startedAt) % 60_000 > 5_000 &&
          (s.at - startedAt) % 60_000 < 55_000 &&
          !arrivals.some((a) => Math.abs(a - s.at) < 5_000),
      );
      const idlePerSecond =
        quiet.reduce((sum, s) => sum + (s.cpu - s.cpuBefore), 0) /
        ((quiet.length * SAMPLE_MS) / 1000);
      const events = Math.floor(seconds / 60) + 1 + arrivals.length;
      const perEvent = Math.max(0, (cpu - idlePerSecond * seconds) / events);
      const defaultsCpu = idlePerSecond * 86_400 + 25 * perEvent;
      console.log(
        `${head} 1m/5m: average ${mb(averageKb).toFixed(1)} MB, peak ${mb(peakKb).toFixed(1)} MB, CPU ${perDay.toFixed(0)} s/day; defaults (extrapolated): average ${mb(averageKb).toFixed(1)} MB, CPU ${defaultsCpu.toFixed(0)} s/day (idle ${(idlePerSecond * 86_400).toFixed(0)} + 25 × ${perEvent.toFixed(2)} s); ${deliveredText}`,
      );
      c.defaultsCpu = defaultsCpu;
      c.averageKb = averageKb;
      continue;
    }
    const wakes = wakesOf(c.samples, waiterKb);
    const sendWakes = wakes.filter((w) =>
      arrivals.some((a) => a >= w.from - 1000 && a <= w.to + 1000),
    );
    const sampleWakes = wakes.filter((w) => !sendWakes.includes(w));
    const eSample = mean(sampleWakes.map((w) => w.kbSeconds));
    const eSend = mean(sendWakes.map((w) => w.kbSeconds));
    const cSample = mean(sampleWakes.map((w) => w.cpu ?? 0));
    const cSend = mean(sendWakes.map((w) => w.cpu ?? 0));
    const defaultsKb = waiterKb + (24 * eSample + eSend) / 86_400;
    const defaultsCpu = 24 * cSample + cSend;
    const wakeSeconds = mean(wakes.map((w) => (w.to - w.from) / 1000 + SAMPLE_MS / 1000));
    const ok1m = mb(averageKb) <= TARGET_1M_MB;
    const okDefaults = mb(defaultsKb) <= TARGET_DEFAULTS_MB;
    console.log(
      `${head} 1m/5m: average ${mb(averageKb).toFixed(1)} MB ${ok1m ? 'PASS' : 'FAIL'} (at most ${TARGET_1M_MB} MB), peak ${mb(peakKb).toFixed(1)} MB, waiter ${mb(waiterKb).toFixed(1)} MB, ${wakes.length} wakes of ${wakeSeconds.toFixed(1)} s on average, a sample wake ${(eSample / 1024).toFixed(1)} MB·s and ${cSample.toFixed(2)} CPU s (a bare Node start with the unit's flags ${startCost.get(c.line.major).toFixed(3)} s, ${(cSample / startCost.get(c.line.major)).toFixed(1)}x), a send wake ${(eSend / 1024).toFixed(1)} MB·s and ${cSend.toFixed(2)} CPU s; CPU ${perDay.toFixed(0)} s/day; defaults (extrapolated): average ${mb(defaultsKb).toFixed(2)} MB ${okDefaults ? 'PASS' : 'FAIL'} (at most ${TARGET_DEFAULTS_MB} MB), CPU ${defaultsCpu.toFixed(1)} s/day; ${deliveredText}`,
    );
    c.defaultsCpu = defaultsCpu;
    c.averageKb = averageKb;
    c.defaultsKb = defaultsKb;
  }
  for (const line of lines) {
    const resident = cases.find((c) => c.line === line && c.resident);
    for (const waiting of cases.filter((c) => c.line === line && !c.resident))
      console.log(
        `ratio    ${line.version} (${waiting.shell === 'bash' ? 'bash' : shName}): waiting/resident RSS at 1m/5m ${(waiting.averageKb / resident.averageKb).toFixed(2)}x, at the defaults ${(waiting.defaultsKb / resident.averageKb).toFixed(3)}x; CPU a day at the defaults ${(waiting.defaultsCpu / resident.defaultsCpu).toFixed(2)}x ${waiting.defaultsCpu < resident.defaultsCpu ? 'PASS' : 'FAIL'} (under the resident daemon's)`,
      );
  }
  await cleanUp();
}

main().catch(async (error) => {
  console.error(error);
  await cleanUp();
  process.exit(1);
});
