// npm run bench:signal-window — how long after its start a stray signal still
// has Node's default action (SIGHUP: death with status 129; SIGUSR1: Node's
// inspector), on every supported Node.js line, for the release as the unit
// starts it (its launcher, its flags), for dist/cli.js, and for Node's own
// floor (a script whose first statement is a SIGHUP listener, with the
// launcher's flags for the line), in one run.
// /proc/PID/status is polled as fast as this process can from spawn() until
// it shows SIGHUP caught (SigCgt bit 0); what counts is the time it showed
// SIGHUP neither caught nor ignored (SigIgn bit 0): the launcher ignores it
// while it runs, Node resets that to the default as it starts. RUNS times
// each; the median and the 90th percentile are printed, and the ratio to the floor.
// LINES as in bench/footprint.mjs; RUNS (default 20).
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { nodeLines } from './node-lines.mjs';

const RUNS = Number(process.env.RUNS ?? 20);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);

/** 'caught', 'ignored' or 'default': what SIGHUP would do to `pid` now. */
function hangupIn(pid) {
  let status = '';
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 'default';
  }
  const bit = (field) =>
    (BigInt(`0x${new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1] ?? '0'}`) & 1n) ===
    1n;
  return bit('SigCgt') ? 'caught' : bit('SigIgn') ? 'ignored' : 'default';
}

/** Milliseconds in which SIGHUP would have killed the child, from spawn until it catches it; the child is killed then. */
async function windowOf(command, args, env) {
  let last = process.hrtime.bigint();
  const child = spawn(command, args, { env, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  let exposed = 0n;
  let state = 'default';
  while (state !== 'caught' && child.exitCode === null && child.signalCode === null) {
    const now = process.hrtime.bigint();
    // The interval since the last look is charged to what was seen then.
    if (state === 'default') exposed += now - last;
    last = now;
    state = hangupIn(child.pid);
    if (state !== 'caught') await new Promise((resolve) => setImmediate(resolve));
  }
  child.kill('SIGKILL');
  await exited;
  if (state !== 'caught')
    throw new Error(`${command} ${args.join(' ')} exited before it caught SIGHUP`);
  return Number(exposed) / 1e6;
}

const percentile = (list, p) =>
  [...list].sort((a, b) => a - b)[Math.min(list.length - 1, Math.floor((list.length * p) / 100))];

const tmp = await mkdtemp(path.join(os.tmpdir(), 'edge-telemetry-signal-window-'));
try {
  await run(process.execPath, [path.join(repo, 'scripts', 'package.mjs'), '--out', tmp], {
    cwd: repo,
  });
  const [releaseDir] = (await import('node:fs'))
    .readdirSync(tmp)
    .filter((entry) => !entry.endsWith('.tar.gz'));
  const launcher = path.join(
    tmp,
    releaseDir,
    'root',
    'usr',
    'local',
    'lib',
    'edge-telemetry',
    'edge-telemetry',
  );
  const lines = await nodeLines();
  const args = ['run', '--config', path.join(tmp, 'no-such-config.yaml')];
  console.log(
    `signal window: ms in which SIGHUP kills, from spawn until it is caught, ${RUNS} runs each (median / 90th percentile)`,
  );
  console.log(
    `${'line'.padEnd(10)} ${'floor'.padStart(15)} ${'dist/cli.js'.padStart(15)} ${'release'.padStart(15)}   release ÷ floor`,
  );
  for (const line of lines) {
    const env = { PATH: '/usr/bin:/bin', EDGE_TELEMETRY_NODE: line.binary };
    // The floor runs with the flags the launcher gives the release on this line.
    const flags = (await run(launcher, ['--node-flags'], { env })).stdout.trim().split(/\s+/);
    const cases = {
      floor: () =>
        windowOf(
          line.binary,
          [...flags, '-e', "process.on('SIGHUP', () => {}); setTimeout(() => {}, 5000);"],
          env,
        ),
      dist: () => windowOf(line.binary, [path.join(repo, 'dist', 'cli.js'), ...args], env),
      release: () => windowOf(launcher, args, env),
    };
    const results = {};
    for (const [name, measure] of Object.entries(cases)) {
      results[name] = [];
      for (let i = 0; i < RUNS; i++) results[name].push(await measure());
    }
    const cell = (list) =>
      `${percentile(list, 50).toFixed(1)} / ${percentile(list, 90).toFixed(1)}`.padStart(15);
    console.log(
      `${line.version.padEnd(10)} ${cell(results.floor)} ${cell(results.dist)} ${cell(results.release)}   ${(percentile(results.release, 50) / percentile(results.floor, 50)).toFixed(2)} ×`,
    );
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
