// Every config error is one line naming the file and key, exit code 2, no stack trace.
import t from 'tap';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';

const cases: { name: string; yaml: string; message: (file: string) => string }[] = [
  {
    name: 'unknown key',
    yaml: 'telemetry:\n  sendingIntervall: 1h\n',
    message: (f) => `${f}: telemetry.sendingIntervall: unknown key`,
  },
  {
    name: 'wrong case key',
    yaml: 'telemetry:\n  Status: Enabled\n',
    message: (f) => `${f}: telemetry.Status: unknown key (did you mean status?)`,
  },
  {
    name: 'status case',
    yaml: 'telemetry:\n  status: enabled\n',
    message: (f) =>
      `${f}: telemetry.status: must be Enabled or Disabled (exact case), not "enabled"`,
  },
  {
    name: 'bad duration',
    yaml: 'telemetry:\n  samplingInterval: 5x\n',
    message: (f) =>
      `${f}: telemetry.samplingInterval: "5x" is not a duration (use Go form such as 90s, 30m, 1h30m)`,
  },
  {
    name: 'interval too short',
    yaml: 'telemetry:\n  samplingInterval: 500ms\n',
    message: (f) => `${f}: telemetry.samplingInterval: "500ms" is shorter than the minimum 1s`,
  },
  {
    name: 'sampling above sending',
    yaml: 'telemetry:\n  samplingInterval: 2h\n  sendingInterval: 1h\n',
    message: (f) => `${f}: telemetry.samplingInterval: 2h is longer than sendingInterval 1h`,
  },
  {
    name: 'endpoint not http',
    yaml: 'telemetry:\n  endpoint: ftp://example.com/x\n',
    message: (f) => `${f}: telemetry.endpoint: "ftp://example.com/x" must be an http or https URL`,
  },
  {
    name: 'endpoint not a URL',
    yaml: 'telemetry:\n  endpoint: not a url\n',
    message: (f) => `${f}: telemetry.endpoint: "not a url" is not a URL`,
  },
  {
    name: 'number not whole',
    yaml: 'telemetry:\n  maxBufferedSamples: 1.5\n',
    message: (f) => `${f}: telemetry.maxBufferedSamples: must be a whole number`,
  },
  {
    name: 'unknown retry key',
    yaml: 'telemetry:\n  retry:\n    attempts: 3\n',
    message: (f) => `${f}: telemetry.retry.attempts: unknown key`,
  },
  {
    name: 'telemetry not a map',
    yaml: 'telemetry: yes\n',
    message: (f) => `${f}: telemetry: must be a mapping of keys`,
  },
  {
    name: 'yaml syntax',
    yaml: 'telemetry:\n  status: Enabled\n   endpoint: x\n',
    message: (f) =>
      `${f}:2:11: YAML syntax error: Nested mappings are not allowed in compact mappings`,
  },
  {
    name: 'bad extra resource',
    yaml: 'telemetry:\n  extraResources: [policies]\n',
    message: (f) =>
      `${f}: telemetry.extraResources: entry 0 "policies" is not "group/version/resource" (e.g. policies.kubewarden.io/v1/clusteradmissionpolicies)`,
  },
];

t.test('broken configs: one line, exit 2', async (t) => {
  const dir = await tempDir();
  for (const [index, item] of cases.entries()) {
    const file = path.join(dir, `case-${index}`, 'telemetry.yaml');
    await mkdir(path.dirname(file));
    await writeFile(file, item.yaml);
    const result = await runCli(['check-config', '--config', file]);
    t.equal(result.code, 2, `${item.name}: exit code`);
    t.equal(result.stderr, `edge-telemetry: ${item.message(file)}\n`, `${item.name}: message`);
    t.notMatch(result.stderr, /\n\s+at /, `${item.name}: no stack trace`);
  }
});

t.test('missing file', async (t) => {
  const file = path.join(await tempDir(), 'nope.yaml');
  const result = await runCli(['run', '--config', file]);
  t.equal(result.code, 2);
  t.equal(result.stderr, `edge-telemetry: ${file}: not found\n`);
});

t.test('a drop-in error names the drop-in', async (t) => {
  const dir = await tempDir();
  const file = path.join(dir, 'telemetry.yaml');
  await writeFile(file, 'telemetry:\n  status: Enabled\n');
  await mkdir(path.join(dir, 'telemetry.d'));
  await writeFile(
    path.join(dir, 'telemetry.d', '10-interval.yaml'),
    'telemetry:\n  sendingInterval: soon\n',
  );
  const result = await runCli(['check-config', '--config', file]);
  t.equal(result.code, 2);
  t.equal(
    result.stderr,
    `edge-telemetry: ${path.join(dir, 'telemetry.d', '10-interval.yaml')}: telemetry.sendingInterval: "soon" is not a duration (use Go form such as 90s, 30m, 1h30m)\n`,
  );
});

t.test(
  'drop-ins merge in lexical order; MicroShift config.yaml is read for its telemetry stanza and its config.d/',
  async (t) => {
    const dir = await tempDir();
    const file = path.join(dir, 'config.yaml');
    await writeFile(
      file,
      'dns:\n  baseDomain: example.com\ntelemetry:\n  status: Enabled\n  endpoint: https://infogw.api.openshift.com\n  sendingInterval: 1h\n',
    );
    await mkdir(path.join(dir, 'config.d'));
    await writeFile(path.join(dir, 'config.d', '20-b.yaml'), 'telemetry:\n  sendingInterval: 3h\n');
    await writeFile(
      path.join(dir, 'config.d', '10-a.yaml'),
      'telemetry:\n  sendingInterval: 2h\n  proxy: http://user:hunter2@proxy.example:3128\n',
    );
    await writeFile(path.join(dir, 'config.d', 'ignored.txt'), 'telemetry: [broken\n');
    const result = await runCli(['check-config', '--config', file]);
    t.equal(result.code, 0, result.stderr);
    t.match(result.stdout, /sendingInterval: 3h\n/);
    t.match(
      result.stdout,
      /endpoint: https:\/\/infogw\.api\.openshift\.com\/metrics\/v1\/receive\n/,
      'MicroShift base URL gets the receive path',
    );
    t.match(result.stdout, /proxy: http:\/\/user:REDACTED@proxy\.example:3128\//);
    t.notMatch(result.stdout, /hunter2/, 'proxy password not printed');
  },
);

t.test('relative paths resolve against the file that set them', async (t) => {
  const dir = await tempDir();
  const file = path.join(dir, 'telemetry.yaml');
  await writeFile(file, 'telemetry:\n  pullSecretFile: secrets/ps.json\n  dataDir: state\n');
  await mkdir(path.join(dir, 'telemetry.d'));
  await writeFile(
    path.join(dir, 'telemetry.d', '10-endpoint.yaml'),
    'telemetry:\n  endpoint: http://127.0.0.1:9/metrics/v1/receive\n  dataDir: from-drop-in\n',
  );
  const result = await runCli(['check-config', '--config', file]);
  t.equal(result.code, 0, result.stderr);
  t.match(
    result.stdout,
    `pullSecretFile: ${path.join(dir, 'secrets', 'ps.json')}\n`,
    'set in the main file: beside it',
  );
  t.match(
    result.stdout,
    `dataDir: ${path.join(dir, 'telemetry.d', 'from-drop-in')}\n`,
    'set in a drop-in: beside the drop-in',
  );
});
