// A receiver that echoes the credentials back in its error bodies (a 500, then
// a 400): the basic password, the bearer token, a secret-looking custom
// header and the request line with an api_key query, raw, base64'd and JSON-escaped. Nothing of them may reach the
// daemon's stdout, stderr or status.json; the tenant header, not a secret, may.
// And a token file opened to others is refused at reload as at start.
import t from 'tap';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type http from 'node:http';
import { spawnCli } from '../helpers/cli.js';
import { startScriptedReceiver } from '../helpers/scripted-receiver.js';
import { ownTempDir, writeConfig } from '../helpers/files.js';
import { leak } from '../helpers/secret-leak.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** Everything secret the request carried, as a careless receiver would quote it. */
function echo(request: http.IncomingMessage): string {
  const authorization = request.headers.authorization ?? '';
  const decoded = authorization.startsWith('Basic ')
    ? Buffer.from(authorization.slice(6), 'base64').toString('utf8')
    : '';
  return JSON.stringify({
    error: 'cannot store',
    url: request.url,
    authorization,
    password: decoded.slice(decoded.indexOf(':') + 1),
    key: request.headers['x-api-key'],
    keyB64: b64(String(request.headers['x-api-key'] ?? '')),
    tenant: request.headers['x-scope-orgid'],
  });
}

/** The status file once it holds `text` (polled: the daemon writes it after the send returns). */
async function statusWith(file: string, text: string): Promise<string> {
  for (let tries = 0; tries < 200; tries++) {
    const status = await readFile(file, 'utf8').catch(() => '');
    if (status.includes(text)) return status;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${file} never held ${text}`);
}

const PASSWORD = 'pw-SECRET-e41f7c2b9a';
const TOKEN = 'tok-SECRET-93ad0c5e7b';
const API_KEY = 'key-SECRET-5c8e1f0d2a';
const QUERY_KEY = 'qkey-SECRET-7b2d9e4f1c';

for (const auth of [
  { type: 'basic', username: 'tenant-a', passwordFile: 'password' },
  { type: 'bearer', credentialsFile: 'password' },
] as const) {
  t.test(
    `${auth.type}: echoed in a 500 and a 400 body, never in stdout, stderr or status.json`,
    async (t) => {
      const receiver = await startScriptedReceiver(
        [
          { status: 500, body: echo },
          { status: 400, body: echo },
        ],
        { status: 200 },
        undefined,
        { authorized: () => true },
      );
      t.teardown(receiver.close);
      const dir = await ownTempDir(t);
      await writeFile(path.join(dir, 'password'), `${auth.type === 'basic' ? PASSWORD : TOKEN}\n`, {
        mode: 0o600,
      });
      const config = await writeConfig(dir, {
        endpoint: receiver.url.replace('/metrics/v1/receive', `/api/v1/push?api_key=${QUERY_KEY}`),
        auth,
        headers: { 'X-Scope-OrgID': 'tenant-a', 'X-Api-Key': API_KEY },
        samplingInterval: '1s',
        sendingInterval: '2s',
        retry: { maxAttempts: 1 },
      });
      const daemon = spawnCli(['run', '--config', config]);
      t.teardown(() => daemon.stop('SIGKILL'));
      // The send at start meets the 500 (kept), the next one the 400 (its backlog request dropped), then 200s.
      await daemon.waitFor(/send failed; samples kept for the next send/);
      // status.json is written once the send has returned, just after that line; the next send is 2 s away.
      const status = await statusWith(
        path.join(dir, 'data', 'status.json'),
        '"reason":"HTTP 500: ',
      );
      await daemon.waitFor(/receiver refused the request; its samples are dropped/);
      await daemon.waitFor(/report sent/);
      t.equal(await daemon.stop('SIGTERM'), 0);
      const finalStatus = await readFile(path.join(dir, 'data', 'status.json'), 'utf8');
      const { stdout, stderr } = daemon.output();
      t.equal(receiver.requests[0]?.answeredStatus, 500);
      t.equal(receiver.requests[1]?.answeredStatus, 400);
      // The echo reached the log, scrubbed: the tenant is there, each secret is not.
      t.match(
        stderr,
        /send failed; samples kept for the next send .*reason="HTTP 500: .*tenant.*tenant-a/,
      );
      t.match(
        stderr,
        '/api/v1/push?api_key=REDACTED',
        'the start-up line names the endpoint without its key',
      );
      t.match(
        stderr,
        /receiver refused the request; its samples are dropped .*status=400 .*body=.*<redacted>/,
      );
      t.match(status, /"lastError":\{"atMs":\d+,"reason":"HTTP 500: /);
      t.match(status, '<redacted>');
      const secrets =
        auth.type === 'basic'
          ? [PASSWORD, b64(`tenant-a:${PASSWORD}`), API_KEY, QUERY_KEY]
          : [TOKEN, API_KEY, QUERY_KEY];
      for (const [name, text] of [
        ['stdout', stdout],
        ['stderr', stderr],
        ['status.json after the 500', status],
        ['status.json at the end', finalStatus],
      ] as const) {
        t.equal(leak(text, secrets), undefined, `${name}: no piece of a secret`);
      }
    },
  );
}

t.test(
  'reload: a token file that became readable by others is refused like at start; the running config goes on',
  async (t) => {
    const receiver = await startScriptedReceiver([], { status: 200 }, undefined, {
      authorized: () => true,
    });
    t.teardown(receiver.close);
    const dir = await ownTempDir(t);
    const token = path.join(dir, 'token');
    await writeFile(token, `${TOKEN}\n`, { mode: 0o600 });
    const config = await writeConfig(dir, {
      endpoint: receiver.url,
      auth: { type: 'bearer', credentialsFile: 'token' },
      samplingInterval: '1s',
      sendingInterval: '1h',
    });
    // bare: SIGHUP reaches the daemon's own handler, not the test runner's.
    const daemon = spawnCli(['run', '--config', config], {}, { bare: true });
    t.teardown(() => daemon.stop('SIGKILL'));
    await daemon.waitFor(/report sent/);
    await chmod(token, 0o644);
    daemon.child.kill('SIGHUP');
    const line = await daemon.waitFor(/reload refused, keeping the running config: [^\n]*/);
    t.equal(
      line,
      `reload refused, keeping the running config: ${config}: telemetry.auth.credentialsFile: ${token}: readable or writable by others (mode 0644); chmod 0600 ${token}`,
    );
    // The running daemon reads the file at its next send and refuses it there too (the last send, at SIGTERM).
    t.equal(await daemon.stop('SIGTERM'), 0);
    t.match(
      daemon.output().stderr,
      `cannot send: telemetry.auth.credentialsFile: ${token}: readable or writable by others (mode 0644); chmod 0600 ${token}; samples kept for the next send`,
    );
    t.equal(receiver.requests.length, 1, 'only the report at start');
    t.notMatch(daemon.output().stderr, TOKEN);
  },
);
