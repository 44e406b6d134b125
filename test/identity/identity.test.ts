import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parsePullSecret, readPullSecretToken } from '../../src/credentials/pull-secret.js';
import { resolveClusterId } from '../../src/identity/cluster-id.js';
import { classifyDeployment, isBootcHost } from '../../src/identity/deployment-type.js';
import { ownTempDir, TOKEN, writeConfig } from '../helpers/files.js';
import { runCli } from '../helpers/cli.js';
import { startScriptedReceiver } from '../helpers/scripted-receiver.js';

t.test('broken pull secrets name exactly what is missing', async (t) => {
  const file = '/etc/crio/openshift-pull-secret';
  const cases: [string, string][] = [
    ['not json', `pull secret ${file}: not valid JSON`],
    ['[]', `pull secret ${file}: not a JSON object`],
    ['{}', `pull secret ${file}: no "auths" key`],
    ['{"auths": 3}', `pull secret ${file}: "auths" is not an object`],
    [
      '{"auths": {"quay.io": {"auth": "x"}}}',
      `pull secret ${file}: no "cloud.openshift.com" entry in "auths"`,
    ],
    [
      '{"auths": {"cloud.openshift.com": {"email": "a"}}}',
      `pull secret ${file}: no "auth" in "auths.cloud.openshift.com"`,
    ],
    [
      '{"auths": {"cloud.openshift.com": {"auth": ""}}}',
      `pull secret ${file}: "auths.cloud.openshift.com.auth" is empty or not a string`,
    ],
  ];
  for (const [text, message] of cases)
    t.throws(() => parsePullSecret(text, file), { message, code: 'EPULLSECRET_MALFORMED' }, text);
  t.equal(parsePullSecret(`{"auths": {"cloud.openshift.com": {"auth": "${TOKEN}"}}}`, file), TOKEN);
});

t.test('pull secret errors never quote the content', async (t) => {
  const dir = await ownTempDir(t);
  const file = path.join(dir, 'ps');
  await writeFile(file, `{"auths": {"cloud.openshift.com": {"auth": "${TOKEN}"`);
  await t.rejects(readPullSecretToken(file), {
    message: `pull secret ${file}: not valid JSON`,
    code: 'EPULLSECRET_MALFORMED',
  });
  await t.rejects(readPullSecretToken(path.join(dir, 'missing')), {
    message: `pull secret ${path.join(dir, 'missing')}: not found`,
    code: 'EPULLSECRET_MISSING',
  });
});

t.test('cluster id: configured, generated once and kept, or an error with a code', async (t) => {
  const dir = await ownTempDir(t);
  const first = await resolveClusterId('', path.join(dir, 'data'));
  if (first.kind !== 'ok') throw first.error;
  t.match(first.id, /^[0-9a-f-]{36}$/);
  t.same(
    await resolveClusterId('', path.join(dir, 'data')),
    { kind: 'ok', id: first.id },
    'stable across restarts',
  );
  t.equal((await readFile(path.join(dir, 'data', 'cluster-id'), 'utf8')).trim(), first.id);
  // MicroShift writes the kube-system namespace's UID with no newline.
  await writeFile(path.join(dir, 'microshift-id'), 'd1b0c6a5-7f0e-4b43-9c36-2f1a8e0c4b11');
  t.same(await resolveClusterId(path.join(dir, 'microshift-id'), dir), {
    kind: 'ok',
    id: 'd1b0c6a5-7f0e-4b43-9c36-2f1a8e0c4b11',
  });
  await writeFile(path.join(dir, 'empty'), '\n');
  await writeFile(path.join(dir, 'bad'), 'not an id at all\n');
  const cases: [string, string, string][] = [
    ['empty', 'ECLUSTERID_EMPTY', 'empty'],
    ['absent', 'ECLUSTERID_MISSING', 'not found'],
    [
      'bad',
      'ECLUSTERID_MALFORMED',
      "not an id (expected up to 128 letters, digits, '.', '_' or '-')",
    ],
    ['', 'ECLUSTERID_UNREADABLE', 'is a directory'],
  ];
  for (const [name, code, reason] of cases) {
    const file = path.join(dir, name);
    const result = await resolveClusterId(file, dir);
    t.equal(result.kind, 'error', name);
    if (result.kind === 'error')
      t.match(result.error, { code, message: `cluster id file ${file}: ${reason}` }, name);
  }
  await writeFile(path.join(dir, 'data', 'cluster-id'), '');
  t.match(
    await resolveClusterId('', path.join(dir, 'data')),
    { kind: 'error', error: { code: 'ECLUSTERID_EMPTY' } },
    'a damaged kept id is an error, not replaced',
  );
});

t.test('a broken cluster id file stops the daemon with one line and exit 2', async (t) => {
  const dir = await ownTempDir(t);
  const file = await writeConfig(dir, {});
  await writeFile(path.join(dir, 'cluster-id'), '');
  for (const command of ['run', 'once', 'check-config', 'show']) {
    const result = await runCli([command, '--config', file]);
    t.equal(result.code, 2, command);
    t.equal(
      result.stderr,
      `edge-telemetry: cluster id file ${path.join(dir, 'cluster-id')}: empty\n`,
      command,
    );
    t.equal(result.stdout, '', `${command}: nothing on stdout`);
  }
});

t.test('deployment type as MicroShift detects it', async (t) => {
  t.equal(isBootcHost('{"status": {"type": "bootcHost"}}'), true);
  t.equal(isBootcHost('{"status": {"type": null}}'), false);
  t.equal(isBootcHost('null'), false, 'JSON that is no status');
  t.equal(isBootcHost('garbage'), false, 'output that is not JSON: bootc could not tell');
  t.equal(classifyDeployment(true, true), 'microshift-bootc', 'bootc first');
  t.equal(classifyDeployment(false, true), 'microshift-ostree');
  t.equal(classifyDeployment(false, false), 'microshift-rpm');
});

t.test(
  'a cluster id or pull secret that is not a small regular file: one line naming it, at once',
  async (t) => {
    const { mkfifo } = await import('../helpers/fifo.js');
    const { symlink, truncate, rm } = await import('node:fs/promises');
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const dir = await ownTempDir(t);
    const config = await writeConfig(dir, { endpoint: receiver.url });
    const idFile = path.join(dir, 'cluster-id');
    const secret = path.join(dir, 'pull-secret.json');
    const kinds: [string, (file: string) => Promise<void>, string][] = [
      ['FIFO', (file) => mkfifo(file), 'not a regular file (a FIFO)'],
      [
        '/dev/zero',
        (file) => symlink('/dev/zero', file),
        'not a regular file (a character device)',
      ],
      [
        '50 MB',
        async (file) => {
          await writeFile(file, '');
          await truncate(file, 50 * 1024 * 1024);
        },
        `larger than {LIMIT} (${50 * 1024 * 1024} bytes)`,
      ],
      [
        'symlink loop',
        async (file) => {
          await symlink(`${file}.b`, file);
          await symlink(file, `${file}.b`);
        },
        'too many levels of symbolic links (a symlink loop?)',
      ],
    ];
    for (const [name, make, reason] of kinds) {
      await rm(idFile, { force: true });
      await rm(`${idFile}.b`, { force: true });
      await make(idFile);
      const result = await runCli(['once', '--config', config], { timeoutMs: 30_000 });
      t.equal(result.code, 2, `cluster id ${name}`);
      t.equal(
        result.stderr,
        `edge-telemetry: cluster id file ${idFile}: ${reason.replace('{LIMIT}', '4 KiB')}\n`,
        `cluster id ${name}`,
      );
    }
    await rm(idFile, { force: true });
    await rm(`${idFile}.b`, { force: true });
    await writeFile(idFile, 'cluster-0123\n');
    for (const [name, make, reason] of kinds) {
      await rm(secret, { force: true });
      await rm(`${secret}.b`, { force: true });
      await make(secret);
      const result = await runCli(['once', '--config', config], { timeoutMs: 30_000 });
      t.equal(result.code, 1, `pull secret ${name}: the daemon would keep running; once fails`);
      t.match(
        result.stderr,
        `cannot send: pull secret ${secret}: ${reason.replace('{LIMIT}', '1 MiB')}; nothing sent`,
        `pull secret ${name}`,
      );
    }
    t.equal(receiver.requests.length, 0);
  },
);
