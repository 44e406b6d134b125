// npm run bench:backlog — 30 days of 1-minute samples of the full dynamic
// catalog of a 300-pod node (432,000 samples) in the durable buffer: bytes on
// disk, restore time at start, peak RSS while flushing with the unit's Node
// flags, and flush throughput to the embedded receiver, against the same
// samples sent from the in-memory buffer in the same run.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startReceiver } from '../dist/receiver/telemeter-receiver.js';
import { silentLogger } from '../dist/base/log.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const child = path.join(root, 'bench', 'backlog-child.mjs');

/**
 * The V8 flags the unit's launcher gives this Node line (the unit's ExecStart
 * is the launcher, which picks them: packaging/launcher.sh --node-flags), so
 * the figures are the unit's.
 */
function unitNodeFlags() {
  const printed = execFileSync(
    'sh',
    [path.join(root, 'packaging', 'launcher.sh'), '--node-flags'],
    {
      env: { ...process.env, EDGE_TELEMETRY_NODE: process.execPath },
      encoding: 'utf8',
    },
  );
  return printed
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '');
}

function run(flags, args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...flags, child, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (chunk) => (out += chunk));
    proc.stderr.on('data', (chunk) => (err += chunk));
    proc.on('error', reject);
    proc.on('close', (code, signal) =>
      resolve({
        code,
        signal,
        result: code === 0 ? JSON.parse(out.trim().split('\n').at(-1)) : undefined,
        err,
      }),
    );
  });
}

async function bytesUnder(dir) {
  let total = 0;
  for (const name of await readdir(dir, { recursive: true })) {
    const info = await stat(path.join(dir, name));
    if (info.isFile()) total += info.size;
  }
  return total;
}

const flags = unitNodeFlags();
const dir = await mkdtemp(path.join(os.tmpdir(), 'edge-telemetry-backlog-'));
const receiver = await startReceiver({ host: '127.0.0.1', port: 0, log: silentLogger });
try {
  const filled = await run([], ['fill', dir]);
  if (filled.code !== 0) throw new Error(`fill failed: ${filled.err}`);
  const diskBytes = await bytesUnder(dir);
  const disk = await run(flags, ['send', dir, receiver.url]);
  if (disk.code !== 0) throw new Error(`disk flush failed: ${disk.err}`);
  const memory = await run(flags, ['memory', receiver.url]);
  const memoryNote =
    memory.code === 0
      ? 'with the unit flags'
      : `ran out of memory with the unit flags (${memory.signal ?? `exit ${memory.code}`}); figures below are with Node's default heap`;
  const memoryRun =
    memory.code === 0
      ? memory
      : await run(
          flags.filter((flag) => !flag.startsWith('--max-old-space-size')),
          ['memory', receiver.url],
        );
  if (memoryRun.code !== 0) throw new Error(`memory flush failed: ${memoryRun.err}`);

  const twoDir = path.join(dir, 'two');
  const refilled = await run([], ['fill', twoDir]);
  if (refilled.code !== 0) throw new Error(`fill failed: ${refilled.err}`);
  const two = await run(flags, ['two', twoDir, receiver.url]);
  if (two.code !== 0) throw new Error(`two-destination flush failed: ${two.err}`);

  const d = disk.result;
  const m = memoryRun.result;
  const mb = (bytes) => (bytes / 1e6).toFixed(1);
  const rate = (count, ms) => Math.round((count * 1000) / ms).toLocaleString('en-US');
  console.log(
    `backlog: ${filled.result.samples.toLocaleString('en-US')} samples (30 days, 1-minute sampling, 10 dynamic series of a 300-pod node); node ${process.version} ${flags.join(' ')}; ${os.cpus().length} cores`,
  );
  console.log(
    `disk     ${diskBytes.toLocaleString('en-US')} bytes on disk, ${(diskBytes / filled.result.samples).toFixed(2)} bytes/sample`,
  );
  console.log(`restore  ${d.restoreMs.toFixed(0)} ms to open the buffer at start`);
  console.log(
    `flush    from disk:   ${rate(d.sent, d.sendMs)} samples/s, ${rate(d.requests, d.sendMs)} requests/s, ${d.requests} requests, peak RSS ${mb(d.peakRssBytes)} MB, all delivered: ${d.ok}`,
  );
  console.log(
    `peer     from memory: ${rate(m.sent, m.sendMs)} samples/s, ${rate(m.requests, m.sendMs)} requests/s, ${m.requests} requests, peak RSS ${mb(m.peakRssBytes)} MB (${memoryNote})`,
  );
  const w = two.result;
  console.log(
    `two      destinations: the current one's send ${w.currentMs.toFixed(0)} ms (${w.currentSent} samples; it skips the 30 days the other lacks), the one 30 days behind ${rate(w.sent, w.sendMs)} samples/s, ${w.requests} requests, all delivered: ${w.ok && w.left === 0}, peak RSS ${mb(w.peakRssBytes)} MB; restore ${w.restoreMs.toFixed(0)} ms with both cursors`,
  );
  console.log(
    `ratio    two/one destination: throughput of the one behind ${(w.sent / w.sendMs / (d.sent / d.sendMs)).toFixed(2)}x, peak RSS ${(w.peakRssBytes / d.peakRssBytes).toFixed(2)}x`,
  );
  console.log(
    `ratio    disk/memory: throughput ${(d.sent / d.sendMs / (m.sent / m.sendMs)).toFixed(2)}x, peak RSS ${(d.peakRssBytes / m.peakRssBytes).toFixed(2)}x`,
  );
} finally {
  await receiver.close();
  await rm(dir, { recursive: true, force: true });
}
