// npm run demo: the daemon on this machine's real host metrics, sending to the
// embedded receiver, which prints every report as it arrives. Ctrl-C stops both.
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist', 'cli.js');

const port = await freePort();
const dir = await mkdtemp(path.join(os.tmpdir(), 'edge-telemetry-demo-'));
const config = path.join(dir, 'telemetry.yaml');
await copyFile(path.join(root, 'config', 'demo.yaml'), config);
await mkdir(path.join(dir, 'telemetry.d'));
await writeFile(path.join(dir, 'telemetry.d', '10-endpoint.yaml'), `telemetry:\n  endpoint: http://127.0.0.1:${port}/metrics/v1/receive\n`);
await writeFile(path.join(dir, 'demo-pull-secret.json'), JSON.stringify({ auths: { 'cloud.openshift.com': { auth: 'demo-token-not-a-secret' } } }));

console.log(`demo: config in ${config}; receiver on 127.0.0.1:${port}; Ctrl-C stops both\n`);
const receiver = spawn(process.execPath, [cli, 'receive', '--listen', `127.0.0.1:${port}`], { stdio: 'inherit' });
await new Promise((resolve) => setTimeout(resolve, 500));
const daemon = spawn(process.execPath, [cli, 'run', '--config', config], { stdio: 'inherit' });

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  daemon.kill('SIGTERM');
  daemon.once('close', () => receiver.kill('SIGTERM'));
};
process.on('SIGINT', stop).on('SIGTERM', stop);
daemon.on('close', (code) => {
  if (!stopping) console.error(`demo: the daemon exited with ${code}`);
  receiver.kill('SIGTERM');
});
receiver.on('close', () => process.exit(0));
