import t from 'tap';
import { mkfifo } from '../helpers/fifo.js';
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { formatStatus, showStatus } from '../../src/commands/status.js';
import type { Config } from '../../src/config/schema.js';
import {
  markDisabled,
  readStatus,
  writeStatus,
  type DaemonStatus,
} from '../../src/agent/status-file.js';
import { tempDir } from '../helpers/files.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const status: DaemonStatus = {
  format: 1,
  pid: 4242,
  startedAtMs: NOW - 3 * 86_400_000,
  updatedAtMs: NOW - 30_000,
  endpoint: 'https://infogw.api.openshift.com/metrics/v1/receive',
  lastSuccess: { atMs: NOW - 3_600_000, requests: 2, samples: 96 },
  lastError: { atMs: NOW - 60_000, reason: 'HTTP 503: busy' },
  nextSendAtMs: NOW + 1_800_000,
  buffer: {
    kind: 'disk',
    samples: 1200,
    bytesOnDisk: 20_480,
    oldestSampleMs: NOW - 7_200_000,
    dropped: { full: 3, age: 0, rejected: 12 },
  },
};

t.test('status round-trips through the file and reads as an admin expects', async (t) => {
  const dir = await tempDir();
  await writeStatus(dir, status);
  const read = await readStatus(dir);
  t.same(read, { kind: 'ok', status });
  t.equal(
    formatStatus(status, true, NOW),
    [
      'daemon:        running (pid 4242, since 2026-11-20T12:00:00.000Z (3d ago))',
      'endpoint:      https://infogw.api.openshift.com/metrics/v1/receive',
      'last success:  2026-11-23T11:00:00.000Z (60m ago), 2 requests, 96 samples',
      'last error:    2026-11-23T11:59:00.000Z (60s ago): HTTP 503: busy',
      'next send:     2026-11-23T12:30:00.000Z (in 30m)',
      'buffered:      1200 samples (20480 bytes on disk)',
      'oldest sample: 2026-11-23T10:00:00.000Z (2h ago)',
      'dropped:       3 full, 12 rejected',
      '',
    ].join('\n'),
  );
  t.match(
    formatStatus(
      {
        ...status,
        lastError: undefined,
        buffer: { ...status.buffer, kind: 'memory', dropped: {} },
      },
      false,
      NOW,
    ),
    /daemon: {8}not running \(last update .*\(30s ago\)\)\n[\s\S]*last error: {4}none\nnext send: {5}when the daemon runs\nbuffered: {6}1200 samples \(in memory, lost at a restart\)[\s\S]*dropped: {7}none\n$/,
  );
});

t.test('a missing, foreign, oversized or FIFO status file is a value, never a hang', async (t) => {
  const dir = await tempDir();
  t.same(await readStatus(dir), { kind: 'missing' });
  await writeFile(path.join(dir, 'status.json'), '{"format": 9}');
  t.match(await readStatus(dir), {
    kind: 'unreadable',
    reason: /not a status this version writes/,
  });
  await writeFile(path.join(dir, 'status.json'), 'x'.repeat(70_000));
  t.match(await readStatus(dir), {
    kind: 'unreadable',
    reason: /status.json: larger than 64 KiB \(70000 bytes\)/,
  });
  const fifoDir = await tempDir();
  await mkfifo(path.join(fifoDir, 'status.json'));
  t.match(await readStatus(fifoDir), { kind: 'unreadable', reason: /status.json: .*FIFO/ });
});

t.test('status while the daemon runs, and after it stopped', async (t) => {
  const { startScriptedReceiver } = await import('../helpers/scripted-receiver.js');
  const { runCli, spawnCli } = await import('../helpers/cli.js');
  const { writeConfig } = await import('../helpers/files.js');
  // The first send is refused as a whole (400), the later ones are taken.
  const receiver = await startScriptedReceiver([{ status: 400, body: 'out of bounds' }]);
  t.teardown(receiver.close);
  const config = await writeConfig(await tempDir(), {
    endpoint: receiver.url,
    samplingInterval: '1s',
    sendingInterval: '2s',
    diskPaths: ['/'],
  });
  const daemon = spawnCli(['run', '--config', config]);
  t.teardown(() => daemon.stop('SIGKILL'));
  await daemon.waitFor(/report sent[\s\S]*report sent/);
  const running = await runCli(['status', '--config', config]);
  t.equal(running.code, 0, running.stderr);
  t.match(running.stdout, new RegExp(`^daemon: +running \\(pid ${daemon.child.pid}, since `));
  t.match(running.stdout, /\nlast success: +\S+ \(\d+s ago\), \d+ requests, \d+ samples\n/);
  t.match(
    running.stdout,
    /\nlast error: +\S+ \(\d+s ago\): the receiver refused \d+ samples for good; they were dropped\n/,
  );
  t.match(running.stdout, /\nnext send: +\S+ \(in \ds\)\n/);
  t.match(running.stdout, /\nbuffered: +\d+ samples \(\d+ bytes on disk\)\n/);
  t.match(running.stdout, /\ndropped: +\d+ rejected\n/, 'the refused request is counted');
  t.equal(await daemon.stop('SIGTERM'), 0);
  const stopped = await runCli(['status', '--config', config]);
  t.match(stopped.stdout, /^daemon: +not running \(last update /);
  t.match(stopped.stdout, /\nnext send: +when the daemon runs\n/);
});

t.test('with several destinations: a block for each, its backlog and drops its own', async (t) => {
  const own = {
    name: 'own',
    endpoint: 'https://vm.example.com/api/v1/write',
    protocol: 'remote-write',
    lastSuccess: undefined,
    lastError: { atMs: NOW - 120_000, reason: 'network error: ECONNREFUSED' },
    buffer: { ...status.buffer, samples: 700, oldestSampleMs: NOW - 86_400_000, dropped: {} },
  };
  const primary = {
    name: 'primary',
    endpoint: status.endpoint,
    protocol: 'remote-write',
    lastSuccess: status.lastSuccess,
    lastError: undefined,
    buffer: { ...status.buffer, samples: 0, oldestSampleMs: undefined },
  };
  t.equal(
    formatStatus({ ...status, destinations: [primary, own] }, true, NOW),
    [
      'daemon:        running (pid 4242, since 2026-11-20T12:00:00.000Z (3d ago))',
      'next send:     2026-11-23T12:30:00.000Z (in 30m)',
      'buffer:        20480 bytes on disk; a sample leaves it once every destination took it',
      'destination primary (remote-write): https://infogw.api.openshift.com/metrics/v1/receive',
      '  last success:  2026-11-23T11:00:00.000Z (60m ago), 2 requests, 96 samples',
      '  last error:    none',
      '  behind:        0 samples',
      '  dropped:       3 full, 12 rejected',
      'destination own (remote-write): https://vm.example.com/api/v1/write',
      '  last success:  never',
      '  last error:    2026-11-23T11:58:00.000Z (2m ago): network error: ECONNREFUSED',
      '  behind:        700 samples, oldest 2026-11-22T12:00:00.000Z (24h ago)',
      '  dropped:       none',
      '',
    ].join('\n'),
  );
});

t.test(
  'disabled: the status says so, keeps what was last done, and looks for the service where it waits',
  async (t) => {
    const dir = await tempDir();
    await writeStatus(dir, {
      ...status,
      phase: 'waiting',
      wakeAtMs: NOW + 60_000,
      launcherPid: 77,
    });
    t.equal(await markDisabled(dir, { pid: 4343, launcherPid: 77 }, NOW), true, 'news');
    const read = await readStatus(dir);
    if (read.kind !== 'ok') throw new Error(read.kind);
    // As JSON keeps it: no next send, no wake.
    t.same(
      read.status,
      JSON.parse(
        JSON.stringify({
          ...status,
          pid: 4343,
          launcherPid: 77,
          updatedAtMs: NOW,
          nextSendAtMs: undefined,
          phase: 'disabled',
        }),
      ),
    );
    t.equal('nextSendAtMs' in read.status || 'wakeAtMs' in read.status, false);
    t.equal(
      await markDisabled(dir, { pid: 4444, launcherPid: 77 }, NOW + 1),
      false,
      'not news twice',
    );
    const text = formatStatus(read.status, true, NOW + 120_000);
    t.match(
      text,
      /^daemon: {8}disabled \(telemetry\.status: Disabled since 2026-11-23T12:00:00\.000Z \(2m ago\)\): nothing is sampled or sent; a reload reads the config again\n/,
    );
    t.match(text, /\nnext send: {5}none while disabled\n/);
    t.match(text, /\nlast success: {2}2026-11-23T11:00:00\.000Z/, 'what was last done stays');
    t.match(formatStatus(read.status, false, NOW), /^daemon: {8}not running \(.*\), disabled\n/);
    // No status yet (or one that cannot be read): news, and nothing written.
    const empty = await tempDir();
    t.equal(await markDisabled(empty, { pid: 1, launcherPid: undefined }, NOW), true);
    t.same(await readStatus(empty), { kind: 'missing' });
  },
);

t.test(
  'showStatus looks for the process that is the service: Node.js running, the launcher while it waits or is disabled',
  async (t) => {
    const dir = await tempDir();
    const config = { dataDir: dir } as Config;
    const asked: number[] = [];
    // Only the launcher is alive: the Node.js that wrote the status has exited to wait.
    const probe = (pid: number) => {
      asked.push(pid);
      return pid === 77;
    };
    const cases: [string, Partial<DaemonStatus>, number, RegExp][] = [
      ['running', { phase: 'running', launcherPid: 77 }, 4242, /^daemon: +not running \(/],
      [
        'waiting',
        { phase: 'waiting', wakeAtMs: NOW + 60_000, launcherPid: 77 },
        77,
        /^daemon: +waiting, no Node\.js resident \(launcher pid 77; /,
      ],
      ['disabled', { phase: 'disabled', launcherPid: 77 }, 77, /^daemon: +disabled \(/],
      [
        'waiting, written by a release without launcherPid',
        { phase: 'waiting', wakeAtMs: NOW + 60_000 },
        4242,
        /^daemon: +not running \(/,
      ],
    ];
    for (const [name, fields, pid, line] of cases) {
      await writeStatus(dir, { ...status, ...fields });
      asked.length = 0;
      const shown = await showStatus(config, probe, NOW);
      t.same(asked, [pid], `${name}: asks of pid ${pid}`);
      t.match(shown.text, line, name);
      t.equal(shown.ok, true, name);
    }
  },
);
