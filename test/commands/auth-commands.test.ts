// `show` prints every header exactly as a send would build it, secrets
// redacted, and says whether the credentials file would be read; nothing is
// sent. `upload` and `once` send with the same auth and headers as the daemon.
import t from 'tap';
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { startScriptedReceiver } from '../helpers/scripted-receiver.js';
import { ownTempDir, writeConfig } from '../helpers/files.js';
import { AGENT_VERSION } from '../../src/base/version.js';
import { fixtureExport } from '../helpers/export-fixture.js';

t.test(
  'show: reserved, configured and Authorization headers; Basic <redacted>, secret-looking header redacted, tenant as written',
  async (t) => {
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const dir = await ownTempDir(t);
    const password = path.join(dir, 'password');
    await writeFile(password, 'pw-SECRET-1d2c3b4a\n', { mode: 0o600 });
    const config = await writeConfig(dir, {
      endpoint: receiver.url,
      auth: { type: 'basic', username: 'tenant-a', passwordFile: 'password' },
      headers: { 'X-Scope-OrgID': 'tenant-a', 'X-Auth-Token': 'hdr-SECRET-77aa' },
      diskPaths: ['/'],
    });
    const result = await runCli(['show', '--config', config]);
    t.equal(result.code, 0, result.stderr);
    t.match(
      result.stdout,
      [
        `# POST ${receiver.url}`,
        '# Content-Encoding: snappy',
        '# Content-Type: application/x-protobuf',
        '# X-Prometheus-Remote-Write-Version: 0.1.0',
        `# User-Agent: edge-telemetry/${AGENT_VERSION}`,
        '# X-Scope-OrgID: tenant-a',
        '# X-Auth-Token: <redacted>',
        '# Authorization: Basic <redacted>',
        `# credentials (auth type basic, telemetry.auth.passwordFile ${password}): ok`,
        '',
      ].join('\n'),
    );
    t.notMatch(result.stdout + result.stderr, /SECRET/);
    t.equal(receiver.connections, 0, 'show sends nothing');

    // The file goes bad after check-config passed: show says so in one line and still shows the headers.
    await writeFile(password, '');
    const bad = await runCli(['show', '--config', config]);
    t.equal(bad.code, 0, bad.stderr);
    t.match(
      bad.stdout,
      `# Authorization: Basic <redacted>\n# credentials (auth type basic, telemetry.auth.passwordFile ${password}): telemetry.auth.passwordFile: ${password}: empty\n`,
    );
  },
);

t.test('show with auth none and bearer', async (t) => {
  const dir = await ownTempDir(t);
  const none = await runCli([
    'show',
    '--config',
    await writeConfig(path.join(dir, 'none'), {
      endpoint: 'http://127.0.0.1:9/api/v1/write',
      auth: { type: 'none' },
      diskPaths: ['/'],
    }),
  ]);
  t.equal(none.code, 0, none.stderr);
  t.notMatch(none.stdout, 'Authorization');
  t.match(none.stdout, '# credentials (auth type none): ok\n');
  await writeFile(path.join(dir, 'token'), 'tok-SECRET-9e8d', { mode: 0o600 });
  const bearer = await runCli([
    'show',
    '--config',
    await writeConfig(dir, {
      endpoint: 'https://mimir.example.com/api/v1/push',
      auth: { type: 'bearer', credentialsFile: 'token' },
      diskPaths: ['/'],
    }),
  ]);
  t.equal(bearer.code, 0, bearer.stderr);
  t.match(bearer.stdout, '# Authorization: Bearer <redacted>\n');
  t.notMatch(bearer.stdout, 'SECRET');
});

t.test('upload and once use the same auth and headers as the daemon', async (t) => {
  const receiver = await startScriptedReceiver([], { status: 200 }, undefined, {
    authorized: () => true,
  });
  t.teardown(receiver.close);
  const dir = await ownTempDir(t);
  await writeFile(path.join(dir, 'token'), 'tok-upload-6f1e\n', { mode: 0o600 });
  const config = await writeConfig(dir, {
    endpoint: receiver.url,
    auth: { type: 'bearer', credentialsFile: 'token' },
    headers: { 'THANOS-TENANT': 'fleet-7' },
    diskPaths: ['/'],
  });
  const exportFile = path.join(dir, 'export.jsonl');
  await writeFile(exportFile, fixtureExport());
  const uploaded = await runCli(['upload', exportFile, '--config', config]);
  t.equal(uploaded.code, 0, uploaded.stderr);
  const once = await runCli(['once', '--config', config]);
  t.equal(once.code, 0, once.stderr);
  t.equal(receiver.requests.length, 3, 'two exported requests, one report');
  for (const request of receiver.requests) {
    t.equal(request.headers.authorization, 'Bearer tok-upload-6f1e');
    t.equal(request.headers['thanos-tenant'], 'fleet-7');
  }
  // A token file open to others stops upload before anything is read or sent: a config error, exit 2.
  await chmod(path.join(dir, 'token'), 0o604);
  const refused = await runCli(['upload', exportFile, '--config', config]);
  t.equal(refused.code, 2);
  t.equal(
    refused.stderr,
    `edge-telemetry: ${config}: telemetry.auth.credentialsFile: ${path.join(dir, 'token')}: readable or writable by others (mode 0604); chmod 0600 ${path.join(dir, 'token')}\n`,
  );
  t.equal(receiver.requests.length, 3);
});
