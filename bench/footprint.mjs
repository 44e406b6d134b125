// npm run bench:footprint — the daemon with samplingInterval 1s for 300 ticks
// against the embedded receiver; RSS and heap at start and end, CPU ms per tick.
// Reads the daemon's own debug line per tick (rss, heap) and /proc/PID/stat (CPU).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../scripts/free-port.mjs';

const TICKS = Number(process.env.TICKS ?? 300);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist', 'cli.js');
const port = await freePort();
const dir = await mkdtemp(path.join(os.tmpdir(), 'edge-telemetry-footprint-'));
await writeFile(path.join(dir, 'ps.json'), JSON.stringify({ auths: { 'cloud.openshift.com': { auth: 'bench' } } }));
const config = path.join(dir, 'telemetry.yaml');
await writeFile(config, `telemetry:\n  endpoint: http://127.0.0.1:${port}/metrics/v1/receive\n  samplingInterval: 1s\n  sendingInterval: 30s\n  pullSecretFile: ps.json\n  clusterIdFile: ""\n  dataDir: data\n  kubeconfig: ""\n  diskPaths: [/]\n`);

// The flags the systemd unit sets.
const nodeFlags = ['--max-semi-space-size=1', '--max-old-space-size=64', '--lite-mode'];
const receiver = spawn(process.execPath, [cli, 'receive', '--quiet', '--listen', `127.0.0.1:${port}`], { stdio: 'ignore' });
await new Promise((resolve) => setTimeout(resolve, 500));
const daemon = spawn(process.execPath, [...nodeFlags, cli, '--log-level', 'debug', 'run', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
const clockTicks = 100; // USER_HZ on Linux
const cpuMs = async () => {
  const fields = (await readFile(`/proc/${daemon.pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
};
const samples = [];
let buffer = '';
let firstCpu;
let sent = 0;
await new Promise((resolve) => {
  daemon.stderr.on('data', async (chunk) => {
    buffer += chunk.toString();
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line.includes('report sent')) sent++;
      const match = /debug: sampled .*rssBytes=(\d+) heapUsedBytes=(\d+)/.exec(line);
      if (!match) continue;
      samples.push({ rss: Number(match[1]), heap: Number(match[2]) });
      if (samples.length === 1) firstCpu = await cpuMs();
      if (samples.length === TICKS) resolve();
    }
  });
});
const lastCpu = await cpuMs();
daemon.kill('SIGTERM');
await new Promise((resolve) => daemon.once('close', resolve));
receiver.kill('SIGTERM');

const mb = (bytes) => (bytes / 1e6).toFixed(1);
const window = (from, to) => samples.slice(from, to);
const avg = (list, key) => list.reduce((sum, s) => sum + s[key], 0) / list.length;
// Start is taken after warm-up (ticks 5-14), end as the last ten ticks, so one GC does not decide.
const startWindow = window(5, 15);
const endWindow = window(TICKS - 10, TICKS);
const rssStart = avg(startWindow, 'rss');
const rssEnd = avg(endWindow, 'rss');
console.log(`daemon footprint: ${TICKS} ticks at samplingInterval 1s, sendingInterval 30s (${sent} sends), node ${process.version} ${nodeFlags.join(' ')}`);
console.log(`RSS   first tick ${mb(samples[0].rss)} MB, start (ticks 5-14) ${mb(rssStart)} MB, end (last 10) ${mb(rssEnd)} MB, max ${mb(Math.max(...samples.map((s) => s.rss)))} MB, growth ${(((rssEnd - rssStart) / rssStart) * 100).toFixed(1)} %`);
console.log(`heap  start ${mb(avg(startWindow, 'heap'))} MB, end ${mb(avg(endWindow, 'heap'))} MB`);
console.log(`CPU   ${((lastCpu - firstCpu) / (TICKS - 1)).toFixed(2)} ms per tick (sampling and sending included)`);
console.log(`peer for scale: Prometheus agent + node_exporter take about 68 MB together`);
