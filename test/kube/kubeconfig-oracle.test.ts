// Our kubeconfig reading against an independent oracle: @kubernetes/client-node's
// KubeConfig (loadFromFile, then applyToHTTPSOptions, what a client built on it
// would send). For each kubeconfig of the table, both must reach the same
// server with the same CA, client identity, credentials, TLS name, verification
// and proxy; the differences are listed below, each one tested.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import type https from 'node:https';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { loadKubeEndpoint } from '../../src/kube/kubeconfig.js';
import type { KubeEndpoint } from '../../src/kube/kube-api.js';

interface Seen {
  server: string;
  ca: string | undefined;
  cert: string | undefined;
  key: string | undefined;
  authorization: string | undefined;
  impersonate: string | undefined;
  servername: string | undefined;
  verify: boolean;
  proxy: string | undefined;
}

const text = (value: unknown): string | undefined =>
  value === undefined || value === null
    ? undefined
    : Buffer.from(value as string | Buffer).toString('utf8');

async function ours(file: string): Promise<Seen> {
  const loaded = await loadKubeEndpoint(file, { env: {} });
  if (!loaded.ok) throw loaded.error;
  const endpoint: KubeEndpoint = loaded.value;
  const headers = (endpoint.options.headers ?? {}) as Record<string, string>;
  let authorization = headers.Authorization;
  if (endpoint.bearerToken !== undefined) {
    const token = await endpoint.bearerToken();
    if (token.ok) authorization = `Bearer ${token.value}`;
  }
  const agent = endpoint.options.agent as { proxy?: URL } | undefined;
  return {
    server: endpoint.server,
    ca: text(endpoint.options.ca),
    cert: text(endpoint.options.cert),
    key: text(endpoint.options.key),
    authorization,
    impersonate: headers['Impersonate-User'],
    servername: endpoint.options.servername ?? undefined,
    verify: endpoint.options.rejectUnauthorized !== false,
    proxy: agent?.proxy?.href,
  };
}

async function theirs(file: string): Promise<Seen> {
  const config = new KubeConfig();
  config.loadFromFile(file);
  const options: https.RequestOptions = {};
  await config.applyToHTTPSOptions(options);
  const headers = (options.headers ?? {}) as Record<string, string>;
  const cluster = config.getCurrentCluster();
  // client-node puts basic credentials in `auth` (user:password), Node's own form of the same header.
  const basic =
    options.auth === undefined || options.auth === null
      ? undefined
      : `Basic ${Buffer.from(options.auth).toString('base64')}`;
  return {
    server: (cluster?.server ?? '').replace(/\/+$/, ''),
    ca: text(options.ca),
    cert: text(options.cert),
    key: text(options.key),
    authorization: headers.Authorization ?? basic,
    impersonate: headers['Impersonate-User'],
    servername: options.servername ?? undefined,
    verify: options.rejectUnauthorized !== false,
    proxy: cluster?.proxyUrl === undefined ? undefined : new URL(cluster.proxyUrl).href,
  };
}

t.test(
  'the kubeconfigs an admin has: the same endpoint from our reader and from client-node',
  async (t) => {
    const dir = t.testdir({});
    const certs = path.join(dir, 'certs');
    await mkdir(certs);
    const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    const at = (name: string) => path.join(certs, name);
    run([
      'req',
      '-x509',
      ...ec,
      '-keyout',
      at('ca.key'),
      '-out',
      at('ca.pem'),
      '-days',
      '2',
      '-subj',
      '/CN=oracle-ca',
    ]);
    run([
      'req',
      ...ec,
      '-keyout',
      at('client.key'),
      '-out',
      at('client.csr'),
      '-subj',
      '/CN=system:admin',
    ]);
    run([
      'x509',
      '-req',
      '-in',
      at('client.csr'),
      '-CA',
      at('ca.pem'),
      '-CAkey',
      at('ca.key'),
      '-CAcreateserial',
      '-out',
      at('client.pem'),
      '-days',
      '2',
    ]);
    const { readFileSync } = await import('node:fs');
    const b64 = (name: string) => readFileSync(at(name)).toString('base64');
    await writeFile(path.join(dir, 'token'), 'file-token-123\n');

    const config = (
      cluster: string[],
      user: string[],
      extra: { contexts?: string[]; current?: string } = {},
    ) =>
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: edge',
        '  cluster:',
        ...cluster.map((line) => `    ${line}`),
        '- name: other',
        '  cluster:',
        '    server: https://other.example:6443',
        'users:',
        '- name: admin',
        '  user:',
        ...user.map((line) => `    ${line}`),
        '- name: nobody',
        '  user:',
        '    token: not-this-one',
        'contexts:',
        '- name: edge',
        '  context: {cluster: edge, user: admin}',
        '- name: other',
        '  context: {cluster: other, user: nobody}',
        ...(extra.contexts ?? []),
        `current-context: ${extra.current ?? 'edge'}`,
        '',
      ].join('\n');
    const table: [string, string][] = [
      [
        "MicroShift's: client certificate and key as relative files, the CA as a file",
        config(
          ['server: https://127.0.0.1:6443', 'certificate-authority: certs/ca.pem'],
          ['client-certificate: certs/client.pem', 'client-key: ./certs/client.key'],
        ),
      ],
      [
        'everything as -data',
        config(
          [
            `server: https://api.edge.example:6443/`,
            `certificate-authority-data: ${b64('ca.pem')}`,
          ],
          [
            `client-certificate-data: ${b64('client.pem')}`,
            `client-key-data: ${b64('client.key')}`,
          ],
        ),
      ],
      [
        'a token',
        config(
          [`server: https://10.0.0.5:6443`, `certificate-authority-data: ${b64('ca.pem')}`],
          ['token: sa-token-abc'],
        ),
      ],
      [
        'basic auth',
        config(
          [`server: https://10.0.0.5:6443`, `certificate-authority-data: ${b64('ca.pem')}`],
          ['username: admin', 'password: s3cr3t'],
        ),
      ],
      [
        'tls-server-name and insecure-skip-tls-verify',
        config(
          [
            'server: https://10.0.0.5:6443',
            'tls-server-name: api.internal',
            'insecure-skip-tls-verify: true',
          ],
          ['token: t0k'],
        ),
      ],
      [
        'an http proxy-url',
        config(
          [
            `server: https://api.edge.example:6443`,
            `certificate-authority-data: ${b64('ca.pem')}`,
            'proxy-url: http://proxy.corp:3128',
          ],
          ['token: t0k'],
        ),
      ],
      [
        'impersonation',
        config(
          [`server: https://api.edge.example:6443`, `certificate-authority-data: ${b64('ca.pem')}`],
          ['token: t0k', 'as: jane'],
        ),
      ],
      [
        'several contexts, the current one not the first',
        config(
          [`server: https://api.edge.example:6443`, `certificate-authority-data: ${b64('ca.pem')}`],
          ['token: t0k'],
          {
            contexts: ['- name: third', '  context: {cluster: edge, user: admin}'],
            current: 'third',
          },
        ),
      ],
    ];
    for (const [what, kubeconfig] of table) {
      const file = path.join(dir, `${what.replace(/\W+/g, '-')}.kubeconfig`);
      await writeFile(file, kubeconfig);
      t.same(await ours(file), await theirs(file), what);
    }
  },
);

t.test('the differences, each on purpose', async (t) => {
  const dir = t.testdir({ token: 'file-token-123\n' });
  const file = path.join(dir, 'kubeconfig');
  const kubeconfig = (user: string[]) =>
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: edge, cluster: {server: "https://10.0.0.5:6443", insecure-skip-tls-verify: true}}]',
      `users: [{name: admin, user: {${user.join(', ')}}}]`,
      'contexts: [{name: edge, context: {cluster: edge, user: admin}}]',
      'current-context: edge',
    ].join('\n');
  // tokenFile (kubectl's key): client-node 1.x does not read it (it sends no credentials); we do, again at each request as kubectl does.
  await writeFile(file, kubeconfig(['tokenFile: token']));
  t.equal((await ours(file)).authorization, 'Bearer file-token-123');
  t.equal((await theirs(file)).authorization, undefined);
  // A current-context that names no context: client-node falls back to no cluster; we refuse the kubeconfig with one line.
  await writeFile(
    file,
    kubeconfig(['token: t']).replace('current-context: edge', 'current-context: missing'),
  );
  const loaded = await loadKubeEndpoint(file, { env: {} });
  t.equal(loaded.ok, false);
  const config = new KubeConfig();
  config.loadFromFile(file);
  t.equal(config.getCurrentCluster(), null);
});
