// The endpoint's TLS, end to end through the real send path to real https
// receivers on 127.0.0.1, with certificates openssl makes in the test's own
// directory: a private CA (telemetry.tls.caFile) added to Node's roots, a
// client certificate, serverName, rotation between sends, the TLS 1.2 minimum,
// the proxy's CONNECT tunnel, and every failed check being one final result
// (one attempt, samples kept, one line naming the check), never a retry storm.
import t, { type Test } from 'tap';
import { chmod, copyFile, readFile, rename, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { sendReport, type SendDeps } from '../../src/deliver/send-report.js';
import { sampleOnce } from '../../src/agent/sample-tick.js';
import { createHttpTransport } from '../../src/transport/http-transport.js';
import { loadTlsMaterial } from '../../src/credentials/tls-material.js';
import { tlsSourceFor } from '../../src/agent/pipeline.js';
import type { TlsSettings } from '../../src/config/tls-settings.js';
import { MemorySampleBuffer } from '../../src/buffer/memory-buffer.js';
import type { SampleBuffer } from '../../src/buffer/sample-buffer.js';
import { createLogger } from '../../src/base/log.js';
import { runCli } from '../helpers/cli.js';
import { ownTempDir, writeConfig } from '../helpers/files.js';
import { mkfifo } from '../helpers/fifo.js';
import { makeCa, type Issued } from '../helpers/pki.js';
import { startScriptedReceiver, type ScriptedReceiver } from '../helpers/scripted-receiver.js';
import { startForwardProxy } from '../helpers/forward-proxy.js';
import { sendDeps } from '../helpers/send-deps.js';

const SANS = ['IP:127.0.0.1', 'DNS:localhost'];
const file = (setting: string) => ({ path: setting, setIn: '/etc/edge-telemetry/telemetry.yaml' });

function serverOptions(issued: Issued, extra: tls.TlsOptions = {}): tls.TlsOptions {
  return { key: readFileSync(issued.key), cert: readFileSync(issued.cert), ...extra };
}

async function receiver(
  t: Test,
  issued: Issued,
  extra: tls.TlsOptions = {},
): Promise<ScriptedReceiver> {
  const started = await startScriptedReceiver([], { status: 200 }, () => undefined, {
    tls: serverOptions(issued, extra),
  });
  t.teardown(() => started.close());
  return started;
}

/** Send deps whose transport takes its TLS from `settings`, and the log lines they wrote. */
function deps(
  url: string,
  settings: TlsSettings,
  buffer: SampleBuffer = new MemorySampleBuffer({ maxSamples: 1000, maxAgeMs: 86_400_000 }),
): { deps: SendDeps; lines: string[] } {
  const lines: string[] = [];
  const tlsSource = tlsSourceFor(settings);
  const transport = createHttpTransport({
    url,
    proxy: '',
    timeoutMs: 5000,
    ...(tlsSource === undefined ? {} : { tls: tlsSource }),
  });
  return {
    deps: sendDeps(url, {
      transport,
      buffer,
      log: createLogger('warn', (line) => lines.push(line)),
    }),
    lines,
  };
}

t.test(
  'a private CA: without caFile one attempt, the check named, samples kept; with caFile delivered',
  async (t) => {
    const dir = await ownTempDir(t);
    const ca = makeCa(dir, 'private-ca');
    const server = await receiver(t, ca.issue('localhost', { sans: SANS }));
    const buffer = new MemorySampleBuffer({ maxSamples: 1000, maxAgeMs: 86_400_000 });

    const without = deps(server.url, {}, buffer);
    await sampleOnce(without.deps, AbortSignal.timeout(10_000));
    const refused = await sendReport(without.deps, AbortSignal.timeout(10_000));
    t.equal(refused.ok, false);
    t.equal(
      refused.failure,
      'TLS with the endpoint failed: certificate not issued by a trusted CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
    );
    t.equal(refused.samplesKept, 1, 'the sample stays buffered');
    t.equal(
      server.connections,
      1,
      'one attempt: a failed check is not retried (retry.maxAttempts is 4)',
    );
    t.equal(server.requests.length, 0, 'nothing reached the receiver');
    t.same(
      without.lines,
      [
        `<3>error: TLS with the endpoint failed: certificate not issued by a trusted CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE); samples kept, no retry until the next send hint="add the CA that issued the endpoint's certificate with telemetry.tls.caFile" buffered=1`,
      ],
      'one line, saying which check failed and what to set',
    );

    const withCa = deps(server.url, { caFile: file(ca.cert) }, buffer);
    const sent = await sendReport(withCa.deps, AbortSignal.timeout(10_000));
    t.equal(sent.ok, true, withCa.lines.join('\n'));
    t.equal(sent.samplesSent, 2, 'the buffered sample and the static one');
    t.equal(buffer.size, 0);
    t.same(
      server.requests
        .map((request) =>
          request.series.map((series) => [
            series.labels.find((label) => label.name === '__name__')?.value,
            series.samples.map((sample) => sample.value),
          ]),
        )
        .flat(),
      [
        ['cluster:cpu_usage_cores:sum', [1.5]],
        ['cluster:capacity_cpu_cores:sum', [4]],
      ],
      'the newest tick goes with the static snapshot, in one request',
    );
  },
);

t.test(
  "caFile is added to Node's roots, not instead of them, and NODE_EXTRA_CA_CERTS still counts",
  async (t) => {
    const dir = await ownTempDir(t);
    const ca = makeCa(dir, 'extra-ca');
    const loaded = await loadTlsMaterial({ caFile: file(ca.cert) });
    if (!loaded.ok) throw new Error(loaded.problem.reason);
    const trusted = loaded.options.ca ?? [];
    t.equal(
      trusted.length,
      tls.rootCertificates.length + 1 + extraCount(),
      "every root of Node's, then the bundle's one CA",
    );
    t.ok(tls.rootCertificates.every((root) => trusted.includes(root)));
    t.equal(trusted.at(-1), (await readFile(ca.cert, 'utf8')).trim());

    // The daemon as run: caFile names a CA unrelated to the endpoint; NODE_EXTRA_CA_CERTS the one that issued it.
    const endpointCa = makeCa(dir, 'endpoint-ca');
    const server = await receiver(t, endpointCa.issue('localhost', { sans: SANS }));
    const config = await writeConfig(dir, {
      endpoint: server.url,
      tls: { caFile: 'extra-ca.pem' },
    });
    const viaEnv = await runCli(['once', '--config', config], {
      env: { NODE_EXTRA_CA_CERTS: endpointCa.cert, NODE_TLS_REJECT_UNAUTHORIZED: '' },
    });
    t.equal(viaEnv.code, 0, viaEnv.stderr);
    t.equal(
      server.requests.length,
      1,
      'the one request of once (a fresh sample and the static snapshot)',
    );
    const withoutEnv = await runCli(['once', '--config', config], {
      env: { NODE_EXTRA_CA_CERTS: '', NODE_TLS_REJECT_UNAUTHORIZED: '' },
    });
    t.equal(withoutEnv.code, 1, 'and it was NODE_EXTRA_CA_CERTS that made the difference');
    t.equal(server.requests.length, 1);
  },
);

function extraCount(): number {
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (extra === undefined || extra === '') return 0;
  return (readFileSync(extra, 'utf8').match(/-----BEGIN CERTIFICATE-----/g) ?? []).length;
}

t.test(
  'NODE_TLS_REJECT_UNAUTHORIZED=0 cannot switch verification off; caFile is the way',
  async (t) => {
    const dir = await ownTempDir(t);
    const ca = makeCa(dir, 'ca');
    const server = await receiver(t, ca.issue('localhost', { sans: SANS }));
    const retry = { maxAttempts: 3, minDelay: '10ms', maxDelay: '50ms' };
    const env = { NODE_EXTRA_CA_CERTS: '', NODE_TLS_REJECT_UNAUTHORIZED: '0' };

    const refused = await runCli(
      ['once', '--config', await writeConfig(dir, { endpoint: server.url, retry })],
      { env },
    );
    t.equal(refused.code, 1);
    t.match(
      refused.stderr,
      'TLS with the endpoint failed: certificate not issued by a trusted CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE); nothing more is delivered by this run',
    );
    t.notMatch(refused.stderr, /retrying/, 'no retry of a failed check');
    t.equal(server.connections, 1, 'one connection for the one request that was tried');
    t.equal(server.requests.length, 0, 'no report reached an unverified server');

    const trusted = await runCli(
      [
        'once',
        '--config',
        await writeConfig(dir, { endpoint: server.url, retry, tls: { caFile: 'ca.pem' } }),
      ],
      { env },
    );
    t.equal(trusted.code, 0, trusted.stderr);
    t.equal(server.requests.length, 1);
  },
);

t.test(
  'a receiver that requires a client certificate: refused without one, delivered with certFile/keyFile',
  async (t) => {
    const dir = await ownTempDir(t);
    const ca = makeCa(dir, 'ca');
    const clientCa = makeCa(dir, 'client-ca');
    const server = await receiver(t, ca.issue('localhost', { sans: SANS }), {
      requestCert: true,
      rejectUnauthorized: true,
      ca: readFileSync(clientCa.cert),
    });
    const client = clientCa.issue('node-1', { clientAuth: true });

    const without = deps(server.url, { caFile: file(ca.cert) });
    await sampleOnce(without.deps, AbortSignal.timeout(10_000));
    const refused = await sendReport(without.deps, AbortSignal.timeout(10_000));
    // TLS 1.3: the server's alert arrives after the client's side of the handshake, on the request.
    t.equal(
      refused.failure,
      'TLS with the endpoint failed: the receiver requires a client certificate or refused the one sent (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED)',
    );
    t.equal(refused.samplesKept, 1);
    t.equal(server.connections, 1, 'not retried');
    t.equal(server.requests.length, 0);

    const withCert = deps(
      server.url,
      { caFile: file(ca.cert), certFile: file(client.cert), keyFile: file(client.key) },
      without.deps.buffer,
    );
    const sent = await sendReport(withCert.deps, AbortSignal.timeout(10_000));
    t.equal(sent.ok, true, withCert.lines.join('\n'));
    t.same(
      server.requests.map((request) => request.clientCn),
      ['node-1'],
      'the request carried the client certificate',
    );
  },
);

t.test(
  'rotation: the CA and the client certificate are read again, the next send uses the new ones',
  async (t) => {
    const dir = await ownTempDir(t);
    const oldCa = makeCa(dir, 'old-ca');
    const newCa = makeCa(dir, 'new-ca');
    const clientCa = makeCa(dir, 'client-ca');
    const server = await startScriptedReceiver([], { status: 200 }, () => undefined, {
      tls: serverOptions(oldCa.issue('localhost', { sans: SANS }), {
        requestCert: true,
        rejectUnauthorized: true,
        ca: readFileSync(clientCa.cert),
      }),
    });
    t.teardown(() => server.close());
    // The files the config names; rotation replaces them the way cert-manager or an admin does (write aside, rename over).
    const caFile = path.join(dir, 'endpoint-ca.pem');
    const certFile = path.join(dir, 'client.pem');
    const keyFile = path.join(dir, 'client.key');
    const install = async (source: string, target: string) => {
      await copyFile(source, `${target}.new`);
      await chmod(`${target}.new`, 0o600);
      await rename(`${target}.new`, target);
    };
    const first = clientCa.issue('node-1', { clientAuth: true });
    await install(oldCa.cert, caFile);
    await install(first.cert, certFile);
    await install(first.key, keyFile);
    const one = deps(server.url, {
      caFile: file(caFile),
      certFile: file(certFile),
      keyFile: file(keyFile),
    });
    t.equal(
      (await sendReport(one.deps, AbortSignal.timeout(10_000))).ok,
      true,
      one.lines.join('\n'),
    );
    t.same(
      server.requests.map((request) => request.clientCn),
      ['node-1'],
    );

    // The receiver moves to a certificate from the new CA: the old caFile no longer verifies it.
    const rotated = newCa.issue('localhost', { sans: SANS });
    server.setSecureContext({
      key: readFileSync(rotated.key),
      cert: readFileSync(rotated.cert),
      ca: readFileSync(clientCa.cert),
    });
    const stale = await sendReport(one.deps, AbortSignal.timeout(10_000));
    t.equal(
      stale.failure,
      'TLS with the endpoint failed: certificate not issued by a trusted CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
    );

    const second = clientCa.issue('node-2', { clientAuth: true });
    await install(newCa.cert, caFile);
    await install(second.cert, certFile);
    await install(second.key, keyFile);
    const after = await sendReport(one.deps, AbortSignal.timeout(10_000));
    t.equal(after.ok, true, one.lines.join('\n'));
    t.same(
      server.requests.map((request) => request.clientCn),
      ['node-1', 'node-2'],
      'the same transport, the new client certificate',
    );
  },
);

t.test('serverName: a certificate only for telemetry.test, reached at 127.0.0.1', async (t) => {
  const dir = await ownTempDir(t);
  const ca = makeCa(dir, 'ca');
  const names: (string | undefined)[] = [];
  const server = await receiver(t, ca.issue('telemetry.test', { sans: ['DNS:telemetry.test'] }), {
    SNICallback: (name, done) => {
      names.push(name);
      done(null);
    },
  });
  const bare = deps(server.url, { caFile: file(ca.cert) });
  await sampleOnce(bare.deps, AbortSignal.timeout(10_000));
  const mismatch = await sendReport(bare.deps, AbortSignal.timeout(10_000));
  t.equal(
    mismatch.failure,
    'TLS with the endpoint failed: certificate not valid for the name (ERR_TLS_CERT_ALTNAME_INVALID)',
  );
  t.equal(server.connections, 1, 'not retried');
  t.same(names, [], 'no SNI for an IP address');

  const named = deps(
    server.url,
    { caFile: file(ca.cert), serverName: 'telemetry.test' },
    bare.deps.buffer,
  );
  const sent = await sendReport(named.deps, AbortSignal.timeout(10_000));
  t.equal(sent.ok, true, named.lines.join('\n'));
  t.equal(sent.samplesSent, 2);
  t.same(names, ['telemetry.test'], 'SNI is the serverName');
});

t.test('an expired certificate is its own check', async (t) => {
  const dir = await ownTempDir(t);
  const ca = makeCa(dir, 'ca');
  const server = await receiver(t, ca.issue('localhost', { sans: SANS, days: -1 }));
  const expired = deps(server.url, { caFile: file(ca.cert) });
  const result = await sendReport(expired.deps, AbortSignal.timeout(10_000));
  t.equal(result.failure, 'TLS with the endpoint failed: certificate expired (CERT_HAS_EXPIRED)');
  t.equal(server.connections, 1);
});

t.test('TLS 1.2 is the minimum, whatever Node is told by default', async (t) => {
  const dir = await ownTempDir(t);
  const ca = makeCa(dir, 'ca');
  // OpenSSL 3 refuses TLS 1.1 below security level 0; the server allows it, and offers nothing newer.
  const server = await receiver(t, ca.issue('localhost', { sans: SANS }), {
    minVersion: 'TLSv1',
    maxVersion: 'TLSv1.1',
    ciphers: 'DEFAULT@SECLEVEL=0',
  });
  const defaults = { minVersion: tls.DEFAULT_MIN_VERSION, ciphers: tls.DEFAULT_CIPHERS };
  // What `--tls-min-v1.0 --tls-cipher-list=DEFAULT@SECLEVEL=0` in NODE_OPTIONS would do to every client of the process.
  tls.DEFAULT_MIN_VERSION = 'TLSv1';
  tls.DEFAULT_CIPHERS = 'DEFAULT@SECLEVEL=0';
  t.teardown(() => {
    tls.DEFAULT_MIN_VERSION = defaults.minVersion;
    tls.DEFAULT_CIPHERS = defaults.ciphers;
  });
  const port = Number(new URL(server.url).port);
  const control = await new Promise<string>((resolve) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port, ca: readFileSync(ca.cert), rejectUnauthorized: true },
      () => {
        resolve(socket.getProtocol() ?? 'none');
        socket.destroy();
      },
    );
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
  t.equal(control, 'TLSv1.1', 'a client on these defaults would talk TLS 1.1 with it');

  const ours = deps(server.url, { caFile: file(ca.cert) });
  const result = await sendReport(ours.deps, AbortSignal.timeout(10_000));
  t.equal(
    result.failure,
    'TLS with the endpoint failed: no TLS 1.2 or later (the minimum; or not TLS at all) (ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION)',
  );
  t.equal(server.requests.length, 0);
});

t.test(
  'through a proxy: the CONNECT tunnel gets the same TLS (CA, client certificate, serverName)',
  async (t) => {
    const dir = await ownTempDir(t);
    const ca = makeCa(dir, 'ca');
    const clientCa = makeCa(dir, 'client-ca');
    const server = await receiver(t, ca.issue('telemetry.test', { sans: ['DNS:telemetry.test'] }), {
      requestCert: true,
      rejectUnauthorized: true,
      ca: readFileSync(clientCa.cert),
    });
    const client = clientCa.issue('node-1', { clientAuth: true });
    const proxy = await startForwardProxy();
    t.teardown(() => proxy.close());
    const viaProxy = (settings: TlsSettings) => {
      const tlsSource = tlsSourceFor(settings);
      const lines: string[] = [];
      const transport = createHttpTransport({
        url: server.url,
        proxy: proxy.url,
        timeoutMs: 5000,
        ...(tlsSource === undefined ? {} : { tls: tlsSource }),
      });
      return {
        deps: sendDeps(server.url, {
          transport,
          log: createLogger('warn', (line) => lines.push(line)),
        }),
        lines,
      };
    };
    const untrusted = viaProxy({});
    t.equal(
      (await sendReport(untrusted.deps, AbortSignal.timeout(10_000))).failure,
      'TLS with the endpoint failed: certificate not issued by a trusted CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
    );
    const full = viaProxy({
      caFile: file(ca.cert),
      certFile: file(client.cert),
      keyFile: file(client.key),
      serverName: 'telemetry.test',
    });
    const sent = await sendReport(full.deps, AbortSignal.timeout(10_000));
    t.equal(sent.ok, true, full.lines.join('\n'));
    const authority = new URL(server.url).host;
    t.same(
      proxy.seen,
      [`CONNECT ${authority}`, `CONNECT ${authority}`],
      'both attempts went through the tunnel',
    );
    t.same(
      server.requests.map((request) => request.clientCn),
      ['node-1'],
    );
  },
);

t.test(
  'a TLS file that goes bad after start fails that send only: one line, no connection, samples kept, no key material',
  async (t) => {
    const dir = await ownTempDir(t);
    const ca = makeCa(dir, 'ca');
    const clientCa = makeCa(dir, 'client-ca');
    const server = await receiver(t, ca.issue('localhost', { sans: SANS }), {
      requestCert: true,
      rejectUnauthorized: true,
      ca: readFileSync(clientCa.cert),
    });
    const client = clientCa.issue('node-1', { clientAuth: true });
    const keyText = await readFile(client.key, 'utf8');
    const { deps: sending, lines } = deps(server.url, {
      caFile: file(ca.cert),
      certFile: file(client.cert),
      keyFile: file(client.key),
    });
    await sampleOnce(sending, AbortSignal.timeout(10_000));
    t.equal((await sendReport(sending, AbortSignal.timeout(10_000))).ok, true);
    const connections = server.connections;

    await chmod(client.key, 0o644);
    await sampleOnce(sending, AbortSignal.timeout(10_000));
    const open = await sendReport(sending, AbortSignal.timeout(10_000));
    t.equal(
      open.failure,
      `telemetry.tls.keyFile ${client.key}: readable or writable by other users (mode 0644); chmod 0600 ${client.key}`,
    );
    t.equal(open.samplesKept, 1);

    await chmod(client.key, 0o600);
    await writeFile(
      client.key,
      '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n',
    );
    const garbled = await sendReport(sending, AbortSignal.timeout(10_000));
    t.equal(
      garbled.failure,
      `telemetry.tls.keyFile ${client.key}: not a PEM private key (an encrypted key is not supported: the daemon has no passphrase)`,
    );

    await writeFile(client.key, await readFile(makeCa(dir, 'other').key, 'utf8'));
    const mismatched = await sendReport(sending, AbortSignal.timeout(10_000));
    t.equal(
      mismatched.failure,
      `telemetry.tls.keyFile ${client.key}: is not the key of the certificate in ${client.cert}`,
    );

    // A FIFO where the CA bundle was: refused at once, not a hang.
    const fifoCa = path.join(dir, 'fifo-ca.pem');
    await mkfifo(fifoCa);
    const fifo = deps(server.url, { caFile: file(fifoCa) }, sending.buffer);
    const fifoResult = await sendReport(fifo.deps, AbortSignal.timeout(10_000));
    t.equal(fifoResult.failure, `telemetry.tls.caFile ${fifoCa}: not a regular file (a FIFO)`);

    t.equal(server.connections, connections, 'no connection was made with unusable files');
    t.equal(sending.buffer.size, 1, 'the sample waits for a good send');
    t.equal(
      lines.filter((line) => line.startsWith('<3>')).length,
      3,
      'one error line a failed send',
    );
    const body = keyText
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('-----'))
      .join('');
    t.notOk(
      [...lines, ...fifo.lines].some((line) => line.includes(body.slice(0, 16))),
      'no key material in any line',
    );
    t.match(
      lines[0],
      /^<3>error: telemetry\.tls\.keyFile .*: readable or writable by other users \(mode 0644\); chmod 0600 .*; samples kept, no retry until the next send/,
    );
  },
);
