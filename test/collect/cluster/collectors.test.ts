// Cluster metrics against the fake API server (test/helpers/fake-kube-api.ts):
// no real Kubernetes API server can run here, so the fake reproduces the API
// semantics the collectors rely on. Counts must equal the fake's ground truth.
import t from 'tap';
import { rm, writeFile, copyFile } from 'node:fs/promises';
import path from 'node:path';
import { generateCluster, startFakeApi, type FakeCluster } from '../../helpers/fake-kube-api.js';
import { KubeConnection } from '../../../src/kube/connection.js';
import { clusterCollectors, nodeCapacitySource } from '../../../src/collect/cluster/index.js';
import { capacityByNodeLabels } from '../../../src/collect/cluster/nodes.js';
import { countStorageImages } from '../../../src/collect/cluster/image-count.js';
import {
  containerCountCollector,
  PROXY_RETRY_MS,
} from '../../../src/collect/cluster/container-count.js';
import { loadKubeEndpoint } from '../../../src/kube/kubeconfig.js';
import { parseQuantity } from '../../../src/collect/cluster/quantity.js';
import { sampleValue } from '../../../src/collect/cluster/prometheus-text.js';
import { summarisePage } from '../../../src/kube/list-pages.js';
import { runCollectors } from '../../../src/collect/run-collectors.js';
import { capacityCollector } from '../../../src/collect/host/capacity.js';
import { cpuUsageCollector } from '../../../src/collect/host/cpu.js';
import type { Logger } from '../../../src/base/log.js';
import type { MetricPoint } from '../../../src/base/model.js';
import { tempDir } from '../../helpers/files.js';

function recorder(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    lines.push(`${level}: ${message}${fields ? ' ' + JSON.stringify(fields) : ''}`);
  return {
    log: { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') },
    lines,
  };
}

async function setup(
  t: { teardown(fn: () => unknown): void },
  cluster: FakeCluster,
  options: { forbidden?: string[]; garbage?: string[]; extra?: string[]; kubeconfig?: string } = {},
) {
  const api = await startFakeApi(cluster, {
    forbidden: options.forbidden ?? [],
    garbage: options.garbage ?? [],
  });
  t.teardown(api.close);
  const { log, lines } = recorder();
  const connection = new KubeConnection(
    options.kubeconfig ?? api.kubeconfig,
    loadKubeEndpoint,
    10_000,
    log,
  );
  const extraResources = (options.extra ?? []).map((entry) => {
    const [group, version, resource] = entry.split('/') as [string, string, string];
    return { group, version, resource };
  });
  const collectors = [
    capacityCollector({ root: '' }, nodeCapacitySource(connection)),
    ...clusterCollectors(connection, { extraResources, imagesFile: '/nonexistent/images.json' }),
  ];
  const tick = async (kind: 'static' | 'dynamic') =>
    (
      await runCollectors(collectors, kind, {
        timeoutMs: 30_000,
        signal: new AbortController().signal,
        log,
      })
    ).points;
  return { api, lines, tick, connection };
}

function value(
  points: readonly MetricPoint[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return points.find(
    (p) => p.name === name && Object.entries(labels).every(([k, v]) => p.labels[k] === v),
  )?.value;
}

const resources = (points: readonly MetricPoint[]): Record<string, number> =>
  Object.fromEntries<number>(
    points
      .filter((p) => p.name === 'cluster:usage:resources:sum')
      .map((p) => [p.labels.resource ?? '', p.value]),
  );

for (const size of [10, 1000, 10_000]) {
  t.test(`counts equal the ground truth: ${size} pods`, async (t) => {
    const cluster = generateCluster(size, {
      extra: { '/apis/policies.kubewarden.io/v1/clusteradmissionpolicies': 17 },
    });
    const { api, tick, lines } = await setup(t, cluster, {
      extra: ['policies.kubewarden.io/v1/clusteradmissionpolicies'],
    });
    const dynamic = await tick('dynamic');
    t.same(resources(dynamic), {
      pods: cluster.truth.runningPods,
      namespaces: cluster.truth.namespaces,
      services: cluster.truth.services,
      'ingresses.networking.k8s.io': cluster.truth.ingresses,
      'routes.route.openshift.io': cluster.truth.routes,
      'customresourcedefinitions.apiextensions.k8s.io': cluster.truth.crds,
      'clusteradmissionpolicies.policies.kubewarden.io': 17,
    });
    t.equal(
      value(dynamic, 'cluster:usage:containers:sum'),
      cluster.truth.runningContainers,
      'running containers from the kubelets',
    );
    // Cost: every list in a tick is paged; none fetches whole objects.
    api.stats.paths.forEach((requestPath, index) => {
      if (requestPath.includes('/proxy/metrics')) return;
      t.match(requestPath, /[?&]limit=(1|500)(&|$)/, `${requestPath} is paged`);
      t.match(
        api.stats.accepts[index],
        /as=(Table|PartialObjectMetadataList)/,
        `${requestPath} asks for a compact form`,
      );
    });
    const pages = Math.max(1, Math.ceil(cluster.truth.runningPods / 500));
    t.equal(
      api.stats.paths.filter((p) => p.startsWith('/api/v1/pods?')).length,
      pages,
      `running pods in ${pages} pages`,
    );
    const staticPoints = await tick('static');
    t.equal(value(staticPoints, 'instance:etcd_object_counts:sum'), cluster.truth.storedObjects);
    t.equal(
      value(staticPoints, 'cluster:usage:container_images:sum'),
      cluster.truth.nodeImages,
      'images from the nodes when CRI-O storage is not readable',
    );
    const nodes = cluster.nodes.length;
    const expectedCores = cluster.nodes.reduce(
      (sum, node) => sum + Number((node.status as { capacity: { cpu: string } }).capacity.cpu),
      0,
    );
    const cores = staticPoints.filter((p) => p.name === 'cluster:capacity_cpu_cores:sum');
    t.equal(
      cores.reduce((sum, p) => sum + p.value, 0),
      expectedCores,
      `cores summed over ${nodes} nodes`,
    );
    for (const p of cores) {
      t.ok(
        ['amd64', 'arm64'].includes(p.labels.label_kubernetes_io_arch ?? ''),
        'arch from the node label',
      );
      t.equal(p.labels.label_node_openshift_io_os_id, 'rhel');
      t.ok(['rhde', 'edge-small'].includes(p.labels.label_beta_kubernetes_io_instance_type ?? ''));
    }
    t.same(
      lines.filter((line) => line.startsWith('warn')),
      [],
      'no warnings on a healthy cluster',
    );
  });
}

t.test(
  "memory.betweenSteps (the daemon's minor collection) runs once per API request, whatever the answer",
  async (t) => {
    const cluster = generateCluster(50, { openshift: false });
    const api = await startFakeApi(cluster, { forbidden: ['/metrics'], garbage: [] });
    t.teardown(api.close);
    let answers = 0;
    const connection = new KubeConnection(
      api.kubeconfig,
      loadKubeEndpoint,
      10_000,
      recorder().log,
      { afterWork: () => {}, betweenSteps: () => answers++ },
    );
    const collectors = clusterCollectors(connection, {
      extraResources: [],
      imagesFile: '/nonexistent/images.json',
    });
    const before = api.stats.requests;
    for (const kind of ['dynamic', 'static'] as const)
      await runCollectors(collectors, kind, {
        timeoutMs: 30_000,
        signal: new AbortController().signal,
        log: recorder().log,
      });
    const requests = api.stats.requests - before;
    t.ok(requests > 5, `${requests} requests, a 403 and 404s among them`);
    t.equal(answers, requests);
  },
);

t.test(
  '403 and 404 per resource: left out, one warning each, the rest still counted',
  async (t) => {
    const cluster = generateCluster(50, { openshift: false });
    const { tick, lines } = await setup(t, cluster, {
      forbidden: ['/apis/apiextensions.k8s.io/v1/customresourcedefinitions', '/metrics'],
    });
    for (let i = 0; i < 3; i++) {
      const points = await tick('dynamic');
      t.same(Object.keys(resources(points)).sort(), [
        'ingresses.networking.k8s.io',
        'namespaces',
        'pods',
        'services',
      ]);
      const staticPoints = await tick('static');
      t.equal(
        value(staticPoints, 'instance:etcd_object_counts:sum'),
        undefined,
        'no API server metrics when forbidden',
      );
    }
    const warnings = lines.filter((line) => line.startsWith('warn'));
    t.equal(warnings.length, 3, warnings.join('\n'));
    t.match(
      warnings.join('\n'),
      /resource routes\.route\.openshift\.io not available \(HTTP 404\)/,
    );
    t.match(
      warnings.join('\n'),
      /resource customresourcedefinitions\.apiextensions\.k8s\.io not available \(HTTP 403\)/,
    );
    t.match(warnings.join('\n'), /API server \/metrics not available \(HTTP 403\)/);
  },
);

t.test(
  'node proxy forbidden: containers counted from pod statuses, said once; the proxy is tried again later',
  async (t) => {
    const cluster = generateCluster(1200);
    const { api, lines, connection } = await setup(t, cluster, { forbidden: ['proxy'] });
    const collector = containerCountCollector(connection);
    const count = async (nowMs: number) =>
      (
        await collector.collect({ signal: new AbortController().signal, timeoutMs: 10_000, nowMs })
      )[0]?.value;
    t.equal(await count(0), cluster.truth.runningContainers);
    const proxyCalls = () => api.stats.paths.filter((p) => p.includes('/proxy/')).length;
    const before = proxyCalls();
    t.equal(await count(60_000), cluster.truth.runningContainers);
    t.equal(proxyCalls(), before, 'within the hour the forbidden proxy is not asked again');
    t.equal(lines.filter((line) => line.includes('costs more')).length, 1, 'said once');
    api.setOptions({});
    t.equal(await count(PROXY_RETRY_MS + 1), cluster.truth.runningContainers);
    t.ok(proxyCalls() > before, 'after an hour the proxy is asked again, and now allowed');
    t.match(lines.join('\n'), /node proxy to the kubelet metrics allowed again/);
  },
);

t.test(
  'API unreachable: host metrics still go out, one warning, cluster metrics return by themselves',
  async (t) => {
    const cluster = generateCluster(30);
    const { api, lines, connection } = await setup(t, cluster);
    const collectors = [
      cpuUsageCollector({ root: '' }),
      ...clusterCollectors(connection, { extraResources: [] }),
    ];
    const tick = async () =>
      (
        await runCollectors(collectors, 'dynamic', {
          timeoutMs: 30_000,
          signal: new AbortController().signal,
          log: connection.log,
        })
      ).points;
    t.equal(resources(await tick()).pods, cluster.truth.runningPods);
    // Stop the API server; the port refuses connections now.
    await api.close();
    for (let i = 0; i < 3; i++) {
      const points = await tick();
      t.ok(
        value(points, 'cluster:cpu_usage_cores:sum') !== undefined,
        'host metric still collected',
      );
      t.equal(value(points, 'cluster:usage:resources:sum'), undefined);
    }
    t.equal(
      lines.filter((line) => line.includes('Kubernetes API unreachable')).length,
      1,
      'one warning, not one per tick',
    );
  },
);

t.test('the API coming back after an outage is picked up without a restart', async (t) => {
  const cluster = generateCluster(30);
  const first = await startFakeApi(cluster);
  const dir = await tempDir();
  const kubeconfig = path.join(dir, 'kubeconfig');
  const { log, lines } = recorder();
  const connection = new KubeConnection(kubeconfig, loadKubeEndpoint, 5000, log);
  const collectors = clusterCollectors(connection, { extraResources: [] });
  const tick = async () =>
    (
      await runCollectors(collectors, 'dynamic', {
        timeoutMs: 30_000,
        signal: new AbortController().signal,
        log,
      })
    ).points;
  t.same(await tick(), [], 'kubeconfig missing: nothing, no crash');
  t.same(await tick(), []);
  t.equal(
    lines.filter((line) => line.includes('not found; cluster metrics are left out')).length,
    1,
    'said once',
  );
  await copyFile(first.kubeconfig, kubeconfig);
  t.equal(
    resources(await tick()).pods,
    cluster.truth.runningPods,
    'the kubeconfig appeared: counted',
  );
  t.match(lines.join('\n'), /kubeconfig .* loaded/);
  await first.close();
  t.same(resources(await tick()), {});
  await rm(kubeconfig);
});

t.test('garbage and truncated answers never crash; that series is left out', async (t) => {
  const cluster = generateCluster(40);
  const { tick, lines } = await setup(t, cluster, { garbage: ['/api/v1/namespaces', '/metrics'] });
  const points = await tick('dynamic');
  t.equal(resources(points).namespaces, undefined);
  t.equal(resources(points).pods, cluster.truth.runningPods);
  const staticPoints = await tick('static');
  t.equal(
    value(staticPoints, 'instance:etcd_object_counts:sum'),
    undefined,
    'a truncated /metrics is not summed',
  );
  t.match(lines.join('\n'), /resource namespaces: unreadable answer/);
});

t.test('CRI-O storage image list is preferred when readable', async (t) => {
  const cluster = generateCluster(10);
  const api = await startFakeApi(cluster);
  t.teardown(api.close);
  const dir = await tempDir();
  const imagesFile = path.join(dir, 'images.json');
  await writeFile(
    imagesFile,
    JSON.stringify([{ id: 'a', names: ['x'] }, { id: 'b' }, { id: 'c' }]),
  );
  const connection = new KubeConnection(api.kubeconfig, loadKubeEndpoint, 5000, recorder().log);
  const points = (
    await runCollectors(
      clusterCollectors(connection, { extraResources: [], imagesFile }),
      'static',
      {
        timeoutMs: 10_000,
        signal: new AbortController().signal,
        log: recorder().log,
      },
    )
  ).points;
  t.equal(value(points, 'cluster:usage:container_images:sum'), 3);
});

t.test('pure parts', async (t) => {
  t.equal(parseQuantity('4'), 4);
  t.equal(parseQuantity('500m'), 0.5);
  t.equal(parseQuantity('32778132Ki'), 32778132 * 1024);
  t.equal(parseQuantity('1.5Gi'), 1.5 * 2 ** 30);
  t.equal(parseQuantity('2e3'), 2000);
  t.equal(parseQuantity('lots'), undefined);
  t.equal(
    sampleValue(
      'kubelet_running_containers{container_state="running"} 42',
      'kubelet_running_containers',
      { container_state: 'running' },
    ),
    42,
  );
  t.equal(
    sampleValue(
      'kubelet_running_containers{container_state="exited"} 42',
      'kubelet_running_containers',
      { container_state: 'running' },
    ),
    undefined,
  );
  t.equal(
    sampleValue('kubelet_running_containers_total 9', 'kubelet_running_containers'),
    undefined,
    'prefix of another metric',
  );
  t.equal(
    sampleValue(
      'apiserver_storage_objects{resource="pods"} 12 1700000000',
      'apiserver_storage_objects',
    ),
    12,
  );
  t.same(summarisePage({ kind: 'Table', rows: [{}, {}], metadata: { continue: 'x' } }), {
    count: 2,
    continueToken: 'x',
    remainingItemCount: undefined,
  });
  t.same(summarisePage({ items: [], metadata: { remainingItemCount: 5, continue: '' } }), {
    count: 0,
    continueToken: undefined,
    remainingItemCount: 5,
  });
  t.equal(summarisePage('garbage'), undefined);
  t.equal(countStorageImages('[{"id":"a"}]'), 1);
  t.equal(countStorageImages('{'), undefined);
  t.same(
    capacityByNodeLabels([
      {
        metadata: { labels: { 'kubernetes.io/arch': 'amd64' } },
        status: { capacity: { cpu: '2', memory: '1Gi' } },
      },
      {
        metadata: { labels: { 'kubernetes.io/arch': 'amd64' } },
        status: { capacity: { cpu: '4', memory: '1Gi' } },
      },
      {
        metadata: {
          labels: { 'kubernetes.io/arch': 'arm64', 'beta.kubernetes.io/instance-type': 'old' },
        },
        status: { capacity: { cpu: '1' } },
      },
    ]),
    [
      { labels: { label_kubernetes_io_arch: 'amd64' }, cpuCores: 6, memoryBytes: 2 * 2 ** 30 },
      {
        labels: {
          label_kubernetes_io_arch: 'arm64',
          label_beta_kubernetes_io_instance_type: 'old',
        },
        cpuCores: 1,
        memoryBytes: 0,
      },
    ],
  );
});
