// telemetry.tls in the config: every mistake is one line naming the file that
// set the key, the key (and the TLS file when it is the file that is wrong),
// exit 2, in check-config, run and on reload; check-config lists the files it
// reads and show which CA and client certificate would be used, never a key.
import t from 'tap';
import net from 'node:net';
import { isDnsName } from '../../src/config/tls-settings.js';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { runCli, spawnCli } from '../helpers/cli.js';
import { ownTempDir, writeConfig } from '../helpers/files.js';
import { mkfifo } from '../helpers/fifo.js';
import { makeCa } from '../helpers/pki.js';
import { startScriptedReceiver } from '../helpers/scripted-receiver.js';
import { readFileSync } from 'node:fs';

const HTTPS = 'https://telemetry.example.com/api/v1/write';

t.test('the tls mapping itself: one line naming the key', async (t) => {
  const dir = await ownTempDir(t);
  const cases: {
    name: string;
    telemetry: Record<string, unknown>;
    message: (file: string) => string;
  }[] = [
    {
      name: 'not a mapping',
      telemetry: { endpoint: HTTPS, tls: 'on' },
      message: (f) =>
        `${f}: telemetry.tls: must be a mapping of keys (caFile, certFile, keyFile, serverName)`,
    },
    {
      name: 'unknown key',
      telemetry: { endpoint: HTTPS, tls: { ca: 'ca.pem' } },
      message: (f) => `${f}: telemetry.tls.ca: unknown key`,
    },
    {
      name: 'miscased key',
      telemetry: { endpoint: HTTPS, tls: { cafile: 'ca.pem' } },
      message: (f) => `${f}: telemetry.tls.cafile: unknown key (did you mean caFile?)`,
    },
    {
      name: 'no way to switch verification off',
      telemetry: { endpoint: HTTPS, tls: { insecureSkipVerify: true } },
      message: (f) =>
        `${f}: telemetry.tls.insecureSkipVerify: unknown key (TLS verification cannot be switched off)`,
    },
    {
      name: 'certFile without keyFile',
      telemetry: { endpoint: HTTPS, tls: { certFile: 'client.pem' } },
      message: (f) =>
        `${f}: telemetry.tls.keyFile: missing: telemetry.tls.certFile needs the key of its certificate`,
    },
    {
      name: 'keyFile without certFile',
      telemetry: { endpoint: HTTPS, tls: { keyFile: 'client.key' } },
      message: (f) =>
        `${f}: telemetry.tls.certFile: missing: telemetry.tls.keyFile needs the certificate it is the key of`,
    },
    {
      name: 'empty path',
      telemetry: { endpoint: HTTPS, tls: { caFile: '' } },
      message: (f) => `${f}: telemetry.tls.caFile: must be a file path`,
    },
    {
      name: 'path not a string',
      telemetry: { endpoint: HTTPS, tls: { caFile: 7 } },
      message: (f) => `${f}: telemetry.tls.caFile: must be a file path`,
    },
    {
      name: 'serverName an IP',
      telemetry: { endpoint: HTTPS, tls: { serverName: '10.0.0.1' } },
      message: (f) =>
        `${f}: telemetry.tls.serverName: "10.0.0.1" is not a DNS name (SNI carries names, not IP addresses)`,
    },
    {
      name: 'serverName not a name',
      telemetry: { endpoint: HTTPS, tls: { serverName: 'thanos receive' } },
      message: (f) =>
        `${f}: telemetry.tls.serverName: "thanos receive" is not a DNS name (SNI carries names, not IP addresses)`,
    },
    {
      name: 'tls with an http endpoint',
      telemetry: {
        endpoint: 'http://127.0.0.1:9090/api/v1/write',
        tls: { serverName: 'prometheus.test' },
      },
      message: (f) =>
        `${f}: telemetry.tls: is set, but telemetry.endpoint "http://127.0.0.1:9090/api/v1/write" is not https://`,
    },
  ];
  for (const [index, item] of cases.entries()) {
    const config = await writeConfig(path.join(dir, `case-${index}`), item.telemetry);
    const result = await runCli(['check-config', '--config', config]);
    t.equal(result.code, 2, `${item.name}: exit code`);
    t.equal(result.stderr, `edge-telemetry: ${item.message(config)}\n`, `${item.name}: message`);
  }
});

t.test(
  'a drop-in that sets a tls key is the file named; its relative paths are relative to it',
  async (t) => {
    const dir = await ownTempDir(t);
    const config = await writeConfig(dir, { endpoint: HTTPS });
    await mkdir(path.join(dir, 'telemetry.d'));
    const dropIn = path.join(dir, 'telemetry.d', '50-tls.yaml');
    await writeFile(dropIn, 'telemetry:\n  tls:\n    caFile: certs/ca.pem\n');
    const result = await runCli(['check-config', '--config', config]);
    t.equal(result.code, 2);
    t.equal(
      result.stderr,
      `edge-telemetry: ${dropIn}: telemetry.tls.caFile: ${path.join(dir, 'telemetry.d', 'certs', 'ca.pem')}: not found\n`,
    );
  },
);

t.test(
  'TLS files that cannot be used: one line naming the key and the file, exit 2, no key material',
  async (t) => {
    const dir = await ownTempDir(t);
    const ca = makeCa(dir, 'ca');
    const client = ca.issue('node-1', { clientAuth: true });
    const other = ca.issue('node-2', { clientAuth: true });
    const keyText = await readFile(client.key, 'utf8');
    const put = async (name: string, text: string, mode = 0o600) => {
      const file = path.join(dir, name);
      await writeFile(file, text);
      await chmod(file, mode);
      return file;
    };
    const certPem = await readFile(client.cert, 'utf8');
    const encrypted = path.join(dir, 'encrypted.key');
    execFileSync(
      'openssl',
      ['pkey', '-in', client.key, '-out', encrypted, '-aes256', '-passout', 'pass:hunter2'],
      { stdio: 'ignore' },
    );
    await chmod(encrypted, 0o600);
    const fifo = path.join(dir, 'fifo.key');
    await mkfifo(fifo);
    await chmod(fifo, 0o600);
    const cases: {
      name: string;
      tls: Record<string, string>;
      key: string;
      file: string;
      reason: string;
    }[] = [
      {
        name: 'missing CA file',
        tls: { caFile: 'nope.pem' },
        key: 'caFile',
        file: path.join(dir, 'nope.pem'),
        reason: 'not found',
      },
      {
        name: 'CA file with no certificate',
        tls: { caFile: await put('empty-ca.pem', 'just text\n') },
        key: 'caFile',
        file: path.join(dir, 'empty-ca.pem'),
        reason: 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)',
      },
      {
        name: 'CA bundle with a broken second certificate',
        tls: {
          caFile: await put(
            'broken-ca.pem',
            `${certPem}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`,
          ),
        },
        key: 'caFile',
        file: path.join(dir, 'broken-ca.pem'),
        reason: 'certificate 2 of 2 is not a valid X.509 certificate',
      },
      {
        name: 'CA file a directory',
        tls: { caFile: dir },
        key: 'caFile',
        file: dir,
        reason: 'is a directory',
      },
      {
        name: 'certFile holding a key',
        tls: { certFile: client.key, keyFile: client.key },
        key: 'certFile',
        file: client.key,
        reason: 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)',
      },
      {
        name: 'key readable by others',
        tls: { certFile: client.cert, keyFile: await put('open.key', keyText, 0o644) },
        key: 'keyFile',
        file: path.join(dir, 'open.key'),
        reason: `readable or writable by other users (mode 0644); chmod 0600 ${path.join(dir, 'open.key')}`,
      },
      {
        name: 'key writable by others',
        tls: { certFile: client.cert, keyFile: await put('world.key', keyText, 0o602) },
        key: 'keyFile',
        file: path.join(dir, 'world.key'),
        reason: `readable or writable by other users (mode 0602); chmod 0600 ${path.join(dir, 'world.key')}`,
      },
      {
        name: 'key file a FIFO',
        tls: { certFile: client.cert, keyFile: fifo },
        key: 'keyFile',
        file: fifo,
        reason: 'not a regular file (a FIFO)',
      },
      {
        name: 'key not a key',
        tls: { certFile: client.cert, keyFile: await put('text.key', 'hello\n') },
        key: 'keyFile',
        file: path.join(dir, 'text.key'),
        reason:
          'not a PEM private key (an encrypted key is not supported: the daemon has no passphrase)',
      },
      {
        name: 'encrypted key',
        tls: { certFile: client.cert, keyFile: encrypted },
        key: 'keyFile',
        file: encrypted,
        reason:
          'not a PEM private key (an encrypted key is not supported: the daemon has no passphrase)',
      },
      {
        name: "another certificate's key",
        tls: { certFile: client.cert, keyFile: other.key },
        key: 'keyFile',
        file: other.key,
        reason: `is not the key of the certificate in ${client.cert}`,
      },
    ];
    const body = keyText
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('-----'))
      .join('');
    for (const [index, item] of cases.entries()) {
      const config = await writeConfig(path.join(dir, `case-${index}`), {
        endpoint: HTTPS,
        tls: Object.fromEntries(
          Object.entries(item.tls).map(([key, value]) => [key, path.resolve(dir, value)]),
        ),
      });
      for (const command of index === 5 ? ['check-config', 'run', 'once'] : ['check-config']) {
        const result = await runCli([command, '--config', config], { timeoutMs: 20_000 });
        t.equal(result.code, 2, `${item.name} (${command}): exit code`);
        t.equal(
          result.stderr,
          `edge-telemetry: ${config}: telemetry.tls.${item.key}: ${item.file}: ${item.reason}\n`,
          `${item.name} (${command}): message`,
        );
        t.notOk(
          result.stderr.includes(body.slice(0, 16)) || result.stdout.includes(body.slice(0, 16)),
          `${item.name}: no key material`,
        );
      }
    }
  },
);

t.test(
  'check-config lists the TLS files it read; show says which CA and client certificate go to the endpoint',
  async (t) => {
    const dir = await ownTempDir(t);
    const ca = makeCa(dir, 'ca');
    const client = ca.issue('node-1', { clientAuth: true });
    const config = await writeConfig(dir, {
      endpoint: HTTPS,
      tls: {
        caFile: 'ca.pem',
        certFile: path.basename(client.cert),
        keyFile: path.basename(client.key),
        serverName: 'Receive.Example.com.',
      },
    });
    const notAfter = new Date(
      execFileSync('openssl', ['x509', '-in', client.cert, '-noout', '-enddate'], {
        encoding: 'utf8',
      })
        .trim()
        .replace('notAfter=', ''),
    ).toISOString();
    const checked = await runCli(['check-config', '--config', config]);
    t.equal(checked.code, 0, checked.stderr);
    t.match(
      checked.stdout,
      `  tls:\n    caFile: ${ca.cert}\n    certFile: ${client.cert}\n    keyFile: ${client.key}\n    serverName: receive.example.com\n`,
    );
    t.match(
      checked.stdout,
      [
        `# reads telemetry.tls.caFile: ${ca.cert}`,
        `# reads telemetry.tls.certFile: ${client.cert}`,
        `# reads telemetry.tls.keyFile: ${client.key}`,
        `# tls: trusts Node's CA roots (and NODE_EXTRA_CA_CERTS) plus 1 CA certificate(s) from ${ca.cert}`,
        `# tls: client certificate ${client.cert} (subject CN=node-1, expires ${notAfter}), key ${client.key}`,
        '# tls: server name receive.example.com (SNI and the name checked)',
      ].join('\n'),
    );

    const shown = await runCli(['show', '--config', config]);
    t.equal(shown.code, 0, shown.stderr);
    t.match(
      shown.stdout,
      `# tls: client certificate ${client.cert} (subject CN=node-1, expires ${notAfter}), key ${client.key}\n`,
    );
    const keyBody = (await readFile(client.key, 'utf8')).split('\n')[1] ?? '';
    t.notMatch(checked.stdout + shown.stdout + shown.stderr, keyBody.slice(0, 16));

    // show goes on with a broken file, and says what a send would meet.
    await chmod(client.key, 0o604);
    const broken = await runCli(['show', '--config', config]);
    t.equal(broken.code, 0, broken.stderr);
    t.match(
      broken.stdout,
      `# tls: telemetry.tls.keyFile ${client.key}: readable or writable by other users (mode 0604); chmod 0600 ${client.key}; a send would fail until it is fixed\n`,
    );

    const plain = await runCli([
      'check-config',
      '--config',
      await writeConfig(path.join(dir, 'plain'), { endpoint: HTTPS }),
    ]);
    t.match(plain.stdout, '  tls: {}\n');
    t.match(
      plain.stdout,
      "# tls: trusts Node's CA roots (and NODE_EXTRA_CA_CERTS)\n# tls: no client certificate\n",
    );
  },
);

t.test('SIGHUP: a TLS file gone bad is a refused reload, the running config kept', async (t) => {
  const dir = await ownTempDir(t);
  const ca = makeCa(dir, 'ca');
  const issued = ca.issue('localhost', { sans: ['IP:127.0.0.1'] });
  const receiver = await startScriptedReceiver([], { status: 200 }, () => undefined, {
    tls: { key: readFileSync(issued.key), cert: readFileSync(issued.cert) },
  });
  t.teardown(() => receiver.close());
  const client = ca.issue('node-1', { clientAuth: true });
  const config = await writeConfig(dir, {
    endpoint: receiver.url,
    samplingInterval: '1s',
    sendingInterval: '1h',
    tls: { caFile: 'ca.pem', certFile: client.cert, keyFile: client.key },
  });
  const daemon = spawnCli(['run', '--config', config]);
  t.teardown(() => daemon.stop('SIGKILL'));
  await daemon.waitFor(/report sent/);
  await chmod(client.key, 0o644);
  daemon.child.kill('SIGHUP');
  await daemon.waitFor(
    new RegExp(
      `reload refused, keeping the running config: ${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: telemetry\\.tls\\.keyFile: \\S+: readable or writable by other users \\(mode 0644\\)`,
    ),
  );
  await chmod(client.key, 0o600);
  t.equal(await daemon.stop('SIGTERM'), 0, 'still running the old config, stops cleanly');
  t.match(daemon.output().stderr, /report sent[^]*report sent/, 'the last send at stop went out');
});

t.test(
  'serverName: no IP address of either family is a DNS name (node:net the oracle)',
  async (t) => {
    const addresses = [
      '10.0.0.1',
      '127.0.0.1',
      '255.255.255.255',
      '0.0.0.0',
      '::1',
      'fe80::1',
      '2001:db8::8a2e:370:7334',
      '::ffff:10.0.0.1',
      '2001:0db8:0000:0000:0000:0000:0000:0001',
    ];
    for (const address of addresses) {
      t.not(net.isIP(address), 0, `${address} is an address`);
      t.equal(isDnsName(address), false, `${address} is refused`);
    }
    for (const name of [
      'prometheus.test',
      'infogw.api.openshift.com',
      'a',
      'xn--bcher-kva.example.',
      'host-1',
    ])
      t.equal(isDnsName(name), true, `${name} is a name`);
  },
);
