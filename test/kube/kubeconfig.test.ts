// Kubeconfig forms read by our own code, with real files: client certificates
// (files and -data), token, tokenFile, basic auth, in-cluster; exec handed to
// @kubernetes/client-node; and every way a kubeconfig can be wrong, each a
// one-line error naming the file, never holding a secret.
import t, { type Test } from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKubeEndpoint } from '../../src/kube/kubeconfig.js';
import { inClusterAvailable } from '../../src/kube/in-cluster.js';
import { parseKubeconfig } from '../../src/kube/kubeconfig-parse.js';
import type { Loaded } from '../../src/kube/kubeconfig-error.js';
import type { KubeEndpoint } from '../../src/kube/kube-api.js';
import { KubeConnection } from '../../src/kube/connection.js';
import { clusterCollectors } from '../../src/collect/cluster/index.js';
import { runCollectors } from '../../src/collect/run-collectors.js';
import type { Logger } from '../../src/base/log.js';
import { generateCluster, startFakeApi } from '../helpers/fake-kube-api.js';
import { mkfifo } from '../helpers/fifo.js';

const SECRET_TOKEN = 'tok-SECRET-5a1d9e0c7b';
const SECRET_PASSWORD = 'pw-SECRET-77e1';
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A CA, and a client certificate and key it signed, as PEM text (EC keys: quick to make). */
function pems(dir: string): { ca: string; cert: string; key: string; otherKey: string } {
  const file = (name: string) => path.join(dir, name);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=test-ca',
  ]);
  run([
    'req',
    ...ec,
    '-keyout',
    file('client.key'),
    '-out',
    file('client.csr'),
    '-subj',
    '/CN=system:admin',
  ]);
  run([
    'x509',
    '-req',
    '-in',
    file('client.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('client.pem'),
    '-days',
    '2',
  ]);
  run([
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-out',
    file('other.key'),
  ]);
  return {
    ca: readFileSync(file('ca.pem'), 'utf8'),
    cert: readFileSync(file('client.pem'), 'utf8'),
    key: readFileSync(file('client.key'), 'utf8'),
    otherKey: readFileSync(file('other.key'), 'utf8'),
  };
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** A kubeconfig of one context, `cluster` and `user` being the YAML bodies (indented lines). */
function kubeconfigText(
  cluster: string[],
  user: string[] | undefined,
  extra: string[] = [],
): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: edge',
    '  cluster:',
    ...cluster.map((line) => `    ${line}`),
    ...(user === undefined
      ? []
      : ['users:', '- name: admin', '  user:', ...user.map((line) => `    ${line}`)]),
    'contexts:',
    '- name: edge',
    '  context:',
    '    cluster: edge',
    ...(user === undefined ? [] : ['    user: admin']),
    'current-context: edge',
    ...extra,
    '',
  ].join('\n');
}

function ok(t: Test, loaded: Loaded<KubeEndpoint>): KubeEndpoint {
  if (!loaded.ok) {
    t.fail(`expected an endpoint, got ${loaded.error.code}: ${loaded.error.message}`);
    throw new Error('no endpoint');
  }
  return loaded.value;
}

function failure(t: Test, loaded: Loaded<KubeEndpoint>): { code: string; message: string } {
  if (loaded.ok) {
    t.fail('expected an error, got an endpoint');
    return { code: '', message: '' };
  }
  t.notMatch(loaded.error.message, /\n/, 'one line');
  t.notMatch(loaded.error.message, /SECRET/, 'no secret in the message');
  return { code: loaded.error.code, message: loaded.error.message };
}

t.test('client certificate and key as files named relative to the kubeconfig', async (t) => {
  const dir = t.testdir({ certs: {} });
  const { ca, cert, key } = pems(path.join(dir, 'certs'));
  const file = path.join(dir, 'kubeconfig');
  await writeFile(
    file,
    kubeconfigText(
      ['server: https://127.0.0.1:6443', 'certificate-authority: certs/ca.pem'],
      ['client-certificate: certs/client.pem', 'client-key: ./certs/client.key'],
    ),
  );
  const endpoint = ok(t, await loadKubeEndpoint(file));
  t.equal(endpoint.server, 'https://127.0.0.1:6443');
  t.equal(
    endpoint.options.ca,
    ca,
    'CA read from the file beside the kubeconfig, not from the working directory',
  );
  t.equal(endpoint.options.cert, cert);
  t.equal(endpoint.options.key, key);
  t.equal(endpoint.options.rejectUnauthorized, true, 'TLS verification on');
  t.same(endpoint.options.headers, {}, 'no Authorization header: the certificate authenticates');
  t.equal(endpoint.proxied, false);
  t.equal(endpoint.bearerToken, undefined);
});

t.test('client certificate and key as -data; -data wins over a file', async (t) => {
  const dir = t.testdir({});
  const { ca, cert, key } = pems(dir);
  const file = path.join(dir, 'kubeconfig');
  await writeFile(
    file,
    kubeconfigText(
      [
        `server: https://api.edge.example:6443/`,
        `certificate-authority-data: ${b64(ca)}`,
        'certificate-authority: /nonexistent/ca.pem',
        'tls-server-name: kubernetes.default',
      ],
      [`client-certificate-data: ${b64(cert)}`, `client-key-data: ${b64(key)}`],
    ),
  );
  const endpoint = ok(t, await loadKubeEndpoint(file));
  t.equal(endpoint.server, 'https://api.edge.example:6443', 'trailing slash dropped');
  t.same([endpoint.options.ca, endpoint.options.cert, endpoint.options.key], [ca, cert, key]);
  t.equal(endpoint.options.servername, 'kubernetes.default', 'tls-server-name');
});

t.test(
  'a certificate that does not match its key is refused at load, by file and context',
  async (t) => {
    const dir = t.testdir({});
    const { cert, otherKey } = pems(dir);
    const file = path.join(dir, 'kubeconfig');
    await writeFile(
      file,
      kubeconfigText(
        ['server: https://127.0.0.1:6443'],
        [`client-certificate-data: ${b64(cert)}`, `client-key-data: ${b64(otherKey)}`],
      ),
    );
    const { code, message } = failure(t, await loadKubeEndpoint(file));
    t.equal(code, 'EKUBECONFIGINVALID');
    t.match(message, `${file}: context "edge" (cluster "edge", user "admin"): `);
    t.match(message, /unusable \(.*key values mismatch.*\)/);
    t.notMatch(message, /BEGIN/, 'no PEM in the message');
  },
);

t.test('token; basic auth; insecure-skip-tls-verify as the kubeconfig says', async (t) => {
  const dir = t.testdir({});
  const tokenFile = path.join(dir, 'token-kubeconfig');
  await writeFile(
    tokenFile,
    kubeconfigText(
      ['server: https://127.0.0.1:6443', 'insecure-skip-tls-verify: true'],
      [`token: ${SECRET_TOKEN}`],
    ),
  );
  const endpoint = ok(t, await loadKubeEndpoint(tokenFile));
  t.same(endpoint.options.headers, { Authorization: `Bearer ${SECRET_TOKEN}` });
  t.equal(
    endpoint.options.rejectUnauthorized,
    false,
    'verification off only because the kubeconfig says so',
  );
  t.equal(endpoint.options.ca, undefined);

  const basicFile = path.join(dir, 'basic-kubeconfig');
  await writeFile(
    basicFile,
    kubeconfigText(
      ['server: https://127.0.0.1:6443'],
      [
        'username: admin',
        `password: ${SECRET_PASSWORD}`,
        'as: system:serviceaccount:telemetry:reader',
        'as-groups: [a, b]',
      ],
    ),
  );
  const basic = ok(t, await loadKubeEndpoint(basicFile));
  t.same(basic.options.headers, {
    Authorization: `Basic ${b64(`admin:${SECRET_PASSWORD}`)}`,
    'Impersonate-User': 'system:serviceaccount:telemetry:reader',
    'Impersonate-Group': ['a', 'b'],
  });
  t.equal(basic.options.rejectUnauthorized, true);

  const bothFile = path.join(dir, 'both-kubeconfig');
  await writeFile(
    bothFile,
    kubeconfigText(
      ['server: https://127.0.0.1:6443'],
      [`token: ${SECRET_TOKEN}`, 'username: admin', `password: ${SECRET_PASSWORD}`],
    ),
  );
  const both = failure(t, await loadKubeEndpoint(bothFile));
  t.same(both, {
    code: 'EKUBECONFIGINVALID',
    message: `${bothFile}: users[admin].user: username/password or a bearer token may be set, not both`,
  });
});

t.test('tokenFile: read at load, re-read once a minute as it rotates', async (t) => {
  const dir = t.testdir({ 'sa-token': `${SECRET_TOKEN}-1\n` });
  const file = path.join(dir, 'kubeconfig');
  await writeFile(
    file,
    kubeconfigText(['server: https://127.0.0.1:6443'], ['tokenFile: sa-token']),
  );
  let now = 1_000_000;
  const endpoint = ok(t, await loadKubeEndpoint(file, { nowMs: () => now }));
  t.same(endpoint.options.headers, {}, 'no fixed Authorization: it is asked per request');
  const token = endpoint.bearerToken;
  if (token === undefined) throw new Error('no token source');
  t.same(await token(), { ok: true, value: `${SECRET_TOKEN}-1` }, 'trailing newline trimmed');
  await writeFile(path.join(dir, 'sa-token'), `${SECRET_TOKEN}-2`);
  now += 59_999;
  t.same(
    await token(),
    { ok: true, value: `${SECRET_TOKEN}-1` },
    'within the minute: the copy in hand',
  );
  now += 1;
  t.same(await token(), { ok: true, value: `${SECRET_TOKEN}-2` }, 'a minute on: read again');
  await writeFile(path.join(dir, 'sa-token'), '');
  now += 60_000;
  const empty = await token();
  t.equal(empty.ok, false);
  if (!empty.ok) t.equal(empty.error.message, `${path.join(dir, 'sa-token')}: token file is empty`);

  const missing = path.join(dir, 'missing-kubeconfig');
  await writeFile(
    missing,
    kubeconfigText(['server: https://127.0.0.1:6443'], ['tokenFile: /nonexistent/token']),
  );
  t.same(failure(t, await loadKubeEndpoint(missing)), {
    code: 'EKUBECONFIGREAD',
    message: '/nonexistent/token: not found',
  });
});

t.test(
  'in-cluster: server from the environment, CA and rotating token from the service account directory',
  async (t) => {
    const dir = t.testdir({ serviceaccount: { token: SECRET_TOKEN } });
    const sa = path.join(dir, 'serviceaccount');
    const { ca } = pems(dir);
    await writeFile(path.join(sa, 'ca.crt'), ca);
    const env = { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' };
    t.equal(await inClusterAvailable(env, sa), true);
    t.equal(await inClusterAvailable({}, sa), false, 'not in a pod');
    const endpoint = ok(t, await loadKubeEndpoint('', { env, serviceAccountDir: sa }));
    t.equal(endpoint.server, 'https://[fd00::1]:443', 'IPv6 in brackets');
    t.equal(endpoint.options.ca, ca);
    t.equal(endpoint.options.rejectUnauthorized, true);
    t.same(await endpoint.bearerToken?.(), { ok: true, value: SECRET_TOKEN });
    t.same(failure(t, await loadKubeEndpoint('', { env: {}, serviceAccountDir: sa })), {
      code: 'EINCLUSTER',
      message: `${sa}: in-cluster config needs KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT`,
    });
  },
);

t.test('exec: handed to @kubernetes/client-node, which runs the plugin', async (t) => {
  const dir = t.testdir({});
  const { ca } = pems(dir);
  const plugin = path.join(dir, 'credential-plugin');
  const credential = JSON.stringify({
    apiVersion: 'client.authentication.k8s.io/v1beta1',
    kind: 'ExecCredential',
    status: { token: `${SECRET_TOKEN}-exec` },
  });
  await writeFile(plugin, `#!/bin/sh\necho '${credential}'\n`);
  await chmod(plugin, 0o755);
  const file = path.join(dir, 'kubeconfig');
  await writeFile(
    file,
    kubeconfigText(
      ['server: https://127.0.0.1:6443', 'certificate-authority: ca.pem'],
      [
        'exec:',
        '  apiVersion: client.authentication.k8s.io/v1beta1',
        `  command: ${plugin}`,
        '  interactiveMode: Never',
      ],
    ),
  );
  const endpoint = ok(t, await loadKubeEndpoint(file));
  t.equal(
    (endpoint.options.headers as Record<string, string>).Authorization,
    `Bearer ${SECRET_TOKEN}-exec`,
    "the plugin's token",
  );
  t.equal(endpoint.options.ca?.toString(), ca, 'the CA we read, inlined for the library');

  await writeFile(plugin, '#!/bin/sh\necho "plugin broke" >&2\nexit 3\n');
  const broken = failure(t, await loadKubeEndpoint(file));
  t.equal(broken.code, 'EKUBECONFIGPLUGIN');
  t.match(broken.message, `${file}: user "admin" (exec): `);
});

t.test(
  'exec plugins from outside: a deadline, a stdout cap, stderr and stdout never in the message',
  async (t) => {
    const dir = t.testdir({});
    pems(dir);
    const plugin = path.join(dir, 'credential-plugin');
    const file = path.join(dir, 'kubeconfig');
    await writeFile(
      file,
      kubeconfigText(
        ['server: https://127.0.0.1:6443', 'certificate-authority: ca.pem'],
        [
          'exec:',
          '  apiVersion: client.authentication.k8s.io/v1beta1',
          `  command: ${plugin}`,
          '  interactiveMode: Never',
        ],
      ),
    );
    const leaked = `token=${SECRET_TOKEN} client_secret=${SECRET_TOKEN}-cs`;
    const limits = { timeoutMs: 1500, maxStdoutBytes: 64 * 1024 };
    const cases: [string, string, RegExp][] = [
      [
        'a failure whose stderr holds credentials',
        `#!/bin/sh\necho '${leaked}' >&2\nexit 3\n`,
        /: the plugin exited with status 3; its stderr \(\d+ bytes\) is not shown, as plugins print credentials there: run the command by hand to read it$/,
      ],
      [
        'stdout that is not JSON',
        `#!/bin/sh\necho '${leaked}'\n`,
        /: the plugin printed no JSON ExecCredential on stdout$/,
      ],
      [
        '40 MB on stdout',
        '#!/bin/sh\nhead -c 40000000 /dev/zero | tr "\\0" "x"\n',
        /: the plugin printed more than 65536 bytes on stdout \(killed\)$/,
      ],
      [
        'no end (a browser login nobody answers)',
        '#!/bin/sh\nsleep 1000\n',
        /: the plugin did not finish within 1\.5 s \(killed\)$/,
      ],
      [
        'no end, in a child holding stdout open',
        '#!/bin/sh\nsleep 1000 &\nwait\n',
        /: the plugin did not finish within 1\.5 s \(killed\)$/,
      ],
      ['a command that is not there', '', /: the plugin could not be started \(ENOENT\)$/],
    ];
    for (const [what, script, expected] of cases) {
      const { rm } = await import('node:fs/promises');
      if (script === '') await rm(plugin, { force: true });
      else {
        await writeFile(plugin, script);
        await chmod(plugin, 0o755);
      }
      const heapBefore = process.memoryUsage().heapUsed;
      const failed = failure(t, await loadKubeEndpoint(file, { pluginLimits: limits }));
      t.equal(failed.code, 'EKUBECONFIGPLUGIN', what);
      t.match(failed.message, expected, what);
      t.notMatch(failed.message, SECRET_TOKEN, `${what}: no credential in the message`);
      t.ok(
        process.memoryUsage().heapUsed - heapBefore < 8_000_000,
        `${what}: the output was not kept`,
      );
    }
    // The sleeps were killed with their process group.
    const { execFileSync: run } = await import('node:child_process');
    const left = run('sh', ['-c', `pgrep -f '^sleep 1000$' || true`], { encoding: 'utf8' });
    t.equal(left.trim(), '', 'no plugin process left behind');
  },
);

t.test(
  '@kubernetes/client-node is not even loaded for a client-certificate kubeconfig (and is for exec)',
  async (t) => {
    const dir = t.testdir({});
    pems(dir);
    const certKubeconfig = path.join(dir, 'cert-kubeconfig');
    await writeFile(
      certKubeconfig,
      kubeconfigText(
        ['server: https://127.0.0.1:6443', 'certificate-authority: ca.pem'],
        ['client-certificate: client.pem', 'client-key: client.key'],
      ),
    );
    const execKubeconfig = path.join(dir, 'exec-kubeconfig');
    await writeFile(
      execKubeconfig,
      kubeconfigText(
        ['server: https://127.0.0.1:6443'],
        ['exec:', '  apiVersion: client.authentication.k8s.io/v1beta1', '  command: /bin/false'],
      ),
    );
    // A resolve hook in the child records every module it resolves.
    const hooks = path.join(dir, 'hooks.mjs');
    await writeFile(
      hooks,
      `import { appendFileSync } from 'node:fs';\nexport async function resolve(specifier, context, next) {\n  const result = await next(specifier, context);\n  appendFileSync(${JSON.stringify(path.join(dir, 'resolved.log'))}, result.url + '\\n');\n  return result;\n}\n`,
    );
    const register = path.join(dir, 'register.mjs');
    await writeFile(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hooks}`)});\n`,
    );
    const script = path.join(dir, 'load.mjs');
    await writeFile(
      script,
      `const { loadKubeEndpoint } = await import(${JSON.stringify(`file://${path.join(repo, 'src/kube/kubeconfig.ts')}`)});\nconst loaded = await loadKubeEndpoint(process.argv[2]);\nprocess.stdout.write(loaded.ok ? 'ok' : loaded.error.code);\n`,
    );
    const load = async (kubeconfig: string) => {
      await writeFile(path.join(dir, 'resolved.log'), '');
      const child = spawnSync(
        process.execPath,
        ['--import', '@tapjs/typescript/import', '--import', register, script, kubeconfig],
        {
          cwd: repo,
          encoding: 'utf8',
          timeout: 120_000,
        },
      );
      const resolved = await readFile(path.join(dir, 'resolved.log'), 'utf8');
      return {
        stdout: child.stdout,
        clientNode: resolved.split('\n').filter((url) => url.includes('@kubernetes/client-node'))
          .length,
        kubeconfigModule: resolved.includes('kube/kubeconfig.ts'),
      };
    };
    const cert = await load(certKubeconfig);
    t.equal(cert.stdout, 'ok');
    t.equal(cert.kubeconfigModule, true, 'the hook saw our modules');
    t.equal(cert.clientNode, 0, 'client certificate: @kubernetes/client-node never resolved');
    const exec = await load(execKubeconfig);
    t.equal(exec.stdout, 'EKUBECONFIGPLUGIN', '/bin/false as a plugin fails');
    t.ok(exec.clientNode > 0, 'exec: @kubernetes/client-node loaded');
  },
);

t.test('what is wrong with a kubeconfig, each in one line naming the file', async (t) => {
  const dir = t.testdir({});
  const write = async (name: string, text: string) => {
    const file = path.join(dir, name);
    await writeFile(file, text);
    return file;
  };
  const server = ['server: https://127.0.0.1:6443'];
  const cases: [string, string, string, string][] = [
    [
      'no current-context',
      kubeconfigText(server, [`token: ${SECRET_TOKEN}`]).replace('current-context: edge\n', ''),
      'EKUBECONFIGINVALID',
      'no current-context',
    ],
    [
      'current-context unknown',
      kubeconfigText(server, [`token: ${SECRET_TOKEN}`]).replace(
        'current-context: edge',
        'current-context: prod',
      ),
      'EKUBECONFIGINVALID',
      'current-context "prod" is not among contexts',
    ],
    [
      'unknown user',
      kubeconfigText(server, [`token: ${SECRET_TOKEN}`]).replace(
        '    user: admin',
        '    user: ghost',
      ),
      'EKUBECONFIGINVALID',
      'context "edge" names user "ghost", which is not among users',
    ],
    [
      'unknown cluster',
      kubeconfigText(server, undefined).replace('    cluster: edge', '    cluster: elsewhere'),
      'EKUBECONFIGINVALID',
      'context "edge" names cluster "elsewhere", which is not among clusters',
    ],
    [
      'bad YAML',
      `apiVersion: v1\nusers:\n- name: admin\n  user:\n    token: "${SECRET_TOKEN}\n`,
      'EKUBECONFIGSYNTAX',
      '6:1: not YAML: Missing closing "quote',
    ],
    [
      'not a mapping',
      '- just\n- a list\n',
      'EKUBECONFIGINVALID',
      'not a kubeconfig (expected a mapping with clusters, users, contexts and current-context)',
    ],
    [
      'http server',
      kubeconfigText(['server: http://127.0.0.1:8080'], undefined),
      'EKUBECONFIGINVALID',
      'clusters[edge].cluster.server: must be an https:// URL (is http:)',
    ],
    [
      'no server',
      kubeconfigText(['insecure-skip-tls-verify: true'], undefined),
      'EKUBECONFIGINVALID',
      'clusters[edge].cluster.server: missing',
    ],
    [
      'insecure as text',
      kubeconfigText([...server, 'insecure-skip-tls-verify: "yes"'], undefined),
      'EKUBECONFIGINVALID',
      'clusters[edge].cluster.insecure-skip-tls-verify: expected true or false',
    ],
    [
      'token a number',
      kubeconfigText(server, ['token: 12345']),
      'EKUBECONFIGINVALID',
      'users[admin].user.token: expected a string',
    ],
    [
      'cert without key',
      kubeconfigText(server, ['client-certificate: c.pem']),
      'EKUBECONFIGINVALID',
      'users[admin].user: client-certificate without client-key',
    ],
    [
      'CA data not PEM',
      kubeconfigText([...server, `certificate-authority-data: ${b64(SECRET_TOKEN)}`], undefined),
      'EKUBECONFIGINVALID',
      'clusters[edge].cluster.certificate-authority-data: not the base64 of a PEM block',
    ],
    [
      'proxy with a password, bad scheme',
      kubeconfigText([...server, `proxy-url: ftp://user:${SECRET_PASSWORD}@proxy:21`], undefined),
      'EKUBECONFIGINVALID',
      'clusters[edge].cluster.proxy-url: unsupported scheme ftp: (http, https or socks5)',
    ],
    [
      'proxy not a URL',
      kubeconfigText([...server, `proxy-url: ${SECRET_PASSWORD}`], undefined),
      'EKUBECONFIGINVALID',
      'clusters[edge].cluster.proxy-url: not a URL',
    ],
    [
      'CA file missing',
      kubeconfigText([...server, 'certificate-authority: missing-ca.pem'], undefined),
      'EKUBECONFIGREAD',
      '',
    ],
  ];
  for (const [name, text, code, reason] of cases) {
    const file = await write(name.replace(/ /g, '-'), text);
    const result = failure(t, await loadKubeEndpoint(file));
    t.equal(result.code, code, name);
    if (name === 'CA file missing')
      t.equal(result.message, `${path.join(dir, 'missing-ca.pem')}: not found`, name);
    else t.equal(result.message, `${file}: ${reason}`, name);
  }
});

t.test('files that are not small regular files: missing, FIFO, directory, too large', async (t) => {
  const dir = t.testdir({ directory: {} });
  t.same(failure(t, await loadKubeEndpoint(path.join(dir, 'absent'))), {
    code: 'EKUBECONFIGMISSING',
    message: `${path.join(dir, 'absent')}: not found`,
  });
  const fifo = path.join(dir, 'fifo');
  await mkfifo(fifo);
  t.same(
    failure(t, await loadKubeEndpoint(fifo)),
    { code: 'EKUBECONFIGREAD', message: `${fifo}: not a regular file (a FIFO)` },
    'a FIFO with no writer: refused, not waited on',
  );
  t.same(failure(t, await loadKubeEndpoint(path.join(dir, 'directory'))), {
    code: 'EKUBECONFIGREAD',
    message: `${path.join(dir, 'directory')}: is a directory`,
  });
  const large = path.join(dir, 'large');
  await writeFile(large, Buffer.alloc(4 * 1024 * 1024 + 1, 0x20));
  t.same(failure(t, await loadKubeEndpoint(large)), {
    code: 'EKUBECONFIGREAD',
    message: `${large}: larger than 4 MiB (4194305 bytes)`,
  });
  const fifoToken = path.join(dir, 'fifo-token-kubeconfig');
  await writeFile(
    fifoToken,
    kubeconfigText(['server: https://127.0.0.1:6443'], [`tokenFile: ${fifo}`]),
  );
  t.same(
    failure(t, await loadKubeEndpoint(fifoToken)),
    { code: 'EKUBECONFIGREAD', message: `${fifo}: not a regular file (a FIFO)` },
    'a FIFO as tokenFile too',
  );
});

t.test(
  'proxy-url http: an HTTPS proxy agent with the TLS options on it; SOCKS goes to the library',
  async (t) => {
    const dir = t.testdir({});
    const { ca } = pems(dir);
    const file = path.join(dir, 'kubeconfig');
    await writeFile(
      file,
      kubeconfigText(
        [
          'server: https://127.0.0.1:6443',
          `certificate-authority-data: ${b64(ca)}`,
          `proxy-url: http://user:${SECRET_PASSWORD}@127.0.0.1:3128`,
        ],
        [`token: ${SECRET_TOKEN}`],
      ),
    );
    const endpoint = ok(t, await loadKubeEndpoint(file));
    t.equal(endpoint.proxied, true);
    t.ok(endpoint.options.agent instanceof https.Agent, 'an https.Agent (hpagent) that tunnels');
    t.equal((endpoint.options.agent as https.Agent).options.ca, ca, 'the CA on the agent');
    const parsed = parseKubeconfig(
      kubeconfigText(
        ['server: https://127.0.0.1:6443', 'proxy-url: socks5://127.0.0.1:1080'],
        [`token: ${SECRET_TOKEN}`],
      ),
      file,
    );
    t.equal(parsed.ok && parsed.value.user.plugin, 'socks-proxy');
  },
);

t.test(
  'parse: contexts with no user, first entry of a name wins, paths anchored at the kubeconfig',
  async (t) => {
    const text = [
      'clusters:',
      '- name: a',
      '  cluster: {server: "https://one:6443", certificate-authority: ca.pem}',
      '- name: a',
      '  cluster: {server: "https://two:6443"}',
      'contexts:',
      '- name: c',
      '  context: {cluster: a}',
      'current-context: c',
    ].join('\n');
    const parsed = parseKubeconfig(text, 'relative/dir/kubeconfig');
    if (!parsed.ok) throw parsed.error;
    t.equal(parsed.value.cluster.server, 'https://one:6443');
    t.same(parsed.value.cluster.certificateAuthority, {
      file: path.resolve('relative/dir/ca.pem'),
    });
    t.equal(parsed.value.user.name, undefined, 'anonymous');
    t.equal(parsed.value.user.plugin, undefined);
    const provider = parseKubeconfig(
      kubeconfigText(['server: https://x'], ['auth-provider:', '  name: oidc']),
      '/k',
    );
    t.equal(provider.ok && provider.value.user.plugin, 'auth-provider');
  },
);

function recorder(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => lines.push(`${level}: ${message}`);
  return {
    log: { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') },
    lines,
  };
}

// End to end against the fake API server (test/helpers/fake-kube-api.ts, a fake: no
// real API server runs here). It asks for a client certificate and checks it
// against its client CA, as kube-apiserver does, and counts the requests it authenticated so.
t.test(
  "end to end: a client-certificate kubeconfig (MicroShift's form) brings cluster metrics",
  async (t) => {
    const cluster = generateCluster(300);
    const api = await startFakeApi(cluster);
    t.teardown(api.close);
    const { log, lines } = recorder();
    let loads = 0;
    const connection = new KubeConnection(
      api.clientCertKubeconfig,
      (kubeconfig) => (loads++, loadKubeEndpoint(kubeconfig)),
      10_000,
      log,
    );
    const collectors = clusterCollectors(connection, {
      extraResources: [],
      imagesFile: '/nonexistent/images.json',
    });
    const { points } = await runCollectors(collectors, 'dynamic', {
      timeoutMs: 30_000,
      signal: new AbortController().signal,
      log,
    });
    t.equal(loads, 1, `${collectors.length} collectors asking at once: the kubeconfig loaded once`);
    const pods = points.find(
      (point) => point.name === 'cluster:usage:resources:sum' && point.labels.resource === 'pods',
    );
    t.equal(pods?.value, cluster.truth.runningPods, 'running pods counted');
    t.equal(
      api.stats.byClientCert,
      api.stats.requests,
      'every request authenticated by the client certificate',
    );
    t.ok(api.stats.requests > 0);
    t.same(
      lines.filter((line) => line.startsWith('warn')),
      [],
    );
  },
);

t.test(
  'end to end: a tokenFile kubeconfig; a wrong token is a 401 the connection reports once',
  async (t) => {
    const cluster = generateCluster(10);
    const api = await startFakeApi(cluster);
    t.teardown(api.close);
    const dir = t.testdir({ token: `${api.token}\n` });
    const file = path.join(dir, 'kubeconfig');
    await writeFile(
      file,
      kubeconfigText(
        [`server: ${api.url}`, `certificate-authority: ${api.caFile}`],
        ['tokenFile: token'],
      ),
    );
    const { log, lines } = recorder();
    let now = 0;
    const connection = new KubeConnection(
      file,
      (kubeconfig) => loadKubeEndpoint(kubeconfig, { nowMs: () => now }),
      10_000,
      log,
    );
    const collectors = clusterCollectors(connection, {
      extraResources: [],
      imagesFile: '/nonexistent/images.json',
    });
    const tick = async () =>
      (
        await runCollectors(collectors, 'dynamic', {
          timeoutMs: 30_000,
          signal: new AbortController().signal,
          log,
        })
      ).points;
    t.equal(
      (await tick()).find((point) => point.labels.resource === 'pods')?.value,
      cluster.truth.runningPods,
    );
    t.equal(api.stats.byClientCert, 0, 'authenticated by the token');
    await writeFile(path.join(dir, 'token'), 'not-the-token');
    t.equal(
      (await tick()).find((point) => point.labels.resource === 'pods')?.value,
      cluster.truth.runningPods,
      'within the minute: the token in hand',
    );
    now += 60_000;
    t.same(await tick(), [], 'a minute on: the new (wrong) token, refused');
    // After a 401 the connection loads the kubeconfig again, which reads the token file afresh.
    t.same(await tick(), []);
    t.equal(
      lines.filter((line) => line.includes('Kubernetes API unreachable')).length,
      1,
      'said once',
    );
    await writeFile(path.join(dir, 'token'), api.token);
    t.equal(
      (await tick()).find((point) => point.labels.resource === 'pods')?.value,
      cluster.truth.runningPods,
      'the right token again: counted without a restart',
    );
  },
);

t.test(
  'HTTPS_PROXY and NO_PROXY for the API server, as kubectl takes them; never for a loopback server',
  async (t) => {
    const { generateCluster, startFakeApi } = await import('../helpers/fake-kube-api.js');
    const { startForwardProxy } = await import('../helpers/forward-proxy.js');
    const { createKubeApi } = await import('../../src/kube/kube-api.js');
    const { readFile } = await import('node:fs/promises');
    const fake = await startFakeApi(generateCluster(3));
    t.teardown(fake.close);
    const port = new URL(fake.url).port;
    // A name only the proxy knows, as an API server behind a corporate proxy is; its certificate is for localhost.
    const proxy = await startForwardProxy({ 'kube.internal.example': '127.0.0.1' });
    t.teardown(proxy.close);
    const dir = t.testdir({});
    const kubeconfig = path.join(dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      kubeconfigText(
        [
          `server: https://kube.internal.example:${port}`,
          `certificate-authority-data: ${Buffer.from(await readFile(fake.caFile)).toString('base64')}`,
          'tls-server-name: localhost',
        ],
        [`token: ${fake.token}`],
      ),
    );
    const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, NO_PROXY: process.env.NO_PROXY };
    t.teardown(() => {
      delete process.env.HTTPS_PROXY;
      delete process.env.NO_PROXY;
      Object.assign(
        process.env,
        Object.fromEntries(Object.entries(saved).filter(([, value]) => value !== undefined)),
      );
    });
    const version = async (file: string) => {
      const endpoint = ok(t, await loadKubeEndpoint(file));
      return createKubeApi(endpoint, 5000).getJson(
        '/version',
        'application/json',
        AbortSignal.timeout(10_000),
      );
    };

    process.env.HTTPS_PROXY = proxy.url;
    t.match(
      await version(kubeconfig),
      { kind: 'ok', value: { gitVersion: 'v1.31.3' } },
      'through the proxy',
    );
    t.same(
      proxy.seen,
      [`CONNECT kube.internal.example:${port}`],
      'a tunnel to the API server, named as the kubeconfig names it',
    );

    process.env.NO_PROXY = 'internal.example';
    t.match(
      await version(kubeconfig),
      { kind: 'unreachable', reason: 'ENOTFOUND' },
      'NO_PROXY: direct, where the name does not resolve',
    );
    t.equal(proxy.seen.length, 1, 'the proxy was not asked');

    delete process.env.NO_PROXY;
    t.match(
      await version(fake.kubeconfig),
      { kind: 'ok' },
      'a server on 127.0.0.1: direct, as Go does',
    );
    t.equal(proxy.seen.length, 1, 'the proxy was not asked for a loopback server');

    process.env.HTTPS_PROXY = 'socks5://127.0.0.1:1080';
    t.match(
      failure(t, await loadKubeEndpoint(kubeconfig)).message,
      /the proxy from HTTPS_PROXY is unusable for the API server/,
    );
  },
);
