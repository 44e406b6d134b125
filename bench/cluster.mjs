// npm run bench:cluster — one sampling tick of cluster metrics against the
// 10,000-pod fake API server (in its own process), ours against a naive
// collector that lists whole objects through @kubernetes/client-node.
// Per tick: CPU ms of this process, bytes the API sent, API requests, peak
// heap growth during the tick. Median of TICKS ticks each.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import https from 'node:https';
import v8 from 'node:v8';
import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { KubeConnection } from '../dist/kube/connection.js';
import { resourceCountCollector } from '../dist/collect/cluster/resource-count.js';
import { containerCountCollector } from '../dist/collect/cluster/container-count.js';
import { objectCountCollector } from '../dist/collect/cluster/object-count.js';
import { loadKubeEndpoint } from '../dist/kube/kubeconfig.js';
import { silentLogger } from '../dist/base/log.js';

const PODS = Number(process.env.PODS ?? 10_000);
const TICKS = Number(process.env.TICKS ?? 7);

const server = spawn(
  process.execPath,
  ['--import', '@tapjs/typescript/import', 'bench/fake-api-server.ts', String(PODS)],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const { url, kubeconfig } = JSON.parse(
  await new Promise((resolve) => createInterface({ input: server.stdout }).once('line', resolve)),
);
const ca = readFileSync(kubeconfig, 'utf8').match(/certificate-authority-data: (\S+)/)[1];
const serverStats = (reset) =>
  new Promise((resolve, reject) => {
    https
      .get(
        `${url}/__stats${reset ? '?reset' : ''}`,
        { ca: Buffer.from(ca, 'base64') },
        (response) => {
          let body = '';
          response.on('data', (chunk) => (body += chunk));
          response.on('end', () => resolve(JSON.parse(body)));
        },
      )
      .on('error', reject);
  });

// Ours: the two dynamic collectors of a sampling tick.
const connection = new KubeConnection(kubeconfig, loadKubeEndpoint, 30_000, silentLogger);
const ours = [resourceCountCollector(connection, []), containerCountCollector(connection)];
const oursTick = async () => {
  let points = [];
  for (const collector of ours)
    points = points.concat(
      await collector.collect({ signal: new AbortController().signal, nowMs: Date.now() }),
    );
  return points;
};

// Naive: whole lists through client-node's typed clients, counted in memory.
const config = new k8s.KubeConfig();
config.loadFromFile(kubeconfig);
const core = config.makeApiClient(k8s.CoreV1Api);
const networking = config.makeApiClient(k8s.NetworkingV1Api);
const extensions = config.makeApiClient(k8s.ApiextensionsV1Api);
const custom = config.makeApiClient(k8s.CustomObjectsApi);
const naiveTick = async () => {
  const pods = await core.listPodForAllNamespaces();
  const running = pods.items.filter((pod) => pod.status?.phase === 'Running');
  const containers = running.reduce(
    (sum, pod) =>
      sum + (pod.status?.containerStatuses ?? []).filter((status) => status.state?.running).length,
    0,
  );
  const namespaces = (await core.listNamespace()).items.length;
  const services = (await core.listServiceForAllNamespaces()).items.length;
  const ingresses = (await networking.listIngressForAllNamespaces()).items.length;
  const crds = (await extensions.listCustomResourceDefinition()).items.length;
  const routes = (
    await custom.listClusterCustomObject({
      group: 'route.openshift.io',
      version: 'v1',
      plural: 'routes',
    })
  ).items.length;
  return { pods: running.length, containers, namespaces, services, ingresses, crds, routes };
};

async function measure(name, tick) {
  const rows = [];
  let result;
  for (let i = 0; i < TICKS; i++) {
    globalThis.gc?.();
    await serverStats(true);
    // v8's heap statistics, not process.memoryUsage(): that reads RSS from /proc and would cost more CPU than the tick.
    const heapUsed = () => v8.getHeapStatistics().used_heap_size;
    const heapBefore = heapUsed();
    let heapPeak = heapBefore;
    const sampler = setInterval(() => (heapPeak = Math.max(heapPeak, heapUsed())), 2);
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    result = await tick();
    const cpu = process.cpuUsage(cpuBefore);
    const wallMs = performance.now() - wallBefore;
    clearInterval(sampler);
    heapPeak = Math.max(heapPeak, heapUsed());
    const { requests, bytes } = await serverStats(false);
    rows.push({
      cpuMs: (cpu.user + cpu.system) / 1000,
      wallMs,
      bytes,
      requests,
      heapGrowthMb: (heapPeak - heapBefore) / 1e6,
    });
  }
  const median = (key) =>
    rows.map((row) => row[key]).sort((a, b) => a - b)[Math.floor(rows.length / 2)];
  const figures = {
    cpuMs: median('cpuMs'),
    wallMs: median('wallMs'),
    bytes: median('bytes'),
    requests: median('requests'),
    heapGrowthMb: median('heapGrowthMb'),
  };
  console.log(
    `${name.padEnd(34)} CPU ${figures.cpuMs.toFixed(1).padStart(7)} ms  wall ${figures.wallMs.toFixed(0).padStart(5)} ms  received ${(figures.bytes / 1e6).toFixed(2).padStart(7)} MB  requests ${String(figures.requests).padStart(3)}  peak heap +${figures.heapGrowthMb.toFixed(1)} MB`,
  );
  return { figures, result };
}

console.log(
  `cluster sampling tick on the fake API server with ${PODS} pods (median of ${TICKS} ticks, node ${process.version})`,
);
const mine = await measure('edge-telemetry (paged, compact)', oursTick);
const naive =
  process.env.SKIP_NAIVE === '1'
    ? { figures: mine.figures, result: { pods: 0, containers: 0, crds: 0 } }
    : await measure('naive client-node (whole lists)', naiveTick);
const ratio = (key) => (mine.figures[key] / naive.figures[key]) * 100;
console.log(
  `ours / naive: bytes ${ratio('bytes').toFixed(1)} %, CPU ${ratio('cpuMs').toFixed(1)} %, peak heap growth ${ratio('heapGrowthMb').toFixed(1)} %`,
);
const counted = Object.fromEntries(mine.result.map((p) => [p.labels.resource ?? p.name, p.value]));
console.log(
  `counts agree: pods ${counted.pods} = ${naive.result.pods}, containers ${counted['cluster:usage:containers:sum']} = ${naive.result.containers}, crds ${counted['customresourcedefinitions.apiextensions.k8s.io']} = ${naive.result.crds}`,
);

// The floor: the Table rows of the running pods are the one part that grows
// with the cluster; the API offers no count with a field selector, and a row
// (name, ready, status, restarts, age, IP, node) is its smallest form of a pod.
await serverStats(true);
const { sumPages, ACCEPT_TABLE } = await import('../dist/kube/list-pages.js');
const api = await connection.get();
await sumPages(
  api,
  '/api/v1/pods',
  { accept: ACCEPT_TABLE, fieldSelector: 'status.phase=Running', includeObject: 'None' },
  new AbortController().signal,
);
const podBytes = (await serverStats(false)).bytes;
console.log(
  `floor: running pods as Table rows ${(podBytes / 1e6).toFixed(2)} MB (${(podBytes / counted.pods).toFixed(0)} bytes a pod) of the ${(mine.figures.bytes / 1e6).toFixed(2)} MB; the rest is the kubelets' /metrics and five one-item lists`,
);
await serverStats(true);
const staticCollector = objectCountCollector(connection);
await staticCollector.collect({ signal: new AbortController().signal, nowMs: Date.now() });
const metricsBytes = (await serverStats(false)).bytes;
console.log(
  `at send time only: instance:etcd_object_counts:sum reads the API server /metrics, ${(metricsBytes / 1e6).toFixed(2)} MB here`,
);
server.kill('SIGTERM');
