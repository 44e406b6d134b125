// The air-gap path end to end with the real CLI: a daemon buffers while its
// endpoint is unreachable; export (daemon stopped) writes the backlog and a
// snapshot; show --file prints it; upload from another config sends it to a
// receiver, every sample once with the exporting cluster's _id.
import t from 'tap';
import path from 'node:path';
import { runCli, spawnCli } from '../helpers/cli.js';
import { tempDir, writeConfig, TOKEN } from '../helpers/files.js';
import { startScriptedReceiver } from '../helpers/scripted-receiver.js';
import { CLUSTER_ID_LABEL } from '../../src/base/model.js';
import { DestinationBuffers } from '../../src/buffer/destination-buffers.js';
import { CursorFiles } from '../../src/buffer/cursor-files.js';

t.test('export on a disconnected node, upload elsewhere', async (t) => {
  const node = await tempDir();
  const offline = await writeConfig(node, {
    endpoint: 'http://127.0.0.1:9/metrics/v1/receive',
    samplingInterval: '1s',
    sendingInterval: '1h',
    diskPaths: ['/'],
    requestTimeout: '1s',
    retry: { maxAttempts: 1 },
  });
  const daemon = spawnCli(['--log-level', 'debug', 'run', '--config', offline]);
  await daemon.waitFor(/(debug: sampled [^\n]*\n[\s\S]*){3}/);
  const busy = await runCli([
    'export',
    '--output',
    path.join(node, 'x.jsonl'),
    '--config',
    offline,
  ]);
  t.equal(busy.code, 1);
  t.match(busy.stderr, /the daemon \(pid \d+\) holds .*; stop it first/);
  t.equal(await daemon.stop('SIGTERM'), 0);
  const ticks = daemon.output().stderr.match(/debug: sampled /g)?.length ?? 0;

  const file = path.join(node, 'telemetry-export.jsonl');
  const exported = await runCli(['export', '--output', file, '--config', offline]);
  t.equal(exported.code, 0, exported.stderr);
  t.match(exported.stdout, /requests, \d+ samples; the samples stay buffered/);
  const shown = await runCli(['show', '--file', file]);
  t.equal(shown.code, 0, shown.stderr);
  t.equal(
    shown.stdout.match(/^cluster:cpu_usage_cores:sum\{/gm)?.length,
    ticks,
    'show --file: every buffered tick',
  );
  t.notMatch(shown.stdout, TOKEN);

  const receiver = await startScriptedReceiver([]);
  t.teardown(receiver.close);
  const elsewhere = await writeConfig(await tempDir(), { endpoint: receiver.url });
  const uploaded = await runCli(['upload', file, '--config', elsewhere]);
  t.equal(uploaded.code, 0, uploaded.stderr);
  t.match(uploaded.stdout, /requests delivered \(\d+ samples\), 0 refused, 0 not sent/);
  const series = receiver.requests.flatMap((request) => request.series);
  const cpu = series.filter((item) =>
    item.labels.some((label) => label.value === 'cluster:cpu_usage_cores:sum'),
  );
  t.equal(
    cpu.reduce((sum, item) => sum + item.samples.length, 0),
    ticks,
    'every tick uploaded once',
  );
  t.ok(
    series.every(
      (item) =>
        item.labels.find((label) => label.name === CLUSTER_ID_LABEL)?.value === 'cluster-0123',
    ),
    'each series keeps its _id',
  );

  // --remove takes them out of the buffer: a second export holds only the fresh snapshot.
  const removing = await runCli(['export', '--output', file, '--remove', '--config', offline]);
  t.match(
    removing.stdout,
    new RegExp(`; ${ticks * 3} samples removed from the buffer`),
    'the three usage series of every tick',
  );
  const after = path.join(node, 'after.jsonl');
  t.equal((await runCli(['export', '--output', after, '--config', offline])).code, 0);
  const again = await runCli(['show', '--file', after]);
  t.equal(
    again.stdout.match(/^cluster:cpu_usage_cores:sum\{/gm)?.length ?? 0,
    0,
    'nothing buffered after --remove',
  );

  const down = await writeConfig(await tempDir(), {
    endpoint: 'http://127.0.0.1:9/metrics/v1/receive',
    retry: { maxAttempts: 1 },
  });
  const unreachable = await runCli(['upload', file, '--config', down]);
  t.equal(unreachable.code, 1);
  t.match(
    unreachable.stderr,
    /upload stopped; run it again to send the rest request=0 attempts=1 reason="network error: ECONNREFUSED"/,
  );
  t.notMatch(unreachable.stderr, /kept for the next send/);

  const damaged = path.join(node, 'damaged.jsonl');
  const { readFile, writeFile } = await import('node:fs/promises');
  await writeFile(damaged, (await readFile(file, 'utf8')).replace('"requests":', '"requests": '));
  const refused = await runCli(['upload', damaged, '--config', elsewhere]);
  t.equal(refused.code, 1);
  t.match(
    refused.stderr,
    /changed or damaged \(checksum mismatch\)|not an edge-telemetry export file/,
  );
});

t.test(
  'export -o a device, a FIFO, a directory or a link: refused in one line, nothing replaced, the buffer untouched',
  async (t) => {
    const { mkfifo } = await import('../helpers/fifo.js');
    const { lstat, mkdir, symlink, writeFile } = await import('node:fs/promises');
    const node = await tempDir();
    const config = await writeConfig(node, { endpoint: 'http://127.0.0.1:9/metrics/v1/receive' });
    const fifo = path.join(node, 'fifo');
    await mkfifo(fifo);
    const dir = path.join(node, 'a-dir');
    await mkdir(dir);
    const target = path.join(node, 'real.jsonl');
    await writeFile(target, 'keep me\n');
    const link = path.join(node, 'link.jsonl');
    await symlink(target, link);
    const cases: [string, string][] = [
      ['/dev/full', 'a character device'],
      ['/dev/null', 'a character device'],
      [fifo, 'a FIFO'],
      [dir, 'a directory'],
      [link, 'a symbolic link'],
    ];
    for (const [output, kind] of cases) {
      const result = await runCli(['export', '-o', output, '--config', config], {
        timeoutMs: 20_000,
      });
      t.equal(result.code, 1, output);
      t.equal(
        result.stderr,
        `edge-telemetry: ${output} is ${kind}; export writes a regular file: give a file name (new, or a file it may replace)\n`,
      );
      t.equal(result.stdout, '');
    }
    t.ok((await lstat('/dev/full')).isCharacterDevice(), '/dev/full is still the device');
    t.ok((await lstat(fifo)).isFIFO(), 'the FIFO is still a FIFO');
    t.ok((await lstat(link)).isSymbolicLink(), 'the link is still a link');
    const missingDir = path.join(node, 'no-such-dir', 'x.jsonl');
    const failed = await runCli(['export', '-o', missingDir, '--config', config]);
    t.equal(failed.code, 1);
    t.equal(
      failed.stderr,
      `edge-telemetry: ${missingDir} could not be written (ENOENT); the samples stay buffered\n`,
    );
    const fine = await runCli(['export', '-o', target, '--config', config]);
    t.equal(fine.code, 0, `a regular file is replaced: ${fine.stderr}`);
  },
);

t.test(
  'export --remove: what the file holds leaves as delivered, what no receiver takes as dropped and counted, nothing else',
  async (t) => {
    const { DiskSampleBuffer } = await import('../../src/buffer/disk-buffer.js');
    const { silentLogger } = await import('../../src/base/log.js');
    const node = await tempDir();
    const config = await writeConfig(node, {
      endpoint: 'http://127.0.0.1:9/metrics/v1/receive',
      diskPaths: ['/'],
    });
    const now = Date.now();
    const buffer = await DiskSampleBuffer.open({
      dir: path.join(node, 'data', 'buffer'),
      bounds: { maxSamples: 1000, maxAgeMs: 86_400_000 },
      log: silentLogger,
    });
    // Two good samples, and one whose label name no receiver takes (build-report rejects it).
    await buffer.append([
      { name: 'cluster:cpu_usage_cores:sum', labels: {}, value: 1, timestampMs: now - 2000 },
      { name: 'cluster:memory_usage_bytes:sum', labels: {}, value: 2, timestampMs: now - 2000 },
      {
        name: 'cluster:usage:containers:sum',
        labels: { 'bad label': 'x' },
        value: 3,
        timestampMs: now - 2000,
      },
    ]);
    await buffer.close();
    const file = path.join(node, 'out.jsonl');
    const removing = await runCli(['export', '--output', file, '--remove', '--config', config]);
    t.equal(removing.code, 0, removing.stderr);
    t.match(removing.stdout, /; 3 samples removed from the buffer/);
    const shown = await runCli(['show', '--file', file]);
    t.notMatch(shown.stdout, /bad label/, 'the rejected one is not in the file');
    const reopened = await DiskSampleBuffer.open({
      dir: path.join(node, 'data', 'buffer'),
      bounds: { maxSamples: 1000, maxAgeMs: 86_400_000 },
      log: silentLogger,
    });
    t.equal(reopened.size, 0);
    // As `status` shows it: the primary destination's drops live with its cursor.
    const buffers = await DestinationBuffers.open(
      reopened,
      [{ name: 'primary', startsAt: 'oldest' }],
      new CursorFiles(path.join(node, 'data', 'buffer'), silentLogger),
      silentLogger,
    );
    t.same(
      (await buffers.stats('primary')).dropped,
      { rejected: 1 },
      'the rejected sample counted as dropped, not as delivered',
    );
    await buffers.close();
  },
);
