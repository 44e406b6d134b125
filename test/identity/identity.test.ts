import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parsePullSecret, readPullSecretToken } from '../../src/identity/pull-secret.js';
import { resolveClusterId } from '../../src/identity/cluster-id.js';
import { classifyDeployment } from '../../src/identity/deployment-type.js';
import { tempDir, TOKEN, writeConfig } from '../helpers/files.js';
import { runCli } from '../helpers/cli.js';

t.test('broken pull secrets name exactly what is missing', async (t) => {
  const file = '/etc/crio/openshift-pull-secret';
  const cases: [string, string][] = [
    ['not json', `pull secret ${file}: not valid JSON`],
    ['[]', `pull secret ${file}: not a JSON object`],
    ['{}', `pull secret ${file}: no "auths" key`],
    ['{"auths": 3}', `pull secret ${file}: "auths" is not an object`],
    ['{"auths": {"quay.io": {"auth": "x"}}}', `pull secret ${file}: no "cloud.openshift.com" entry in "auths"`],
    ['{"auths": {"cloud.openshift.com": {"email": "a"}}}', `pull secret ${file}: no "auth" in "auths.cloud.openshift.com"`],
    ['{"auths": {"cloud.openshift.com": {"auth": ""}}}', `pull secret ${file}: "auths.cloud.openshift.com.auth" is empty or not a string`],
  ];
  for (const [text, message] of cases) t.throws(() => parsePullSecret(text, file), { message, code: 'EPULLSECRET' }, text);
  t.equal(parsePullSecret(`{"auths": {"cloud.openshift.com": {"auth": "${TOKEN}"}}}`, file), TOKEN);
});

t.test('pull secret errors never quote the content', async (t) => {
  const dir = await tempDir();
  const file = path.join(dir, 'ps');
  await writeFile(file, `{"auths": {"cloud.openshift.com": {"auth": "${TOKEN}"`);
  await t.rejects(readPullSecretToken(file), { message: `pull secret ${file}: not valid JSON` });
  await t.rejects(readPullSecretToken(path.join(dir, 'missing')), { message: `pull secret ${path.join(dir, 'missing')}: not found` });
});

t.test('cluster id: configured, generated once and kept, or a clear error', async (t) => {
  const dir = await tempDir();
  const first = await resolveClusterId('', path.join(dir, 'data'));
  t.match(first, /^[0-9a-f-]{36}$/);
  t.equal(await resolveClusterId('', path.join(dir, 'data')), first, 'stable across restarts');
  t.equal((await readFile(path.join(dir, 'data', 'cluster-id'), 'utf8')).trim(), first);
  await writeFile(path.join(dir, 'empty'), '\n');
  await t.rejects(resolveClusterId(path.join(dir, 'empty'), dir), { message: `cluster id file ${path.join(dir, 'empty')}: empty` });
  await t.rejects(resolveClusterId(path.join(dir, 'absent'), dir), { message: `cluster id file ${path.join(dir, 'absent')}: not found` });
});

t.test('an unreadable cluster id file stops the daemon with one line and exit 2', async (t) => {
  const dir = await tempDir();
  const file = await writeConfig(dir, { clusterIdFile: 'no-such-id' });
  const result = await runCli(['once', '--config', file]);
  t.equal(result.code, 2);
  t.equal(result.stderr, `edge-telemetry: cluster id file ${path.join(dir, 'no-such-id')}: not found\n`);
});

t.test('deployment type as MicroShift detects it', async (t) => {
  t.equal(classifyDeployment('{"status": {"type": "bootcHost"}}', true), 'microshift-bootc');
  t.equal(classifyDeployment('{"status": {"type": null}}', true), 'microshift-ostree');
  t.equal(classifyDeployment('garbage', false), 'microshift-rpm');
  t.equal(classifyDeployment(undefined, false), 'microshift-rpm');
});
