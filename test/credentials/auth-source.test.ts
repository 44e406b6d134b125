// The auth of each send, against a real HTTP receiver on 127.0.0.1: secrets
// read fresh at every send (rotation), a file that goes bad later fails that
// send as a value (samples kept, one line), the configured headers on every request.
import t from 'tap';
import { chmod, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createAuthSource, type AuthSettings } from '../../src/credentials/auth-source.js';
import { sendReport } from '../../src/deliver/send-report.js';
import { sampleOnce } from '../../src/agent/sample-tick.js';
import { createLogger } from '../../src/base/log.js';
import { startScriptedReceiver } from '../helpers/scripted-receiver.js';
import { sendDeps } from '../helpers/send-deps.js';
import { ownTempDir } from '../helpers/files.js';

const UA = 'edge-telemetry/test';
const anyAuth = () => true;

function bearerSettings(file: string): AuthSettings {
  return {
    auth: {
      type: 'bearer',
      credentialsFile: {
        path: file,
        key: 'telemetry.auth.credentialsFile',
        setIn: '/etc/edge-telemetry/telemetry.yaml',
      },
    },
    headers: [
      { name: 'X-Scope-OrgID', value: 'tenant-a', secret: false },
      { name: 'THANOS-TENANT', value: 'team b', secret: false },
    ],
    pullSecretFile: '/nonexistent',
  };
}

t.test(
  'bearer: the token file changes between two sends; the second request carries the new token',
  async (t) => {
    const receiver = await startScriptedReceiver([], { status: 200 }, undefined, {
      authorized: anyAuth,
    });
    t.teardown(receiver.close);
    const dir = await ownTempDir(t);
    const token = path.join(dir, 'token');
    await writeFile(token, 'tok-one-5d1c\n', { mode: 0o600 });
    const deps = sendDeps(receiver.url, {
      resolveAuth: createAuthSource({ ...bearerSettings(token), endpoint: receiver.url }, UA),
    });
    t.teardown(() => deps.transport.close());
    const controller = new AbortController();
    await sampleOnce(deps, controller.signal);
    t.equal((await sendReport(deps, controller.signal)).ok, true);
    await writeFile(token, 'tok-two-8e2f');
    await sampleOnce(deps, controller.signal);
    t.equal((await sendReport(deps, controller.signal)).ok, true);
    t.same(
      receiver.requests.map((request) => request.headers.authorization),
      ['Bearer tok-one-5d1c', 'Bearer tok-two-8e2f'],
    );
    for (const request of receiver.requests) {
      t.equal(request.headers['x-scope-orgid'], 'tenant-a');
      t.equal(request.headers['thanos-tenant'], 'team b');
      t.equal(request.headers['content-encoding'], 'snappy');
      t.equal(request.headers['user-agent'], UA);
    }
  },
);

t.test('basic: the password file rotates too; none sends no Authorization', async (t) => {
  const receiver = await startScriptedReceiver([], { status: 200 }, undefined, {
    authorized: anyAuth,
  });
  t.teardown(receiver.close);
  const dir = await ownTempDir(t);
  const password = path.join(dir, 'password');
  await writeFile(password, 'pw one\r\n', { mode: 0o640 });
  const settings: AuthSettings = {
    auth: {
      type: 'basic',
      username: 'tenant-a',
      passwordFile: { path: password, key: 'telemetry.auth.passwordFile', setIn: '/x.yaml' },
    },
    headers: [],
    pullSecretFile: '/nonexistent',
  };
  const deps = sendDeps(receiver.url, {
    resolveAuth: createAuthSource({ ...settings, endpoint: receiver.url }, UA),
  });
  t.teardown(() => deps.transport.close());
  const signal = new AbortController().signal;
  await sendReport(deps, signal);
  await writeFile(password, 'pw-two');
  await sendReport(deps, signal);
  const none = sendDeps(receiver.url, {
    resolveAuth: createAuthSource(
      {
        auth: { type: 'none' },
        headers: [],
        pullSecretFile: '/nonexistent',
        endpoint: receiver.url,
      },
      UA,
    ),
  });
  t.teardown(() => none.transport.close());
  await sendReport(none, signal);
  t.same(
    receiver.requests.map((request) => request.headers.authorization),
    [
      `Basic ${Buffer.from('tenant-a:pw one').toString('base64')}`,
      `Basic ${Buffer.from('tenant-a:pw-two').toString('base64')}`,
      undefined,
    ],
  );
});

t.test(
  'a file that goes bad after start: that send fails as a value, samples kept, one line naming key, file and mode',
  async (t) => {
    const receiver = await startScriptedReceiver([], { status: 200 }, undefined, {
      authorized: anyAuth,
    });
    t.teardown(receiver.close);
    const dir = await ownTempDir(t);
    const token = path.join(dir, 'token');
    await writeFile(token, 'tok-SECRET-0a9b8c\n', { mode: 0o600 });
    const lines: string[] = [];
    const deps = sendDeps(
      receiver.url,
      { resolveAuth: createAuthSource({ ...bearerSettings(token), endpoint: receiver.url }, UA) },
      createLogger('debug', (line) => lines.push(line)),
    );
    t.teardown(() => deps.transport.close());
    const signal = new AbortController().signal;
    const cases: { name: string; prepare: () => Promise<void>; reason: string }[] = [
      {
        name: 'mode',
        prepare: () => chmod(token, 0o644),
        reason: `telemetry.auth.credentialsFile: ${token}: readable or writable by others (mode 0644); chmod 0600 ${token}`,
      },
      {
        name: 'empty',
        prepare: async () => {
          await writeFile(token, '\n');
          await chmod(token, 0o600);
        },
        reason: `telemetry.auth.credentialsFile: ${token}: empty`,
      },
      {
        name: 'blanks only',
        prepare: () => writeFile(token, '  \t \n'),
        reason: `telemetry.auth.credentialsFile: ${token}: empty (only blanks)`,
      },
      {
        name: 'two lines',
        prepare: () => writeFile(token, 'tok-SECRET-0a9b8c\nsecond\n'),
        reason: `telemetry.auth.credentialsFile: ${token}: holds more than one line or characters a header cannot carry (only printable ASCII)`,
      },
      {
        name: 'gone',
        prepare: () => rm(token),
        reason: `telemetry.auth.credentialsFile: ${token}: not found`,
      },
    ];
    for (const item of cases) {
      await item.prepare();
      lines.length = 0;
      await sampleOnce(deps, signal);
      const buffered = deps.buffer.size;
      const summary = await sendReport(deps, signal);
      t.same(
        summary,
        {
          ok: false,
          requests: 0,
          delivered: 0,
          samplesSent: 0,
          samplesDropped: 0,
          samplesKept: buffered,
          failure: `cannot send: ${item.reason}`,
        },
        `${item.name}: a value`,
      );
      t.ok(buffered > 0, `${item.name}: samples kept`);
      t.same(
        lines.filter((line) => !line.includes('sampled')),
        [`<3>error: cannot send: ${item.reason}; samples kept for the next send`],
        `${item.name}: one line`,
      );
    }
    t.equal(receiver.requests.length, 0, 'nothing sent without valid credentials');
    // Fixed: the next send delivers what was kept.
    await writeFile(token, 'tok-SECRET-0a9b8c\n', { mode: 0o600 });
    const kept = deps.buffer.size;
    t.equal(kept, 5, 'one dynamic sample per failed send');
    const fixed = await sendReport(deps, signal);
    t.equal(fixed.ok, true);
    // The backlog (3 older ticks) and the current values (newest tick + static snapshot), each in its own request.
    t.same([fixed.samplesSent, fixed.samplesKept, receiver.requests.length], [kept + 1, 0, 2]);
    t.same(
      receiver.requests.map((request) => request.headers.authorization),
      ['Bearer tok-SECRET-0a9b8c', 'Bearer tok-SECRET-0a9b8c'],
    );
  },
);
