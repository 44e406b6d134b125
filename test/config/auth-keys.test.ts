// telemetry.auth and telemetry.headers: every config error is one line naming
// the file and the key; the CLI turns each into exit 2 with that line only.
import t from 'tap';
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { validateTelemetry, type Config } from '../../src/config/schema.js';
import { ConfigError } from '../../src/config/errors.js';
import { effectiveConfigYaml } from '../../src/config/effective-config.js';
import { isLoopbackHost } from '../../src/base/loopback.js';
import { runCli } from '../helpers/cli.js';
import { ownTempDir, writeConfig } from '../helpers/files.js';

const FILE = '/etc/edge-telemetry/telemetry.yaml';
const DROP_IN = '/etc/edge-telemetry/telemetry.d/10-auth.yaml';

function validate(
  telemetry: Record<string, unknown>,
  provenance: (key: string) => string | undefined = () => undefined,
): Config {
  return validateTelemetry(telemetry, FILE, provenance);
}

function errorOf(telemetry: Record<string, unknown>): string {
  try {
    validate(telemetry);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return 'no error';
}

const HTTPS = 'https://mimir.example.com/api/v1/push';

const cases: { name: string; telemetry: Record<string, unknown>; message: string }[] = [
  {
    name: 'auth not a mapping',
    telemetry: { auth: 'bearer' },
    message: 'telemetry.auth: must be a mapping of keys (type: telemeter, bearer, basic or none)',
  },
  {
    name: 'unknown type',
    telemetry: { auth: { type: 'oauth2' } },
    message: 'telemetry.auth.type: must be telemeter, bearer, basic or none, not "oauth2"',
  },
  {
    name: 'type case',
    telemetry: { auth: { type: 'Bearer' } },
    message: 'telemetry.auth.type: must be telemeter, bearer, basic or none, not "Bearer"',
  },
  {
    name: 'unknown auth key',
    telemetry: { auth: { type: 'none', token: 'x' } },
    message: 'telemetry.auth.token: unknown key',
  },
  {
    name: 'miscased auth key',
    telemetry: { auth: { type: 'bearer', credentialsfile: 't' } },
    message: 'telemetry.auth.credentialsfile: unknown key (did you mean credentialsFile?)',
  },
  {
    name: 'passwordFile with bearer',
    telemetry: {
      endpoint: HTTPS,
      auth: { type: 'bearer', credentialsFile: 't', passwordFile: 'p' },
    },
    message:
      'telemetry.auth.passwordFile: not used with auth type bearer (it takes credentialsFile)',
  },
  {
    name: 'credentialsFile with basic',
    telemetry: {
      endpoint: HTTPS,
      auth: { type: 'basic', username: 'u', passwordFile: 'p', credentialsFile: 't' },
    },
    message:
      'telemetry.auth.credentialsFile: not used with auth type basic (it takes username, passwordFile)',
  },
  {
    name: 'username with none',
    telemetry: { auth: { type: 'none', username: 'u' } },
    message: 'telemetry.auth.username: not used with auth type none',
  },
  {
    name: 'credentialsFile with the default type',
    telemetry: { auth: { credentialsFile: 't' } },
    message: 'telemetry.auth.credentialsFile: not used with auth type telemeter',
  },
  {
    name: 'bearer without its file',
    telemetry: { endpoint: HTTPS, auth: { type: 'bearer' } },
    message: 'telemetry.auth.credentialsFile: is required with auth type bearer',
  },
  {
    name: 'bearer file empty path',
    telemetry: { endpoint: HTTPS, auth: { type: 'bearer', credentialsFile: '' } },
    message: 'telemetry.auth.credentialsFile: must be the path of a file holding the secret',
  },
  {
    name: 'basic without username',
    telemetry: { endpoint: HTTPS, auth: { type: 'basic', passwordFile: 'p' } },
    message: 'telemetry.auth.username: is required with auth type basic',
  },
  {
    name: 'basic username with a colon',
    telemetry: { endpoint: HTTPS, auth: { type: 'basic', username: 'a:b', passwordFile: 'p' } },
    message: 'telemetry.auth.username: must be a non-empty string of printable ASCII without ":"',
  },
  {
    name: 'basic username with CR LF',
    telemetry: {
      endpoint: HTTPS,
      auth: { type: 'basic', username: 'a\r\nX-Evil: 1', passwordFile: 'p' },
    },
    message: 'telemetry.auth.username: must be a non-empty string of printable ASCII without ":"',
  },
  {
    name: 'basic without passwordFile',
    telemetry: { endpoint: HTTPS, auth: { type: 'basic', username: 'u' } },
    message: 'telemetry.auth.passwordFile: is required with auth type basic',
  },
  {
    name: 'headers not a mapping',
    telemetry: { headers: ['X-Scope-OrgID: a'] },
    message:
      'telemetry.headers: must be a mapping of header names to values (e.g. X-Scope-OrgID: tenant-a)',
  },
  {
    name: 'header name not a token',
    telemetry: { headers: { 'X Scope': 'a' } },
    message: 'telemetry.headers.X Scope: is not a valid HTTP header name',
  },
  {
    name: 'header name with a colon',
    telemetry: { headers: { 'X-A:': 'a' } },
    message: 'telemetry.headers.X-A:: is not a valid HTTP header name',
  },
  {
    name: 'header value with LF',
    telemetry: { headers: { 'X-Scope-OrgID': 'a\nX-Evil: 1' } },
    message:
      'telemetry.headers.X-Scope-OrgID: must be non-empty printable ASCII without CR or LF, not "a\\nX-Evil: 1"',
  },
  {
    name: 'header value with CR',
    telemetry: { headers: { 'THANOS-TENANT': 'a\rb' } },
    message:
      'telemetry.headers.THANOS-TENANT: must be non-empty printable ASCII without CR or LF, not "a\\rb"',
  },
  {
    name: 'header value empty',
    telemetry: { headers: { 'X-Scope-OrgID': '' } },
    message:
      'telemetry.headers.X-Scope-OrgID: must be non-empty printable ASCII without CR or LF, not ""',
  },
  {
    name: 'header value a number',
    telemetry: { headers: { 'X-Scope-OrgID': 42 } },
    message: 'telemetry.headers.X-Scope-OrgID: must be a string (quote it in YAML), not 42',
  },
  {
    name: 'secret-looking header value never quoted',
    telemetry: { headers: { 'X-Api-Key': 'k\nv' } },
    message: 'telemetry.headers.X-Api-Key: must be non-empty printable ASCII without CR or LF',
  },
  {
    name: 'the same header twice',
    telemetry: { headers: { 'X-Scope-OrgID': 'a', 'x-scope-orgid': 'b' } },
    message: 'telemetry.headers.x-scope-orgid: is set twice (header names are case-insensitive)',
  },
  {
    name: 'Authorization reserved',
    telemetry: { headers: { Authorization: 'Bearer x' } },
    message: 'telemetry.headers.Authorization: is reserved: credentials go in telemetry.auth',
  },
  ...[
    'authorization',
    'Content-Encoding',
    'CONTENT-TYPE',
    'User-Agent',
    'x-prometheus-remote-write-version',
    'Host',
    'content-length',
  ]
    .filter((name) => name !== 'authorization')
    .map((name) => ({
      name: `${name} reserved`,
      telemetry: { headers: { [name]: 'x' } },
      message: `telemetry.headers.${name}: is reserved: edge-telemetry sets it itself`,
    })),
  ...[
    'Transfer-Encoding',
    'connection',
    'Keep-Alive',
    'TE',
    'Trailer',
    'Upgrade',
    'Expect',
    'Proxy-Connection',
  ].map((name) => ({
    name: `${name}: a connection header`,
    telemetry: { headers: { [name]: 'x' } },
    message: `telemetry.headers.${name}: is a connection header, which HTTP sets itself; it cannot be configured`,
  })),
  {
    name: 'Proxy-Authorization reserved',
    telemetry: { headers: { 'Proxy-Authorization': 'Basic eA==' } },
    message:
      'telemetry.headers.Proxy-Authorization: is reserved: proxy credentials go in the telemetry.proxy URL',
  },
  ...(['bearer', 'basic', 'none'] as const).map((type) => ({
    name: `auth type ${type} with the default endpoint`,
    telemetry: {
      auth:
        type === 'bearer'
          ? { type, credentialsFile: 't' }
          : type === 'basic'
            ? { type, username: 'u', passwordFile: 'p' }
            : { type },
    },
    message: `telemetry.auth.type: ${type} is for your own backend, but telemetry.endpoint is Red Hat's Telemetry API (the default), which takes only the telemeter bearer; set telemetry.endpoint`,
  })),
  {
    name: 'authorization reserved, lower case',
    telemetry: { headers: { authorization: 'x' } },
    message: 'telemetry.headers.authorization: is reserved: credentials go in telemetry.auth',
  },
  {
    name: 'http to a remote host with bearer',
    telemetry: {
      endpoint: 'http://mimir.example.com/api/v1/push',
      auth: { type: 'bearer', credentialsFile: 't' },
    },
    message:
      'telemetry.endpoint: "http://mimir.example.com/api/v1/push" is plain http to a host that is not loopback: auth type bearer would send its credentials in clear text; use https (or auth type none)',
  },
  {
    name: 'http to a remote host with basic',
    telemetry: {
      endpoint: 'http://10.0.0.5:8428/api/v1/write',
      auth: { type: 'basic', username: 'u', passwordFile: 'p' },
    },
    message:
      'telemetry.endpoint: "http://10.0.0.5:8428/api/v1/write" is plain http to a host that is not loopback: auth type basic would send its credentials in clear text; use https (or auth type none)',
  },
  {
    name: 'http to a remote host with the default telemeter',
    telemetry: { endpoint: 'http://infogw.example.com/metrics/v1/receive' },
    message:
      'telemetry.endpoint: "http://infogw.example.com/metrics/v1/receive" is plain http to a host that is not loopback: auth type telemeter would send its credentials in clear text; use https (or auth type none)',
  },
];

t.test('every auth and header mistake: one line naming the file and the key', async (t) => {
  for (const item of cases) t.equal(errorOf(item.telemetry), `${FILE}: ${item.message}`, item.name);
});

t.test('a drop-in that set the key is the file named', async (t) => {
  const provenance = (key: string) => (key.startsWith('telemetry.auth') ? DROP_IN : undefined);
  t.throws(
    () =>
      validate(
        { endpoint: HTTPS, auth: { type: 'bearer', passwordFile: 'p', credentialsFile: 't' } },
        provenance,
      ),
    {
      message: `${DROP_IN}: telemetry.auth.passwordFile: not used with auth type bearer (it takes credentialsFile)`,
    },
  );
  // Relative secret paths resolve beside the file that set them, as pullSecretFile does.
  const config = validate(
    { endpoint: HTTPS, auth: { type: 'bearer', credentialsFile: 'secrets/token' } },
    provenance,
  );
  t.same(config.auth, {
    type: 'bearer',
    credentialsFile: {
      path: '/etc/edge-telemetry/telemetry.d/secrets/token',
      key: 'telemetry.auth.credentialsFile',
      setIn: DROP_IN,
    },
  });
});

t.test('what is accepted', async (t) => {
  t.same(validate({}).auth, { type: 'telemeter' }, "the default: today's behaviour");
  t.same(validate({}).headers, []);
  t.same(validate({ auth: {} }).auth, { type: 'telemeter' });
  t.same(
    validate({ endpoint: 'http://mimir.example.com/api/v1/push', auth: { type: 'none' } }).auth,
    { type: 'none' },
    'http with no credentials: nothing to leak',
  );
  const basic = validate({
    endpoint: HTTPS,
    auth: { type: 'basic', username: 'tenant-a', passwordFile: '/etc/edge-telemetry/password' },
  });
  t.same(basic.auth, {
    type: 'basic',
    username: 'tenant-a',
    passwordFile: {
      path: '/etc/edge-telemetry/password',
      key: 'telemetry.auth.passwordFile',
      setIn: FILE,
    },
  });
  const headers = validate({
    headers: { 'X-Scope-OrgID': 'tenant-a', 'THANOS-TENANT': 'b c', 'X-Api-Key': 'k-123' },
  }).headers;
  t.same(headers, [
    { name: 'X-Scope-OrgID', value: 'tenant-a', secret: false },
    { name: 'THANOS-TENANT', value: 'b c', secret: false },
    { name: 'X-Api-Key', value: 'k-123', secret: true },
  ]);
  for (const endpoint of [
    'http://127.0.0.1:9411/metrics/v1/receive',
    'http://127.8.9.10/x',
    'http://localhost:8428/api/v1/write',
    'http://[::1]:8428/api/v1/write',
  ]) {
    t.equal(
      validate({ endpoint, auth: { type: 'bearer', credentialsFile: 't' } }).endpoint.startsWith(
        'http://',
      ),
      true,
      `${endpoint}: loopback, fine`,
    );
  }
  t.same(
    ['127.0.0.1', '127.255.0.1', 'localhost', 'LOCALHOST', '[::1]', '::1'].map(isLoopbackHost),
    [true, true, true, true, true, true],
  );
  t.same(
    ['128.0.0.1', '10.0.0.1', 'localhost.example.com', '127.0.0.1.nip.io', '[::2]', '0.0.0.0'].map(
      isLoopbackHost,
    ),
    [false, false, false, false, false, false],
  );
});

t.test(
  'check-config prints the auth and the headers, secret-looking header values redacted',
  async (t) => {
    const config = validate({
      endpoint: HTTPS,
      auth: { type: 'basic', username: 'tenant-a', passwordFile: '/p' },
      headers: { 'X-Scope-OrgID': 'tenant-a', 'X-Api-Key': 'k-123456789' },
    });
    const yaml = effectiveConfigYaml(config);
    t.match(
      yaml,
      '  auth:\n    type: basic\n    username: tenant-a\n    passwordFile: /p\n  headers:\n    X-Scope-OrgID: tenant-a\n    X-Api-Key: REDACTED\n',
    );
    t.notMatch(yaml, 'k-123456789');
  },
);

t.test(
  'through the CLI: exit 2, the one line, no stack; the secret files are checked at check-config and run',
  async (t) => {
    const dir = await ownTempDir(t);
    const headerCase = await writeConfig(path.join(dir, 'header'), {
      headers: { 'Content-Type': 'text/plain' },
    });
    const result = await runCli(['check-config', '--config', headerCase]);
    t.equal(result.code, 2);
    t.equal(
      result.stderr,
      `edge-telemetry: ${headerCase}: telemetry.headers.Content-Type: is reserved: edge-telemetry sets it itself\n`,
    );
    t.equal(result.stdout, '');

    const clear = await writeConfig(path.join(dir, 'clear'), {
      endpoint: 'http://192.0.2.7:8428/api/v1/write',
      auth: { type: 'bearer', credentialsFile: 'token' },
    });
    for (const command of ['run', 'once', 'check-config']) {
      const refused = await runCli([command, '--config', clear]);
      t.equal(refused.code, 2, `${command}: exit 2`);
      t.equal(
        refused.stderr,
        `edge-telemetry: ${clear}: telemetry.endpoint: "http://192.0.2.7:8428/api/v1/write" is plain http to a host that is not loopback: auth type bearer would send its credentials in clear text; use https (or auth type none)\n`,
        `${command}: one line`,
      );
    }

    // Mode: a password file others can read is refused at start, naming the key, the file, its mode and the fix.
    const modeDir = path.join(dir, 'mode');
    const modeConfig = await writeConfig(modeDir, {
      endpoint: 'http://127.0.0.1:9/api/v1/write',
      auth: { type: 'basic', username: 'tenant-a', passwordFile: 'password' },
    });
    const password = path.join(modeDir, 'password');
    await writeFile(password, 'pw-SECRET-4b1d9a\n');
    for (const [mode, shown] of [
      [0o644, '0644'],
      [0o602, '0602'],
      [0o604, '0604'],
    ] as const) {
      await chmod(password, mode);
      for (const command of ['check-config', 'run', 'once']) {
        const refused = await runCli([command, '--config', modeConfig]);
        t.equal(refused.code, 2, `${shown} ${command}: exit 2`);
        t.equal(
          refused.stderr,
          `edge-telemetry: ${modeConfig}: telemetry.auth.passwordFile: ${password}: readable or writable by others (mode ${shown}); chmod 0600 ${password}\n`,
          `${shown} ${command}: one line`,
        );
        t.notMatch(refused.stdout + refused.stderr, 'pw-SECRET');
      }
    }
    await chmod(password, 0o640);
    const checked = await runCli(['check-config', '--config', modeConfig]);
    t.equal(checked.code, 0, checked.stderr);
    t.match(
      checked.stdout,
      `# auth: basic (Authorization: Basic <username "tenant-a" and the password in telemetry.auth.passwordFile>)\n# reads telemetry.auth.passwordFile: ${password} (at every send)\n# reads telemetry.clusterIdFile: ${path.join(modeDir, 'cluster-id')}\n`,
    );
    t.notMatch(checked.stdout, 'pw-SECRET');

    // Missing and empty are config errors too (one line); the default type reads the pull secret, as today.
    await writeFile(password, '\n');
    t.equal(
      (await runCli(['check-config', '--config', modeConfig])).stderr,
      `edge-telemetry: ${modeConfig}: telemetry.auth.passwordFile: ${password}: empty\n`,
    );
    const missing = await writeConfig(path.join(dir, 'missing'), {
      endpoint: HTTPS,
      auth: { type: 'bearer', credentialsFile: 'nope' },
    });
    const gone = await runCli(['check-config', '--config', missing]);
    t.equal(gone.code, 2);
    t.equal(
      gone.stderr,
      `edge-telemetry: ${missing}: telemetry.auth.credentialsFile: ${path.join(dir, 'missing', 'nope')}: not found\n`,
    );
    const telemeter = await writeConfig(path.join(dir, 'telemeter'), {});
    const plain = await runCli(['check-config', '--config', telemeter]);
    t.equal(plain.code, 0, plain.stderr);
    t.match(
      plain.stdout,
      `# auth: telemeter (Authorization: Bearer <base64 of the pull secret token and the cluster id>)\n# reads telemetry.pullSecretFile: ${path.join(dir, 'telemeter', 'pull-secret.json')} (at every send)\n`,
    );
  },
);
