// A faithful fake of the Kubernetes API server, for the semantics cluster
// metrics depend on. No real API server can run on these machines (none is
// packaged), so this reproduces, from the API conventions and recorded object
// shapes: HTTPS with a bearer token, limit/continue, remainingItemCount (absent
// with a selector and on the last page), fieldSelector=status.phase=...,
// the metadata-only (PartialObjectMetadataList) and Table Accept forms with
// includeObject, the node proxy to the kubelet's /metrics, the API server's
// own /metrics, 403/404 per resource, and objects as real ones look (metadata
// with managedFields, spec, status).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { TLSSocket } from 'node:tls';
import { rm, writeFile } from 'node:fs/promises';
import { tempDir } from './files.js';
import { makeCa } from './pki.js';

type KubeObject = Record<string, unknown> & { metadata: Record<string, unknown> };

export interface FakeCluster {
  readonly resources: ReadonlyMap<string, KubeObject[]>;
  readonly nodes: KubeObject[];
  /** Running containers on each node, what its kubelet reports. */
  readonly perNodeRunning: readonly number[];
  /** What a correct collector must report. */
  readonly truth: {
    runningPods: number;
    namespaces: number;
    services: number;
    ingresses: number;
    routes: number;
    crds: number;
    runningContainers: number;
    storedObjects: number;
    nodeImages: number;
    extra: Record<string, number>;
  };
}

const iso = (day: number) =>
  new Date(Date.UTC(2026, 9, 1 + (day % 28), day % 24, 0, 0)).toISOString().replace('.000', '');

function uid(n: number): string {
  const hex = ((n * 2654435761) >>> 0).toString(16).padStart(8, '0');
  return `${hex}-${hex.slice(0, 4)}-4${hex.slice(1, 4)}-a${hex.slice(2, 5)}-${hex}${hex.slice(0, 4)}`;
}

function managedFields(manager: string, day: number): unknown[] {
  return [
    {
      manager,
      operation: 'Update',
      apiVersion: 'v1',
      time: iso(day),
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': {
          'f:labels': { '.': {}, 'f:app': {} },
          'f:ownerReferences': { '.': {}, 'k:{"uid":"x"}': {} },
        },
        'f:spec': {
          'f:containers': {
            'k:{"name":"main"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:resources': {} },
          },
        },
      },
    },
    {
      manager: 'kubelet',
      operation: 'Update',
      apiVersion: 'v1',
      time: iso(day + 1),
      fieldsType: 'FieldsV1',
      subresource: 'status',
      fieldsV1: {
        'f:status': {
          'f:conditions': { 'k:{"type":"Ready"}': { '.': {}, 'f:status': {} } },
          'f:containerStatuses': {},
          'f:phase': {},
          'f:podIP': {},
        },
      },
    },
  ];
}

function pod(
  index: number,
  namespace: string,
  node: string,
  phase: string,
  containers: number,
  crashing: boolean,
): KubeObject {
  const name = `app-${index % 97}-7d9f8b${(index % 1000).toString(36)}-${index.toString(36).padStart(5, 'x')}`;
  const names = Array.from({ length: containers }, (_, c) => (c === 0 ? 'main' : `sidecar-${c}`));
  const state = (c: number) =>
    phase === 'Running'
      ? crashing && c === containers - 1
        ? {
            waiting: {
              reason: 'CrashLoopBackOff',
              message: 'back-off 5m0s restarting failed container',
            },
          }
        : { running: { startedAt: iso(index) } }
      : phase === 'Succeeded'
        ? {
            terminated: {
              exitCode: 0,
              reason: 'Completed',
              startedAt: iso(index),
              finishedAt: iso(index + 1),
            },
          }
        : { waiting: { reason: 'ContainerCreating' } };
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name,
      generateName: name.slice(0, -5),
      namespace,
      uid: uid(index),
      resourceVersion: String(100000 + index),
      creationTimestamp: iso(index),
      labels: { app: `app-${index % 97}`, 'pod-template-hash': '7d9f8b' },
      annotations: {
        'openshift.io/scc': 'restricted-v2',
        'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default',
      },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: `app-${index % 97}-7d9f8b`,
          uid: uid(index + 7),
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      managedFields: managedFields('kube-controller-manager', index),
    },
    spec: {
      containers: names.map((containerName) => ({
        name: containerName,
        image: `quay.io/example/${containerName}:1.${index % 9}`,
        imagePullPolicy: 'IfNotPresent',
        ports: [{ containerPort: 8080, protocol: 'TCP' }],
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
        env: [{ name: 'LOG_LEVEL', value: 'info' }],
        volumeMounts: [
          {
            name: 'kube-api-access',
            readOnly: true,
            mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
          },
        ],
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        securityContext: {
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          runAsNonRoot: true,
        },
      })),
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      nodeName: node,
      securityContext: { seLinuxOptions: { level: 's0:c26,c5' }, fsGroup: 1000660000 },
      schedulerName: 'default-scheduler',
      tolerations: [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
      ],
      volumes: [
        {
          name: 'kube-api-access',
          projected: {
            sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }],
            defaultMode: 420,
          },
        },
      ],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
    status: {
      phase,
      conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
        type,
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: iso(index),
      })),
      hostIP: '192.168.122.10',
      podIP: `10.42.${(index >> 8) & 255}.${index & 255}`,
      podIPs: [{ ip: `10.42.${(index >> 8) & 255}.${index & 255}` }],
      startTime: iso(index),
      containerStatuses: names.map((containerName, c) => ({
        name: containerName,
        state: state(c),
        lastState: {},
        ready: phase === 'Running',
        restartCount: crashing ? 7 : 0,
        image: `quay.io/example/${containerName}:1.${index % 9}`,
        imageID: `quay.io/example/${containerName}@sha256:${'ab'.repeat(32)}`,
        containerID: `cri-o://${'cd'.repeat(32)}`,
        started: phase === 'Running',
      })),
      qosClass: 'Burstable',
    },
  };
}

function simple(
  kind: string,
  apiVersion: string,
  name: string,
  namespace: string | undefined,
  index: number,
  extra: Record<string, unknown> = {},
): KubeObject {
  return {
    kind,
    apiVersion,
    metadata: {
      name,
      ...(namespace === undefined ? {} : { namespace }),
      uid: uid(index),
      resourceVersion: String(500000 + index),
      creationTimestamp: iso(index),
      labels: { 'app.kubernetes.io/name': name.slice(0, 40) },
      managedFields: managedFields('kubectl-client-side-apply', index),
    },
    ...extra,
  };
}

function crd(index: number): KubeObject {
  // Real CRDs carry large OpenAPI schemas: that is what makes listing them whole expensive.
  const properties: Record<string, unknown> = {};
  for (let p = 0; p < 120; p++)
    properties[`field${p}`] = {
      type: p % 3 === 0 ? 'string' : 'integer',
      description: `Field ${p} of the custom resource; see the operator documentation for its meaning.`,
    };
  return simple(
    'CustomResourceDefinition',
    'apiextensions.k8s.io/v1',
    `things${index}.example${index % 7}.io`,
    undefined,
    9000 + index,
    {
      spec: {
        group: `example${index % 7}.io`,
        names: { kind: `Thing${index}`, plural: `things${index}` },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: { spec: { type: 'object', properties } },
              },
            },
          },
        ],
      },
      status: {
        acceptedNames: { kind: `Thing${index}`, plural: `things${index}` },
        storedVersions: ['v1'],
      },
    },
  );
}

/** A cluster of `pods` pods, deterministic: counts are known exactly. */
export function generateCluster(
  pods: number,
  options: { openshift?: boolean; extra?: Record<string, number> } = {},
): FakeCluster {
  const nodeCount = Math.max(1, Math.ceil(pods / 1000));
  const namespaceCount = Math.max(3, Math.ceil(pods / 50));
  const nodes = Array.from({ length: nodeCount }, (_, n) =>
    simple('Node', 'v1', `node-${n}.edge.example`, undefined, 8000 + n, {
      spec: { podCIDR: `10.42.${n}.0/24` },
      status: {
        capacity: {
          cpu: n % 2 === 0 ? '8' : '4',
          memory: n % 2 === 0 ? '32778132Ki' : '16Gi',
          pods: '250',
          'ephemeral-storage': '104857600Ki',
        },
        allocatable: { cpu: '7500m', memory: '31000000Ki', pods: '250' },
        images: Array.from({ length: 40 + n }, (_, i) => ({
          names: [
            `quay.io/example/image-${i}@sha256:${'ef'.repeat(32)}`,
            `quay.io/example/image-${i}:1.${i}`,
          ],
          sizeBytes: 123456789 + i,
        })),
        nodeInfo: {
          architecture: 'amd64',
          osImage: 'Red Hat Enterprise Linux 9.4',
          kubeletVersion: 'v1.31.3',
          containerRuntimeVersion: 'cri-o://1.31.3',
        },
      },
    }),
  );
  nodes.forEach((node, n) => {
    node.metadata.labels = {
      'kubernetes.io/arch': n < 2 ? 'amd64' : 'arm64',
      'kubernetes.io/hostname': `node-${n}`,
      'kubernetes.io/os': 'linux',
      'node.openshift.io/os_id': 'rhel',
      'node.kubernetes.io/instance-type': n % 2 === 0 ? 'rhde' : 'edge-small',
      'node-role.kubernetes.io/master': '',
    };
  });
  const podObjects: KubeObject[] = [];
  let runningPods = 0;
  let runningContainers = 0;
  const perNodeRunning = new Array<number>(nodeCount).fill(0);
  for (let i = 0; i < pods; i++) {
    const phase = i % 20 === 7 ? 'Succeeded' : i % 20 === 13 ? 'Pending' : 'Running';
    const containers = 1 + (i % 3);
    const crashing = phase === 'Running' && i % 11 === 0;
    const node = i % nodeCount;
    podObjects.push(
      pod(
        i,
        `ns-${i % namespaceCount}`,
        nodes[node]!.metadata.name as string,
        phase,
        containers,
        crashing,
      ),
    );
    if (phase === 'Running') {
      runningPods++;
      const running = crashing ? containers - 1 : containers;
      runningContainers += running;
      perNodeRunning[node]! += running;
    }
  }
  const namespaces = Array.from({ length: namespaceCount }, (_, n) =>
    simple('Namespace', 'v1', `ns-${n}`, undefined, 7000 + n, {
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    }),
  );
  const services = Array.from({ length: Math.ceil(pods / 8) + 1 }, (_, n) =>
    simple('Service', 'v1', `svc-${n}`, `ns-${n % namespaceCount}`, 6000 + n, {
      spec: {
        ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }],
        selector: { app: `app-${n % 97}` },
        clusterIP: `10.43.${(n >> 8) & 255}.${n & 255}`,
        type: 'ClusterIP',
      },
      status: { loadBalancer: {} },
    }),
  );
  const ingresses = Array.from({ length: Math.ceil(pods / 40) }, (_, n) =>
    simple('Ingress', 'networking.k8s.io/v1', `ing-${n}`, `ns-${n % namespaceCount}`, 5000 + n, {
      spec: {
        rules: [
          {
            host: `app${n}.example.com`,
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: `svc-${n}`, port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
      status: { loadBalancer: {} },
    }),
  );
  const routes = Array.from({ length: Math.ceil(pods / 40) }, (_, n) =>
    simple('Route', 'route.openshift.io/v1', `route-${n}`, `ns-${n % namespaceCount}`, 4000 + n, {
      spec: {
        host: `r${n}.apps.example.com`,
        to: { kind: 'Service', name: `svc-${n}`, weight: 100 },
        wildcardPolicy: 'None',
      },
      status: { ingress: [{ host: `r${n}.apps.example.com`, routerName: 'default' }] },
    }),
  );
  const crds = Array.from({ length: 60 }, (_, n) => crd(n));
  const resources = new Map<string, KubeObject[]>([
    ['/api/v1/pods', podObjects],
    ['/api/v1/namespaces', namespaces],
    ['/api/v1/services', services],
    ['/apis/networking.k8s.io/v1/ingresses', ingresses],
    ['/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crds],
    ['/api/v1/nodes', nodes],
  ]);
  if (options.openshift !== false) resources.set('/apis/route.openshift.io/v1/routes', routes);
  const extra: Record<string, number> = {};
  for (const [resourcePath, count] of Object.entries(options.extra ?? {})) {
    resources.set(
      resourcePath,
      Array.from({ length: count }, (_, n) =>
        simple('Thing', 'x/v1', `thing-${n}`, undefined, 3000 + n, { spec: { n } }),
      ),
    );
    extra[resourcePath] = count;
  }
  const storedObjects = [...resources.values()].reduce((sum, list) => sum + list.length, 0) + 1234; // + secrets, configmaps, events...
  return {
    resources,
    nodes,
    perNodeRunning,
    truth: {
      runningPods,
      namespaces: namespaces.length,
      services: services.length,
      ingresses: ingresses.length,
      routes: options.openshift !== false ? routes.length : 0,
      crds: crds.length,
      runningContainers,
      storedObjects,
      nodeImages: nodes.reduce(
        (sum, node) => sum + (node.status as { images: unknown[] }).images.length,
        0,
      ),
      extra,
    },
  };
}

export interface FakeApiOptions {
  /** Paths (list paths, '/metrics', 'proxy') answered 403. */
  readonly forbidden?: readonly string[];
  /** Paths answered with a body cut in the middle. */
  readonly garbage?: readonly string[];
  /** Paths answered 200 with ~100 MB of a JSON list's start, streamed as fast as the client reads (a hostile or broken API). */
  readonly huge?: readonly string[];
  /** Paths whose every page carries a new continue token: a list that never ends. */
  readonly endless?: readonly string[];
  /** Paths whose requests are read and never answered (the connection stays open). */
  readonly silent?: readonly string[];
}

export interface FakeApi {
  readonly url: string;
  readonly kubeconfig: string;
  readonly caFile: string;
  readonly token: string;
  /**
   * A kubeconfig in MicroShift's form: a client certificate and key (here as
   * files beside it, named by relative paths) and the CA, no token. The fake
   * checks the certificate as an API server does: signed by its client CA.
   */
  readonly clientCertKubeconfig: string;
  readonly stats: {
    requests: number;
    bytes: number;
    paths: string[];
    accepts: string[];
    byClientCert: number;
  };
  setOptions(options: FakeApiOptions): void;
  close(): Promise<void>;
}

/** A client CA and a certificate it signed (client.crt, client.key in `dir`); returns the CA's PEM. */
function clientCertificate(dir: string): string {
  const file = (name: string) => path.join(dir, name);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('client-ca.key'),
    '-out',
    file('client-ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=fake-client-ca',
  ]);
  run([
    'req',
    ...ec,
    '-keyout',
    file('client.key'),
    '-out',
    file('client.csr'),
    '-subj',
    '/O=system:masters/CN=system:admin',
  ]);
  run([
    'x509',
    '-req',
    '-in',
    file('client.csr'),
    '-CA',
    file('client-ca.crt'),
    '-CAkey',
    file('client-ca.key'),
    '-CAcreateserial',
    '-out',
    file('client.crt'),
    '-days',
    '2',
  ]);
  return readFileSync(file('client-ca.crt'), 'utf8');
}

function encodeContinue(offset: number): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: 123456, start: offset })).toString(
    'base64',
  );
}

function decodeContinue(token: string): number | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString()) as { start?: unknown };
    return typeof parsed.start === 'number' ? parsed.start : undefined;
  } catch {
    return undefined;
  }
}

function status(code: number, reason: string, message: string): string {
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    details: {},
    code,
  });
}

function podTableRow(object: KubeObject, includeObject: string): Record<string, unknown> {
  const status = object.status as {
    phase: string;
    podIP: string;
    containerStatuses: { ready: boolean; restartCount: number }[];
  };
  const spec = object.spec as { nodeName: string };
  const ready = status.containerStatuses.filter((c) => c.ready).length;
  const row: Record<string, unknown> = {
    cells: [
      object.metadata.name,
      `${ready}/${status.containerStatuses.length}`,
      status.phase,
      status.containerStatuses[0]?.restartCount ?? 0,
      '20d',
      status.podIP,
      spec.nodeName,
      '<none>',
      '<none>',
    ],
  };
  if (includeObject === 'Object') row.object = object;
  else if (includeObject !== 'None')
    row.object = {
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: object.metadata,
    };
  return row;
}

const POD_COLUMNS = [
  'Name',
  'Ready',
  'Status',
  'Restarts',
  'Age',
  'IP',
  'Node',
  'Nominated Node',
  'Readiness Gates',
].map((name, i) => ({
  name,
  type: i === 3 ? 'integer' : 'string',
  format: i === 0 ? 'name' : '',
  description: `${name} of the pod.`,
  priority: i > 4 ? 1 : 0,
}));

export async function startFakeApi(
  cluster: FakeCluster,
  initial: FakeApiOptions = {},
): Promise<FakeApi> {
  const dir = await tempDir('fake-kube-api-');
  // The API server's certificate, issued by a CA of its own for 127.0.0.1 and localhost.
  const serverCa = makeCa(dir, 'fake-kube-ca');
  const served = serverCa.issue('kube-apiserver', { sans: ['IP:127.0.0.1', 'DNS:localhost'] });
  const key = readFileSync(served.key, 'utf8');
  const cert = readFileSync(served.cert, 'utf8');
  const clientCa = clientCertificate(dir);
  const token = `fake-sa-token-${Math.random().toString(36).slice(2)}`;
  let options = initial;
  const stats = {
    requests: 0,
    bytes: 0,
    paths: [] as string[],
    accepts: [] as string[],
    byClientCert: 0,
  };
  const perNodeRunning = cluster.perNodeRunning;

  // A client certificate is asked for but not required, as kube-apiserver does; `authorized` says it verified against the client CA.
  const server = https.createServer(
    { key, cert, ca: clientCa, requestCert: true, rejectUnauthorized: false },
    (request, response) => {
      const url = new URL(request.url ?? '/', 'https://127.0.0.1');
      // For a benchmark in another process: the counters, read and reset without being counted.
      if (url.pathname === '/__stats') {
        const snapshot = JSON.stringify({ requests: stats.requests, bytes: stats.bytes });
        if (url.searchParams.has('reset'))
          Object.assign(stats, { requests: 0, bytes: 0, paths: [], accepts: [], byClientCert: 0 });
        response.writeHead(200, { 'Content-Type': 'application/json' }).end(snapshot);
        return;
      }
      stats.requests++;
      stats.paths.push(url.pathname + url.search);
      stats.accepts.push(request.headers.accept ?? '');
      const send = (code: number, body: string, type = 'application/json') => {
        stats.bytes += Buffer.byteLength(body);
        if (options.garbage?.includes(url.pathname)) {
          // Half an answer, then the connection drops, as when an API server restarts mid-list.
          const cut = body.slice(0, Math.max(1, Math.floor(body.length / 2)));
          stats.bytes -= Buffer.byteLength(body) - Buffer.byteLength(cut);
          response.writeHead(code, { 'Content-Type': type });
          response.write(cut, () => setTimeout(() => response.socket?.destroy(), 20));
          return;
        }
        response.writeHead(code, { 'Content-Type': type }).end(body);
      };
      // A resumed TLS session without a client certificate reports authorized (no verification ran, so no error): ask for the certificate too.
      const socket = request.socket;
      const byClientCert =
        socket instanceof TLSSocket &&
        socket.authorized &&
        Object.keys(socket.getPeerCertificate()).length > 0;
      if (byClientCert) stats.byClientCert++;
      else if (request.headers.authorization !== `Bearer ${token}`)
        return send(401, status(401, 'Unauthorized', 'Unauthorized'));
      if (options.silent?.includes(url.pathname)) return;
      if (options.huge?.includes(url.pathname)) {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        const item = JSON.stringify({ metadata: { name: 'x'.repeat(1000), namespace: 'default' } });
        const chunk = Buffer.from(Array.from({ length: 64 }, () => item).join(',') + ',');
        let sent = 0;
        const more = () => {
          while (sent < 100_000_000 && !response.destroyed) {
            sent += chunk.length;
            stats.bytes += chunk.length;
            if (
              !response.write(
                sent === chunk.length
                  ? Buffer.concat([Buffer.from('{"kind":"List","items":['), chunk])
                  : chunk,
              )
            )
              return void response.once('drain', more);
          }
          if (!response.destroyed) response.end('{}]}');
        };
        return more();
      }
      if (options.forbidden?.includes(url.pathname))
        return send(
          403,
          status(
            403,
            'Forbidden',
            `forbidden: User "system:serviceaccount:x:y" cannot list resource at ${url.pathname}`,
          ),
        );

      const proxy = /^\/api\/v1\/nodes\/([^/]+)\/proxy\/metrics$/.exec(url.pathname);
      if (proxy !== null) {
        if (options.forbidden?.includes('proxy'))
          return send(403, status(403, 'Forbidden', 'nodes/proxy is forbidden'));
        const index = cluster.nodes.findIndex((node) => node.metadata.name === proxy[1]);
        if (index < 0) return send(404, status(404, 'NotFound', `nodes "${proxy[1]}" not found`));
        const lines = [
          '# HELP kubelet_running_containers [ALPHA] Number of containers currently running',
          '# TYPE kubelet_running_containers gauge',
          'kubelet_running_containers{container_state="created"} 2',
          'kubelet_running_containers{container_state="exited"} 17',
          `kubelet_running_containers{container_state="running"} ${perNodeRunning[index]}`,
          'kubelet_running_containers{container_state="unknown"} 0',
          '# HELP kubelet_running_containers_total Not a real metric: shares the prefix',
          'kubelet_running_containers_total 99999',
          `kubelet_running_pods ${perNodeRunning[index]}`,
          ...Array.from(
            { length: 300 },
            (_, i) =>
              `kubelet_http_requests_duration_seconds_bucket{le="${i}",method="GET",path="metrics"} ${i * 3}`,
          ),
        ];
        return send(200, lines.join('\n') + '\n', 'text/plain; version=0.0.4');
      }
      if (url.pathname === '/metrics') {
        const lines: string[] = [
          '# HELP apiserver_storage_objects [STABLE] Number of stored objects at the time of last check split by kind.',
          '# TYPE apiserver_storage_objects gauge',
        ];
        const counts: [string, number][] = [...cluster.resources.entries()].map(([p, list]) => [
          p.split('/').pop() as string,
          list.length,
        ]);
        counts.push(['secrets', 1000], ['configmaps', 234]);
        for (const [resource, count] of counts)
          lines.push(`apiserver_storage_objects{resource="${resource}"} ${count}`);
        // The real /metrics is megabytes of histograms.
        for (let i = 0; i < 20000; i++)
          lines.push(
            `apiserver_request_duration_seconds_bucket{component="apiserver",dry_run="",group="",resource="pods",scope="cluster",subresource="",verb="LIST",version="v1",le="${i / 100}"} ${i}`,
          );
        return send(200, lines.join('\n') + '\n', 'text/plain; version=0.0.4');
      }
      if (url.pathname === '/version')
        return send(200, JSON.stringify({ major: '1', minor: '31', gitVersion: 'v1.31.3' }));

      const list = cluster.resources.get(url.pathname);
      if (list === undefined)
        return send(
          404,
          status(404, 'NotFound', 'the server could not find the requested resource'),
        );
      const fieldSelector = url.searchParams.get('fieldSelector');
      let items = list;
      if (fieldSelector !== null) {
        const match = /^status\.phase=(\w+)$/.exec(fieldSelector);
        if (match === null || url.pathname !== '/api/v1/pods')
          return send(
            400,
            status(400, 'BadRequest', `field label not supported: ${fieldSelector}`),
          );
        items = list.filter((object) => (object.status as { phase: string }).phase === match[1]);
      }
      const limitText = url.searchParams.get('limit');
      const limit = limitText === null ? 0 : Number(limitText);
      const continueToken = url.searchParams.get('continue');
      const start = continueToken === null ? 0 : decodeContinue(continueToken);
      if (start === undefined)
        return send(410, status(410, 'Expired', 'The provided continue parameter is too old'));
      const end = limit > 0 ? Math.min(items.length, start + limit) : items.length;
      const page = items.slice(start, end);
      const metadata: Record<string, unknown> = { resourceVersion: '123456' };
      if (options.endless?.includes(url.pathname)) {
        // Always one more page, a new token each time, the same items.
        metadata.continue = encodeContinue(start + 1);
      } else if (end < items.length) {
        metadata.continue = encodeContinue(end);
        // The API server only knows how many remain when no selector filtered the list.
        if (fieldSelector === null) metadata.remainingItemCount = items.length - end;
      }
      const accept = request.headers.accept ?? '';
      if (accept.includes('as=Table')) {
        const includeObject = url.searchParams.get('includeObject') ?? 'Metadata';
        const rows = page.map((object) =>
          url.pathname === '/api/v1/pods'
            ? podTableRow(object, includeObject)
            : {
                cells: [object.metadata.name, '20d'],
                ...(includeObject === 'None'
                  ? {}
                  : {
                      object: {
                        kind: 'PartialObjectMetadata',
                        apiVersion: 'meta.k8s.io/v1',
                        metadata: object.metadata,
                      },
                    }),
              },
        );
        const columns = url.pathname === '/api/v1/pods' ? POD_COLUMNS : POD_COLUMNS.slice(0, 1);
        return send(
          200,
          JSON.stringify({
            kind: 'Table',
            apiVersion: 'meta.k8s.io/v1',
            metadata,
            columnDefinitions: columns,
            rows,
          }),
        );
      }
      if (accept.includes('as=PartialObjectMetadataList')) {
        return send(
          200,
          JSON.stringify({
            kind: 'PartialObjectMetadataList',
            apiVersion: 'meta.k8s.io/v1',
            metadata,
            items: page.map((object) => ({
              kind: 'PartialObjectMetadata',
              apiVersion: 'meta.k8s.io/v1',
              metadata: object.metadata,
            })),
          }),
        );
      }
      const text = (value: unknown, fallback: string) =>
        typeof value === 'string' ? value : fallback;
      return send(
        200,
        JSON.stringify({
          kind: `${text(list[0]?.kind, 'Thing')}List`,
          apiVersion: text(list[0]?.apiVersion, 'v1'),
          metadata,
          items: page,
        }),
      );
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const caFile = serverCa.cert;
  const kubeconfig = path.join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: fake',
      '  cluster:',
      `    server: https://127.0.0.1:${port}`,
      `    certificate-authority-data: ${readFileSync(caFile).toString('base64')}`,
      'users:',
      '- name: telemetry',
      '  user:',
      `    token: ${token}`,
      'contexts:',
      '- name: fake',
      '  context:',
      '    cluster: fake',
      '    user: telemetry',
      'current-context: fake',
      '',
    ].join('\n'),
  );
  const clientCertKubeconfig = path.join(dir, 'kubeconfig-client-cert');
  await writeFile(
    clientCertKubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: microshift',
      '  cluster:',
      `    server: https://127.0.0.1:${port}`,
      `    certificate-authority: ${path.basename(caFile)}`,
      'users:',
      '- name: user',
      '  user:',
      '    client-certificate: client.crt',
      '    client-key: client.key',
      'contexts:',
      '- name: microshift',
      '  context:',
      '    cluster: microshift',
      '    namespace: default',
      '    user: user',
      'current-context: microshift',
      '',
    ].join('\n'),
  );
  return {
    url: `https://127.0.0.1:${port}`,
    kubeconfig,
    clientCertKubeconfig,
    caFile,
    token,
    stats,
    setOptions(next) {
      options = next;
    },
    // Its certificates and kubeconfigs go with it.
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }).then(() => rm(dir, { recursive: true, force: true })),
  };
}
