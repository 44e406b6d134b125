// SIGHUP and SIGTERM at the moments that used to kill or wedge the daemon, on the real CLI process.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { spawnCli } from '../helpers/cli.js';
import { ownTempDir, writeConfig } from '../helpers/files.js';
import { startScriptedReceiver } from '../helpers/scripted-receiver.js';

/** True once the process catches SIGHUP (bit 0 of SigCgt in /proc/PID/status): the earliest moment a SIGHUP can be survived at all. */
function catchesHangup(pid: number): boolean {
  try {
    const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return mask !== undefined && (BigInt(`0x${mask}`) & 1n) === 1n;
  } catch {
    return false;
  }
}

const count = (text: string, pattern: RegExp) =>
  text.split('\n').filter((line) => pattern.test(line)).length;

function exitOf(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

t.test(
  'SIGHUP from the moment it can be caught and at points through start-up: never a death',
  async (t) => {
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const config = await writeConfig(await ownTempDir(t), {
      endpoint: receiver.url,
      samplingInterval: '1h',
      sendingInterval: '1h',
    });
    // Start-up (imports, config, buffer, first sample and send) takes about 150 ms here; these points cover it.
    for (const afterMs of [0, 0, 0, 10, 25, 50, 100, 150, 250]) {
      const daemon = spawnCli(['run', '--config', config], {}, { bare: true });
      const pid = daemon.child.pid as number;
      // Node's own bootstrap comes first (no JavaScript runs yet, nothing can catch a signal); from the first moment ours can, send it.
      while (
        !catchesHangup(pid) &&
        daemon.child.exitCode === null &&
        daemon.child.signalCode === null
      )
        await new Promise((resolve) => setImmediate(resolve));
      if (afterMs === 0)
        t.equal(daemon.output().stderr, '', 'caught before the daemon has logged anything');
      else await new Promise((resolve) => setTimeout(resolve, afterMs));
      t.ok(daemon.child.kill('SIGHUP'), `${afterMs} ms after: sent`);
      await daemon.waitFor(/report sent/);
      t.equal(await daemon.stop('SIGTERM'), 0, `${afterMs} ms after: ran and stopped cleanly`);
      t.ok(count(daemon.output().stderr, /config reloaded/) <= 1, 'at most one reload');
    }
  },
);

t.test(
  'SIGHUP while starting (after the config was read): one reload once running, no extra report',
  async (t) => {
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const config = await writeConfig(await ownTempDir(t), {
      endpoint: receiver.url,
      samplingInterval: '1h',
      sendingInterval: '1h',
    });
    const daemon = spawnCli(['run', '--config', config], {}, { bare: true });
    await daemon.waitFor(/telemetry enabled/);
    daemon.child.kill('SIGHUP');
    await daemon.waitFor(/config reloaded/);
    await daemon.waitFor(/report sent/);
    t.equal(await daemon.stop('SIGTERM'), 0);
    t.equal(count(daemon.output().stderr, /config reloaded/), 1);
    // The reload may cut the first report short (then it is made again at once, and a request it had sent may arrive twice,
    // as remote-write allows): either way two reports complete, the first one and the one at stop.
    t.equal(
      count(daemon.output().stderr, /report sent/),
      2,
      'the report at start and the one at stop',
    );
  },
);

t.test('a burst of 20 SIGHUPs: one or two reloads, no extra report', async (t) => {
  const receiver = await startScriptedReceiver([]);
  t.teardown(receiver.close);
  const config = await writeConfig(await ownTempDir(t), {
    endpoint: receiver.url,
    samplingInterval: '1h',
    sendingInterval: '1h',
  });
  const daemon = spawnCli(['run', '--config', config], {}, { bare: true });
  await daemon.waitFor(/report sent/);
  for (let i = 0; i < 20; i++) daemon.child.kill('SIGHUP');
  await daemon.waitFor(/config reloaded/);
  t.equal(await daemon.stop('SIGTERM'), 0);
  const reloads = count(daemon.output().stderr, /config reloaded/);
  t.ok(reloads === 1 || reloads === 2, `${reloads} reloads`);
  t.equal(
    count(daemon.output().stderr, /report sent/),
    2,
    'the report at start and the one at stop',
  );
  t.equal(receiver.requests.length, 2);
});

t.test('SIGHUP during the last send is ignored, not a death', async (t) => {
  let requests = 0;
  let holdLast: () => void = () => {};
  const lastArrived = new Promise<void>((arrived) => {
    const server = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        requests++;
        if (requests === 1) return void response.writeHead(200).end();
        holdLast = () => response.writeHead(200).end();
        arrived();
      });
    });
    server.listen(0, '127.0.0.1');
    t.teardown(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    server.on('listening', () => start((server.address() as net.AddressInfo).port));
  });
  let start: (port: number) => void = () => {};
  const port = await new Promise<number>((resolve) => (start = resolve));
  const config = await writeConfig(await ownTempDir(t), {
    endpoint: `http://127.0.0.1:${port}/metrics/v1/receive`,
    samplingInterval: '1h',
    sendingInterval: '1h',
  });
  const daemon = spawnCli(['run', '--config', config], {}, { bare: true });
  await daemon.waitFor(/report sent/);
  daemon.child.kill('SIGTERM');
  await lastArrived;
  daemon.child.kill('SIGHUP');
  await daemon.waitFor(/SIGHUP ignored: stopping/);
  holdLast();
  t.same(await exitOf(daemon.child), { code: 0, signal: null });
  t.equal(requests, 2);
});

t.test(
  'a proxy that accepts and never answers, requestTimeout 720h: SIGTERM still stops the daemon within the shutdown deadline',
  async (t) => {
    let accepted = 0;
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((socket) => {
      accepted++;
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    t.teardown(() => {
      for (const socket of sockets) socket.destroy();
      proxy.close();
    });
    const config = await writeConfig(await ownTempDir(t), {
      endpoint: 'https://telemetry.example/metrics/v1/receive',
      proxy: `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`,
      samplingInterval: '1h',
      sendingInterval: '1h',
      requestTimeout: '720h',
    });
    const daemon = spawnCli(['run', '--config', config], {}, { bare: true });
    await daemon.waitFor(/telemetry enabled/);
    while (accepted === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    t.equal(await daemon.stop('SIGTERM'), 0, 'stopped, not wedged');
    const { stderr } = daemon.output();
    t.notMatch(stderr, /send attempt failed/, 'a 720h requestTimeout did not time out at once');
    t.match(stderr, /stopped with samples not sent/);
  },
);

t.test(
  'during the splay: a reload carries on, a reload to Disabled keeps the daemon running, SIGTERM makes the last send',
  async (t) => {
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const dir = await ownTempDir(t);
    const config = await writeConfig(dir, {
      endpoint: receiver.url,
      samplingInterval: '1s',
      sendingInterval: '1h',
      splay: '1h',
    });
    const original = readFileSync(config, 'utf8');
    const daemon = spawnCli(['run', '--config', config], {}, { bare: true });
    await daemon.waitFor(/buffer: on disk/);
    daemon.child.kill('SIGHUP');
    await daemon.waitFor(/config reloaded/);
    // It used to wait for the first send slot and end with exit 0 here: alive means it still answers to a signal later.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    t.equal(daemon.child.exitCode, null, 'still running after the reload during the splay');
    await writeFile(config, original.replace('telemetry:\n', 'telemetry:\n  status: Disabled\n'));
    daemon.child.kill('SIGHUP');
    await daemon.waitFor(/Disabled/);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    t.equal(
      daemon.child.exitCode,
      null,
      'still running while Disabled, so a reload can enable it again',
    );
    await writeFile(config, original);
    daemon.child.kill('SIGHUP');
    await daemon.waitFor(/config reloaded[\s\S]*config reloaded/);
    t.equal(receiver.requests.length, 0, 'nothing sent during the splay');
    t.equal(await daemon.stop('SIGTERM'), 0);
    // Several ticks were taken (1 s sampling over 3 s of waits): the backlog, then the current values, in two requests.
    t.equal(receiver.requests.length, 2, 'SIGTERM during the splay: the last send goes');
    t.match(daemon.output().stderr, /report sent/);
  },
);
