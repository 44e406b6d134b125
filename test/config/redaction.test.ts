// A config error never prints a secret: every path that echoes a value.
import t from 'tap';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { quoteValue, redactCredentials, redactUrl } from '../../src/config/redact.js';
import { ownTempDir } from '../helpers/files.js';
import { runCli } from '../helpers/cli.js';

const SECRET = 'hunter2-9f8e7d';

t.test('redaction is pure and covers each userinfo form', async (t) => {
  t.equal(
    redactUrl(`http://user:${SECRET}@proxy.example:3128`),
    'http://user:REDACTED@proxy.example:3128/',
  );
  t.equal(
    redactUrl(`http://${SECRET}@proxy.example:3128`),
    'http://REDACTED@proxy.example:3128/',
    'a lone user part may be a token',
  );
  t.equal(redactUrl('http://proxy.example:3128'), 'http://proxy.example:3128/');
  t.equal(
    redactUrl(`http://user:${SECRET}@proxy:99999`),
    'http://user:REDACTED@proxy:99999',
    'not a URL: still redacted',
  );
  t.equal(
    redactCredentials(`x "http://user:p@ss:${SECRET}@host:1/y" z`),
    'x "http://user:REDACTED@host:1/y" z',
    "a password holding '@' and ':' goes whole",
  );
  t.equal(redactCredentials('plain text, no URL'), 'plain text, no URL');
  t.equal(quoteValue(`socks5://u:${SECRET}@h:1080`), '"socks5://u:REDACTED@h:1080"');
  t.equal(
    redactUrl(`https://mimir.example/api/v1/push?api_key=${SECRET}&tenant=a&tenant=b`),
    'https://mimir.example/api/v1/push?api_key=REDACTED&tenant=REDACTED',
    'a query keeps its parameter names only',
  );
});

t.test(
  'an endpoint with a token in its query: check-config and show name it without the token',
  async (t) => {
    const dir = await ownTempDir(t);
    const file = path.join(dir, 'telemetry.yaml');
    await writeFile(
      file,
      // dataDir in the test's own directory: show keeps the anonymous cluster id there (tests run as root; the default is the host's).
      `telemetry:\n  clusterIdFile: ""\n  dataDir: ${path.join(dir, 'data')}\n  endpoint: https://mimir.example/api/v1/push?api_key=${SECRET}\n  auth:\n    type: none\n  buffer: memory\n`,
    );
    const check = await runCli(['check-config', '--config', file]);
    t.equal(check.code, 0, check.stderr);
    t.match(check.stdout, '  endpoint: https://mimir.example/api/v1/push?api_key=REDACTED\n');
    const show = await runCli(['show', '--config', file]);
    t.match(show.stdout, '# POST https://mimir.example/api/v1/push?api_key=REDACTED\n');
    t.notMatch(check.stdout + check.stderr + show.stdout + show.stderr, SECRET);
  },
);

t.test(
  'rejected proxy and endpoint values are echoed with their credentials redacted',
  async (t) => {
    const dir = await ownTempDir(t);
    const file = path.join(dir, 'telemetry.yaml');
    const cases: [string, string][] = [
      [
        `proxy: http://user:${SECRET}@proxy.example:99999`,
        'telemetry.proxy: "http://user:REDACTED@proxy.example:99999" is not a URL',
      ],
      [
        `proxy: socks5://user:${SECRET}@proxy.example:1080`,
        'telemetry.proxy: "socks5://user:REDACTED@proxy.example:1080" must be an http or https URL',
      ],
      [
        `proxy: "http://${SECRET}@proxy example"`,
        'telemetry.proxy: "http://REDACTED@proxy example" is not a URL',
      ],
      [
        `endpoint: https://user:${SECRET}@infogw.example/x`,
        'telemetry.endpoint: must not carry credentials in the URL',
      ],
      [
        `endpoint: https://user:${SECRET}@infogw.example:99999/x`,
        'telemetry.endpoint: "https://user:REDACTED@infogw.example:99999/x" is not a URL',
      ],
      [
        `endpoint: ftp://user:${SECRET}@infogw.example/x`,
        'telemetry.endpoint: "ftp://user:REDACTED@infogw.example/x" must be an http or https URL',
      ],
      // A value pasted under the wrong key is echoed too.
      [
        `status: http://user:${SECRET}@proxy.example:3128`,
        'telemetry.status: must be Enabled or Disabled (exact case), not "http://user:REDACTED@proxy.example:3128"',
      ],
      [
        `sendingInterval: http://user:${SECRET}@proxy.example:3128`,
        'telemetry.sendingInterval: "http://user:REDACTED@proxy.example:3128" is not a duration (use Go form such as 90s, 30m, 1h30m)',
      ],
    ];
    for (const [line, message] of cases) {
      await writeFile(file, `telemetry:\n  ${line}\n`);
      await t.rejects(loadConfig(file), { message: `${file}: ${message}` }, line);
    }
  },
);

t.test('YAML errors near a secret do not quote it', async (t) => {
  const dir = await ownTempDir(t);
  const file = path.join(dir, 'telemetry.yaml');
  const sources = [
    `telemetry:\n  proxy: "http://u:${SECRET}@p:1\n`,
    `telemetry:\n  proxy: *http://u:${SECRET}@p:1\n`,
    `telemetry:\n  proxy: *${SECRET}\n`,
    `telemetry:\n  proxy: [http://u:${SECRET}@p:1\n`,
    `telemetry:\n  proxy: !http://u:${SECRET}@p:1 x\n  proxy: y\n`,
  ];
  for (const source of sources) {
    await writeFile(file, source);
    const error = await loadConfig(file).then(
      () => undefined,
      (reason: unknown) => reason as Error,
    );
    t.match(error, { code: 'ECONFIG' }, source);
    t.notMatch(error?.message ?? '', SECRET, source);
  }
});

t.test(
  'check-config prints a valid proxy with its password redacted, and a rejected one too',
  async (t) => {
    const dir = await ownTempDir(t);
    const file = path.join(dir, 'telemetry.yaml');
    await writeFile(
      file,
      `telemetry:\n  clusterIdFile: ""\n  proxy: http://user:${SECRET}@proxy.example:3128\n`,
    );
    const ok = await runCli(['check-config', '--config', file]);
    t.equal(ok.code, 0, ok.stderr);
    t.match(ok.stdout, 'proxy: http://user:REDACTED@proxy.example:3128/\n');
    t.notMatch(ok.stdout + ok.stderr, SECRET);
    await writeFile(file, `telemetry:\n  proxy: http://user:${SECRET}@proxy.example:99999\n`);
    const bad = await runCli(['check-config', '--config', file]);
    t.equal(bad.code, 2);
    t.equal(
      bad.stderr,
      `edge-telemetry: ${file}: telemetry.proxy: "http://user:REDACTED@proxy.example:99999" is not a URL\n`,
    );
  },
);
