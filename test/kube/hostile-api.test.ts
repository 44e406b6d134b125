// A Kubernetes API (or anything answering as one) that sends too much, never
// ends a list, or never answers: each costs only the cluster series, and the
// daemon under the unit's 64 MB heap goes on with the host's.
import t, { type Test } from 'tap';
import { execFile, spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generateCluster, startFakeApi } from '../helpers/fake-kube-api.js';
import { loadKubeEndpoint } from '../../src/kube/kubeconfig.js';
import { createKubeApi, MAX_JSON_BYTES } from '../../src/kube/kube-api.js';
import { ACCEPT_METADATA_ONLY, MAX_PAGES, sumPages } from '../../src/kube/list-pages.js';
import type { KubeApi } from '../../src/kube/kube-api.js';
import { ownTempDir, writeConfig } from '../helpers/files.js';
import { startScriptedReceiver } from '../helpers/scripted-receiver.js';

const run = promisify(execFile);
const checkout = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function apiTo(t: Test, options: Parameters<typeof startFakeApi>[1], timeoutMs = 10_000) {
  const fake = await startFakeApi(generateCluster(20), options);
  t.teardown(fake.close);
  const endpoint = await loadKubeEndpoint(fake.kubeconfig);
  if (!endpoint.ok) throw endpoint.error;
  return { fake, api: createKubeApi(endpoint.value, timeoutMs) };
}

t.test(
  'a 100 MB answer to a list: cut at MAX_JSON_BYTES while it arrives, a bad response, not a heap',
  async (t) => {
    const { fake, api } = await apiTo(t, { huge: ['/api/v1/namespaces'] });
    const heapBefore = process.memoryUsage().heapUsed;
    const result = await api.getJson(
      '/api/v1/namespaces?limit=500',
      ACCEPT_METADATA_ONLY,
      AbortSignal.timeout(30_000),
    );
    t.same(result, { kind: 'bad-response', reason: `answer larger than ${MAX_JSON_BYTES} bytes` });
    t.ok(
      fake.stats.bytes < 100_000_000 / 4,
      `the connection was cut early: ${fake.stats.bytes} bytes written by the server`,
    );
    t.ok(process.memoryUsage().heapUsed - heapBefore < 3 * MAX_JSON_BYTES, 'nothing of it kept');
  },
);

t.test(
  'a list whose continue tokens never end: MAX_PAGES requests, then a bad response',
  async (t) => {
    const { fake, api } = await apiTo(t, { endless: ['/api/v1/namespaces'] });
    const before = fake.stats.requests;
    const result = await sumPages(
      api,
      '/api/v1/namespaces',
      { accept: ACCEPT_METADATA_ONLY },
      AbortSignal.timeout(60_000),
    );
    t.same(result, {
      kind: 'bad-response',
      reason: `/api/v1/namespaces: more than ${MAX_PAGES} pages`,
    });
    t.equal(fake.stats.requests - before, MAX_PAGES);
  },
);

t.test('a continue token that comes back: stopped at its second coming', async (t) => {
  let calls = 0;
  const api: KubeApi = {
    getJson: async () => {
      calls++;
      return { kind: 'ok', value: { items: [{}], metadata: { continue: 'same' } } };
    },
    getLines: async () => ({ kind: 'ok', value: null }),
  };
  const result = await sumPages(
    api,
    '/api/v1/pods',
    { accept: ACCEPT_METADATA_ONLY },
    AbortSignal.timeout(5000),
  );
  t.same(result, {
    kind: 'bad-response',
    reason: '/api/v1/pods: a continue token came back twice',
  });
  t.equal(calls, 2, 'the first page, then its token, which comes back');
});

t.test('an API that accepts and never answers: unreachable at the request deadline', async (t) => {
  const { api } = await apiTo(t, { silent: ['/api/v1/namespaces'] }, 500);
  const result = await api.getJson(
    '/api/v1/namespaces?limit=500',
    ACCEPT_METADATA_ONLY,
    AbortSignal.timeout(30_000),
  );
  t.same(result, { kind: 'unreachable', reason: 'no answer within 500 ms' });
});

t.test(
  'the daemon as the unit runs it (launcher, bundle, 64 MB heap) against an API answering every list with 100 MB: it goes on and sends',
  async (t) => {
    const fake = await startFakeApi(generateCluster(20));
    t.teardown(fake.close);
    fake.setOptions({
      huge: ['/api/v1/pods', '/api/v1/namespaces', '/api/v1/nodes', '/api/v1/services', '/metrics'],
    });
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const config = await writeConfig(await ownTempDir(t), {
      endpoint: receiver.url,
      samplingInterval: '1s',
      sendingInterval: '3s',
      splay: '0s',
      kubeconfig: fake.kubeconfig,
    });
    // As deployed: the release's launcher and bundle on this Node.js line (dist/ is not what ships: on Node 22 under
    // --lite-mode its ES imports of node:http would load undici, which the bundle avoids).
    const out = await ownTempDir(t);
    await run(process.execPath, [path.join(checkout, 'scripts', 'package.mjs'), '--out', out]);
    const [release] = (await readdir(out)).filter((name) => !name.endsWith('.tar.gz'));
    const launcher = path.join(
      out,
      release as string,
      'root',
      'usr',
      'local',
      'lib',
      'edge-telemetry',
      'edge-telemetry',
    );
    const daemon = spawn(launcher, ['run', '--config', config], {
      env: { PATH: '/usr/bin:/bin', EDGE_TELEMETRY_NODE: process.execPath },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    daemon.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) =>
      daemon.on('exit', (code) => resolve(code)),
    );
    t.teardown(() => void daemon.kill('SIGKILL'));
    for (
      let waited = 0;
      receiver.requests.length < 2 && daemon.exitCode === null && waited < 60_000;
      waited += 200
    )
      await new Promise((resolve) => setTimeout(resolve, 200));
    t.equal(daemon.exitCode, null, `still running: ${stderr.slice(-500)}`);
    t.notMatch(stderr, /heap limit|FATAL|out of memory/i);
    t.ok(receiver.requests.length >= 2, `${receiver.requests.length} requests delivered`);
    const names = new Set(
      receiver.requests.flatMap((request) =>
        request.series.map(
          (series) => series.labels.find((label) => label.name === '__name__')?.value,
        ),
      ),
    );
    t.ok(names.has('cluster:cpu_usage_cores:sum'), 'the host series go');
    daemon.kill('SIGTERM');
    t.equal(await exited, 0);
  },
);

t.test(
  'capacity while the API does not answer: the host figures, within the collector deadline',
  async (t) => {
    const { capacityCollector } = await import('../../src/collect/host/capacity.js');
    const { nodeCapacitySource } = await import('../../src/collect/cluster/index.js');
    const { KubeConnection } = await import('../../src/kube/connection.js');
    const { runCollectors } = await import('../../src/collect/run-collectors.js');
    const { silentLogger } = await import('../../src/base/log.js');
    const os = await import('node:os');
    const cluster = generateCluster(20);
    const fake = await startFakeApi(cluster, { silent: ['/api/v1/nodes'] });
    t.teardown(fake.close);
    // The request deadline as long as the collector's: only the capacity collector's own share saves the series.
    const connection = new KubeConnection(fake.kubeconfig, loadKubeEndpoint, 2000, silentLogger);
    const collector = capacityCollector({ root: '' }, nodeCapacitySource(connection));
    const result = await runCollectors([collector], 'static', {
      timeoutMs: 2000,
      signal: new AbortController().signal,
      log: silentLogger,
    });
    t.same(result.failed, []);
    t.same(
      result.points.map((point) => [point.name, point.value]),
      [
        ['cluster:capacity_cpu_cores:sum', os.cpus().length],
        ['cluster:capacity_memory_bytes:sum', os.totalmem()],
      ],
    );
    fake.setOptions({});
    const answered = await runCollectors([collector], 'static', {
      timeoutMs: 5000,
      signal: new AbortController().signal,
      log: silentLogger,
    });
    const cores = (points: readonly { name: string; value: number }[]) =>
      points
        .filter((point) => point.name === 'cluster:capacity_cpu_cores:sum')
        .reduce((sum, point) => sum + point.value, 0);
    const nodeCores = cluster.nodes.reduce(
      (sum, node) => sum + Number((node.status as { capacity: { cpu: string } }).capacity.cpu),
      0,
    );
    t.equal(cores(answered.points), nodeCores, "once the API answers, the Nodes' own");
  },
);
