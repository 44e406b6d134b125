// npm run demo: the daemon on this machine's real host metrics, sending to the
// embedded receiver, which prints every report as it arrives. Ctrl-C stops both:
// the daemon first (its last send reaches the receiver), then the receiver; the
// demo's temp directory is removed and the demo exits only after both have, so
// nothing prints over the shell's prompt.
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
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
await writeFile(
  path.join(dir, 'telemetry.d', '10-endpoint.yaml'),
  `telemetry:\n  endpoint: http://127.0.0.1:${port}/metrics/v1/receive\n`,
);
await writeFile(
  path.join(dir, 'demo-pull-secret.json'),
  JSON.stringify({ auths: { 'cloud.openshift.com': { auth: 'demo-token-not-a-secret' } } }),
);

/** Resolves with the exit code (or signal name) once the child has exited and its output is drained. */
const closed = (child) =>
  new Promise((resolve) => child.once('close', (code, signal) => resolve(code ?? signal)));

console.log(`demo: config in ${config}; receiver on 127.0.0.1:${port}; Ctrl-C stops both`);
console.log(
  'demo: without MicroShift here, type reads microshift-rpm and microshift_version unknown (the fallbacks), and no cluster counts are sent\n',
);
// Each child in a process group of its own: the terminal's Ctrl-C reaches only
// this script, which stops them in order instead of both at once.
const receiver = spawn(process.execPath, [cli, 'receive', '--listen', `127.0.0.1:${port}`], {
  stdio: ['ignore', 'inherit', 'pipe'],
  detached: true,
});
const receiverClosed = closed(receiver);
// Start the daemon once the receiver listens, so its first report is not refused.
const listening = await new Promise((resolve) => {
  let pending = '';
  receiver.stderr.on('data', (chunk) => {
    process.stderr.write(chunk);
    pending += chunk.toString();
    if (pending.includes('receiver listening')) resolve(true);
  });
  void receiverClosed.then(() => resolve(false));
});

let daemon;
let daemonClosed = Promise.resolve(null);
if (listening) {
  daemon = spawn(process.execPath, [cli, 'run', '--config', config], {
    stdio: 'inherit',
    detached: true,
  });
  daemonClosed = closed(daemon);
} else {
  console.error('demo: the receiver did not start');
}

let stopping;
const stop = () => (stopping ??= stopInOrder());
const stopInOrder = async () => {
  if (daemon !== undefined && daemon.exitCode === null && daemon.signalCode === null)
    daemon.kill('SIGTERM');
  await daemonClosed;
  if (receiver.exitCode === null && receiver.signalCode === null) receiver.kill('SIGTERM');
  await receiverClosed;
  await rm(dir, { recursive: true, force: true });
};
process.on('SIGINT', stop).on('SIGTERM', stop);

const first = await Promise.race([
  daemonClosed.then((code) => ({ who: 'daemon', code })),
  receiverClosed.then((code) => ({ who: 'receiver', code })),
]);
if (!stopping) console.error(`demo: the ${first.who} exited with ${first.code}; stopping`);
await stop();
process.exit(0);
