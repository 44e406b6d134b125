// The daemon as an admin meets it: opt-out, show, reload, signals. Real processes, real files, real HTTP.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { runCli, spawnCli } from '../helpers/cli.js';
import { tempDir, writeConfig, TOKEN } from '../helpers/files.js';
import { ensureDebianBinary } from '../helpers/debian.js';
import { startScriptedReceiver } from '../helpers/scripted-receiver.js';

t.test('status: Disabled: one line, nothing sent, exit 0', async (t) => {
  const receiver = await startScriptedReceiver([]);
  t.teardown(receiver.close);
  const dir = await tempDir();
  const config = await writeConfig(dir, { status: 'Disabled', endpoint: receiver.url });
  for (const command of ['run', 'once']) {
    const result = await runCli([command, '--config', config]);
    t.equal(result.code, 0, command);
    t.equal(result.stderr.trim().split('\n').length, 1, `${command}: one line`);
    t.match(result.stderr, /telemetry is disabled .*To enable it set telemetry.status: Enabled/);
  }
  t.equal(receiver.requests.length, 0, 'nothing sent');
  // Written in a drop-in: the line names the drop-in, where an admin turns it back on.
  await writeConfig(dir, { endpoint: receiver.url });
  await mkdir(path.join(dir, 'telemetry.d'));
  const dropIn = path.join(dir, 'telemetry.d', '90-optout.yaml');
  await writeFile(dropIn, 'telemetry:\n  status: Disabled\n');
  const result = await runCli(['run', '--config', config]);
  t.equal(result.code, 0);
  t.match(result.stderr, `telemetry is disabled (status: Disabled in ${dropIn})`);
  t.equal(receiver.requests.length, 0, 'nothing sent');
});

t.test('once: exit 0 only when every request got a 2xx', async (t) => {
  const ok = await startScriptedReceiver([]);
  const refused = await startScriptedReceiver([], { status: 401, body: 'unauthorized' });
  t.teardown(async () => {
    await ok.close();
    await refused.close();
  });
  const dir = await tempDir();
  t.equal(
    (await runCli(['once', '--config', await writeConfig(dir, { endpoint: ok.url })])).code,
    0,
  );
  t.equal(ok.requests.length, 1);
  const result = await runCli([
    'once',
    '--config',
    await writeConfig(dir, { endpoint: refused.url }),
  ]);
  t.equal(result.code, 1);
  t.match(
    result.stderr,
    /nothing more is delivered by this run \(once does not keep samples\) status=401 .*hint="check the pull secret/,
  );
  t.notMatch(result.stderr, TOKEN);
});

t.test('show prints valid exposition and redacted headers, no network', async (t) => {
  const receiver = await startScriptedReceiver([]);
  t.teardown(receiver.close);
  const dir = await tempDir();
  const config = await writeConfig(dir, { endpoint: receiver.url });
  const result = await runCli(['show', '--config', config]);
  t.equal(result.code, 0, result.stderr);
  t.equal(receiver.connections, 0, 'show never connects to the endpoint');
  t.notMatch(result.stdout + result.stderr, TOKEN, 'token never shown');
  t.match(result.stdout, '# Authorization: Bearer <redacted>');
  t.match(result.stdout, '# pull secret: ok');
  t.match(
    result.stdout,
    /cluster:cpu_usage_cores:sum\{_id="cluster-0123",type="microshift-rpm"\} [\d.e-]+ \d{13}\n/,
  );
  ensureDebianBinary('/usr/bin/promtool', 'prometheus');
  const lint = spawnSync('promtool', ['check', 'metrics'], {
    input: result.stdout,
    encoding: 'utf8',
  });
  // promtool parses everything (exit 1 would be a parse error); its only
  // lint complaint is the ':' that recording-rule names such as
  // cluster:cpu_usage_cores:sum carry by design (docs/metrics.md).
  t.not(lint.status, 1, lint.stderr);
  const problems = (lint.stdout + lint.stderr)
    .trim()
    .split('\n')
    .filter((line) => line !== '');
  for (const problem of problems)
    t.match(problem, /^cluster:\S+ metric names should not contain ':'$/);
});

t.test('SIGHUP: a bad config is refused and the old one kept; a good one is applied', async (t) => {
  const receiver = await startScriptedReceiver([]);
  t.teardown(receiver.close);
  const dir = await tempDir();
  const config = await writeConfig(dir, {
    endpoint: receiver.url,
    samplingInterval: '1s',
    sendingInterval: '1h',
  });
  const daemon = spawnCli(['run', '--config', config]);
  await daemon.waitFor(/report sent/);
  const original = await readFile(config, 'utf8');
  await writeFile(config, 'telemetry:\n  sendingInterval: never\n');
  daemon.child.kill('SIGHUP');
  await daemon.waitFor(
    /reload refused, keeping the running config: .*telemetry\.sendingInterval: "never" is not a duration/,
  );
  await writeFile(config, original.replace('"1h"', '"2s"'));
  daemon.child.kill('SIGHUP');
  await daemon.waitFor(/config reloaded/);
  const before = receiver.requests.length;
  await new Promise((resolve) => setTimeout(resolve, 4500));
  t.ok(receiver.requests.length > before, 'the new sendingInterval of 2s is in force');
  t.equal(await daemon.stop('SIGTERM'), 0);
});

t.test(
  'SIGTERM while the endpoint is down: bounded last send, exit 0, says what was not sent',
  async (t) => {
    const receiver = await startScriptedReceiver([], { status: 503 });
    t.teardown(receiver.close);
    const dir = await tempDir();
    const config = await writeConfig(dir, {
      endpoint: receiver.url,
      samplingInterval: '1s',
      sendingInterval: '1h',
      requestTimeout: '2s',
      retry: { maxAttempts: 3, minDelay: '100ms', maxDelay: '200ms' },
    });
    const daemon = spawnCli(['run', '--config', config]);
    await daemon.waitFor(/send failed; samples kept/);
    t.equal(await daemon.stop('SIGTERM'), 0);
    t.match(daemon.output().stderr, /stopped with samples not sent; .* samples=\d+/);
  },
);

t.test(
  'a garbage pull secret: the daemon keeps running, logs one clear line per send',
  async (t) => {
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const dir = await tempDir();
    const config = await writeConfig(dir, { endpoint: receiver.url });
    await writeFile(`${dir}/pull-secret.json`, '{"auths": {}}');
    const result = await runCli(['once', '--config', config]);
    t.equal(result.code, 1);
    t.match(
      result.stderr,
      `cannot send: pull secret ${dir}/pull-secret.json: no "cloud.openshift.com" entry in "auths"; nothing sent`,
    );
    t.equal(receiver.requests.length, 0);
  },
);

t.test(
  'show with a cluster: the full catalog from the (fake) Kubernetes API, token never shown',
  async (t) => {
    const { generateCluster, startFakeApi } = await import('../helpers/fake-kube-api.js');
    const cluster = generateCluster(300);
    const api = await startFakeApi(cluster);
    t.teardown(api.close);
    const dir = await tempDir();
    const config = await writeConfig(dir, { kubeconfig: api.kubeconfig, extraResources: [] });
    const result = await runCli(['show', '--config', config]);
    t.equal(result.code, 0, result.stderr);
    t.match(
      result.stdout,
      `cluster:usage:resources:sum{_id="cluster-0123",resource="pods",type="microshift-rpm"} ${cluster.truth.runningPods} `,
    );
    t.match(
      result.stdout,
      `cluster:usage:containers:sum{_id="cluster-0123",type="microshift-rpm"} ${cluster.truth.runningContainers} `,
    );
    t.match(
      result.stdout,
      `instance:etcd_object_counts:sum{_id="cluster-0123",type="microshift-rpm"} ${cluster.truth.storedObjects} `,
    );
    t.match(
      result.stdout,
      /cluster:capacity_cpu_cores:sum\{_id="cluster-0123",label_beta_kubernetes_io_instance_type="rhde",label_kubernetes_io_arch="amd64",label_node_openshift_io_os_id="rhel",type="microshift-rpm"\} 8 /,
    );
    t.notMatch(result.stdout + result.stderr, api.token, 'the service-account token never shown');
    t.notMatch(result.stdout + result.stderr, TOKEN);
  },
);
