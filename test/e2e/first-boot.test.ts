// A fresh MicroShift node: the cluster id file appears some time after the
// daemon starts. Real processes, real files, real HTTP on 127.0.0.1.
import t from 'tap';
import { spawn } from 'node:child_process';
import { chmod, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CLI, runCli, spawnCli, type CliResult } from '../helpers/cli.js';
import { ownTempDir, writeConfig, TOKEN } from '../helpers/files.js';
import { startScriptedReceiver } from '../helpers/scripted-receiver.js';
import { CLUSTER_ID_LABEL } from '../../src/base/model.js';

const WAITING = 'does not exist yet; waiting for it';
const NEW_ID = 'd1b0c6a5-7f0e-4b43-9c36-2f1a8e0c4b11';

t.test(
  'run waits for a cluster id file that does not exist yet, keeps sampling, and sends once it appears',
  async (t) => {
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const dir = await ownTempDir(t);
    const idFile = path.join(dir, 'microshift-cluster-id');
    const config = await writeConfig(dir, {
      endpoint: receiver.url,
      clusterIdFile: idFile,
      samplingInterval: '1s',
      sendingInterval: '1h',
    });
    // check-config agrees with run: not an error, one note.
    const checked = await runCli(['check-config', '--config', config]);
    t.equal(checked.code, 0, checked.stderr);
    t.equal(
      checked.stderr,
      `edge-telemetry: note: cluster id file ${idFile} does not exist yet (MicroShift writes it on its first start); the daemon waits for it and sends once it appears\n`,
    );

    const daemon = spawnCli(['--log-level', 'debug', 'run', '--config', config]);
    t.teardown(() => daemon.stop('SIGKILL'));
    await daemon.waitFor(new RegExp(`cluster id file ${idFile} ${WAITING}`));
    // Three sampling ticks while waiting: the samples are kept, nothing is sent.
    await daemon.waitFor(/(sampled[^\n]*\n[^]*){3}/);
    t.equal(receiver.requests.length, 0, 'nothing sent without a cluster id');
    // MicroShift writes the kube-system UID, no newline.
    await writeFile(idFile, NEW_ID);
    await daemon.waitFor(
      /cluster id file \S+ is there now \(cluster id d1b0c6a5-7f0e-4b43-9c36-2f1a8e0c4b11\); sending/,
    );
    await daemon.waitFor(/report sent/);
    t.equal(
      daemon.output().stderr.match(/report sent/g)?.length,
      1,
      'one report, not one per tick waited',
    );
    // The report: the samples taken while waiting, then the current values in a request of their own.
    t.equal(receiver.requests.length, 2);
    const series = receiver.requests.flatMap((request) => request.series);
    t.ok(series.length > 0);
    for (const item of series)
      t.equal(item.labels.find((label) => label.name === CLUSTER_ID_LABEL)?.value, NEW_ID);
    const usage = series.filter((item) =>
      item.labels.some((label) => label.value === 'cluster:cpu_usage_cores:sum'),
    );
    // Every tick logged while waiting is in the report; a tick may also land while the send runs.
    const tickTimes = (text: string) =>
      [...text.matchAll(/debug: sampled [^\n]*timestampMs=(\d+)/g)].map((match) =>
        Number(match[1]),
      );
    const stderr = daemon.output().stderr;
    const waited = tickTimes(stderr.split('is there now')[0] ?? '');
    const beforeReport = tickTimes(stderr.split('report sent')[0] ?? '');
    const reported = usage
      .flatMap((item) => item.samples.map((sample) => sample.timestampMs))
      .sort();
    t.ok(waited.length >= 3);
    t.same(
      reported.filter((ms) => waited.includes(ms)),
      waited.sort(),
      'every sample taken while waiting is in the first report',
    );
    t.same(
      reported.filter((ms) => !beforeReport.includes(ms)),
      [],
      'and nothing that was not sampled',
    );
    t.equal(await daemon.stop('SIGTERM'), 0);
    t.equal(daemon.output().stderr.split(WAITING).length - 1, 1, 'the wait is logged once');
    t.notMatch(daemon.output().stderr, TOKEN);
  },
);

t.test('once and show with a cluster id file that does not exist yet', async (t) => {
  const receiver = await startScriptedReceiver([]);
  t.teardown(receiver.close);
  const dir = await ownTempDir(t);
  const idFile = path.join(dir, 'not-yet');
  const config = await writeConfig(dir, { endpoint: receiver.url, clusterIdFile: idFile });
  const once = await runCli(['once', '--config', config]);
  t.equal(once.code, 1, 'a one-shot cannot wait: it fails');
  t.equal(
    once.stderr,
    `edge-telemetry: cluster id file ${idFile} does not exist yet (MicroShift writes it on its first start); nothing sent\n`,
  );
  const show = await runCli(['show', '--config', config]);
  t.equal(show.code, 0, show.stderr);
  t.match(
    show.stdout,
    /cluster:cpu_usage_cores:sum\{_id="<not known yet>",type="microshift-rpm"\} /,
  );
  t.match(
    show.stdout,
    `# cluster id not known yet: cluster id file ${idFile}: not found (MicroShift writes it on its first start); _id="<not known yet>" is a placeholder and nothing is sent until the id is known\n`,
  );
  t.equal(receiver.requests.length, 0);
});

/** As an unprivileged user when root (root reads a 0600 file anyway). */
/**
 * Root without the capabilities that bypass file permissions, as the hardened
 * unit runs it (CapabilityBoundingSet=): a 0000 file is unreadable even to its
 * owner, while the checkout (wherever a clone sits) stays readable.
 */
function runWithoutDacOverride(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // Without the NODE_OPTIONS tap adds to every child: its hooks are not needed here.
    const child = spawn(
      'setpriv',
      [
        '--bounding-set=-dac_override,-dac_read_search',
        '--',
        '/usr/bin/env',
        '-u',
        'NODE_OPTIONS',
        process.execPath,
        CLI,
        ...args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

t.test(
  'an unreadable cluster id file is exit 2 with one line, in run and check-config alike',
  async (t) => {
    const dir = await ownTempDir(t);
    const config = await writeConfig(dir, { endpoint: 'http://127.0.0.1:9/metrics/v1/receive' });
    const idFile = path.join(dir, 'cluster-id');
    await chmod(idFile, 0o000);
    const asRoot = process.getuid?.() === 0;
    for (const command of ['run', 'check-config']) {
      const result = asRoot
        ? await runWithoutDacOverride([command, '--config', config])
        : await runCli([command, '--config', config]);
      t.equal(result.code, 2, command);
      t.equal(
        result.stderr,
        `edge-telemetry: cluster id file ${idFile}: permission denied\n`,
        command,
      );
    }
  },
);

t.test(
  'SIGHUP: a proxy URL refused on reload is logged with its password redacted; a broken id file is refused too',
  async (t) => {
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const dir = await ownTempDir(t);
    const config = await writeConfig(dir, {
      endpoint: receiver.url,
      samplingInterval: '1s',
      sendingInterval: '1h',
    });
    const daemon = spawnCli(['run', '--config', config]);
    t.teardown(() => daemon.stop('SIGKILL'));
    await daemon.waitFor(/report sent/);
    const original = await import('node:fs/promises').then((fs) => fs.readFile(config, 'utf8'));
    await writeFile(
      config,
      original.replace(
        '"kubeconfig": ""',
        '"kubeconfig": "", "proxy": "http://admin:s3cr3t-pr0xy@proxy.example:99999"',
      ),
    );
    daemon.child.kill('SIGHUP');
    await daemon.waitFor(
      /reload refused, keeping the running config: .*telemetry\.proxy: "http:\/\/admin:REDACTED@proxy\.example:99999" is not a URL/,
    );
    t.notMatch(daemon.output().stderr, 's3cr3t-pr0xy');
    await writeFile(config, original);
    await writeFile(path.join(dir, 'cluster-id'), '');
    daemon.child.kill('SIGHUP');
    await daemon.waitFor(/reload refused, keeping the running config: cluster id file \S+: empty/);
    t.equal(await daemon.stop('SIGTERM'), 0, 'still running the old config, stops cleanly');
    t.match(
      daemon.output().stderr,
      /report sent[^]*report sent/,
      'the last send at stop went out with the id it had',
    );
    await rm(path.join(dir, 'cluster-id'));
  },
);
