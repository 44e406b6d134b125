// Through an HTTP proxy, as many edge sites require: the proxy config key, and
// the environment's HTTP_PROXY / NO_PROXY when the key is empty. The proxy is a
// real forward proxy on 127.0.0.1: CONNECT tunnels (RFC 9110 §9.3.6), which is
// how the daemon reaches the https Telemetry API through a proxy, and
// absolute-form requests.
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { runCli } from '../helpers/cli.js';
import { ownTempDir, tempDir, writeConfig } from '../helpers/files.js';
import { startScriptedReceiver } from '../helpers/scripted-receiver.js';
import { startForwardProxy } from '../helpers/forward-proxy.js';
import { makeCa } from '../helpers/pki.js';

t.test('proxy key: requests go through the proxy', async (t) => {
  const receiver = await startScriptedReceiver([], { status: 200 }, undefined, {
    authorized: () => true,
  });
  const proxy = await startForwardProxy();
  t.teardown(async () => {
    await receiver.close();
    await proxy.close();
  });
  // auth none: a plain-http request with credentials never goes through a proxy (tested below).
  const config = await writeConfig(await tempDir(), {
    endpoint: receiver.url,
    proxy: proxy.url,
    auth: { type: 'none' },
  });
  const result = await runCli(['once', '--config', config], {
    env: { HTTP_PROXY: '', HTTPS_PROXY: '', NO_PROXY: '' },
  });
  t.equal(result.code, 0, result.stderr);
  // An http endpoint goes in absolute form (RFC 9112 §3.2.2); an https one through a CONNECT tunnel.
  t.same(proxy.seen, [`POST ${receiver.url}`]);
  t.equal(receiver.requests.length, 1);
});

t.test('empty proxy key: HTTP_PROXY is honoured, and NO_PROXY too', async (t) => {
  const receiver = await startScriptedReceiver([], { status: 200 }, undefined, {
    authorized: () => true,
  });
  const proxy = await startForwardProxy();
  t.teardown(async () => {
    await receiver.close();
    await proxy.close();
  });
  const config = await writeConfig(await tempDir(), {
    endpoint: receiver.url,
    proxy: '',
    auth: { type: 'none' },
  });
  const viaProxy = await runCli(['once', '--config', config], {
    env: { HTTP_PROXY: proxy.url, NO_PROXY: '' },
  });
  t.equal(viaProxy.code, 0, viaProxy.stderr);
  t.equal(proxy.seen.length, 1);
  const direct = await runCli(['once', '--config', config], {
    env: { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' },
  });
  t.equal(direct.code, 0, direct.stderr);
  t.equal(proxy.seen.length, 1, 'NO_PROXY bypasses the proxy');
  t.equal(receiver.requests.length, 2);
});

t.test(
  'a malformed HTTPS_PROXY fails the send with one clear reason, never a crash or the URL',
  async (t) => {
    const receiver = await startScriptedReceiver([]);
    t.teardown(receiver.close);
    const config = await writeConfig(await tempDir(), {
      endpoint: receiver.url,
      proxy: '',
      auth: { type: 'none' },
      retry: { maxAttempts: 2, minDelay: '10ms', maxDelay: '20ms' },
    });
    const result = await runCli(['once', '--config', config], {
      env: { HTTP_PROXY: 'http://user:s3cret@[bad', NO_PROXY: '' },
    });
    t.equal(result.code, 1);
    t.match(
      result.stderr,
      /send failed; nothing more is delivered by this run \(once does not keep samples\) .*reason="the proxy from HTTPS_PROXY\/HTTP_PROXY is unusable: ERR_INVALID_URL"/,
    );
    t.notMatch(result.stderr, /s3cret|\n\s+at /, 'no password, no stack trace');
    t.equal(receiver.requests.length, 0);
  },
);

t.test(
  'https endpoint through the proxy: a CONNECT tunnel, TLS verified end to end inside it, proxy credentials sent to the proxy only',
  async (t) => {
    const { readFileSync } = await import('node:fs');
    const https = await import('node:https');
    const dir = await ownTempDir(t);
    const ca = makeCa(dir, 'proxy-test-ca');
    const served = ca.issue('127.0.0.1', { sans: ['IP:127.0.0.1'] });
    const seenHeaders: http.IncomingHttpHeaders[] = [];
    const server = https.createServer(
      { key: readFileSync(served.key), cert: readFileSync(served.cert) },
      (request, response) => {
        seenHeaders.push(request.headers);
        request.resume();
        request.on('end', () => response.writeHead(200).end());
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = await startForwardProxy();
    t.teardown(async () => {
      server.closeAllConnections();
      server.close();
      await proxy.close();
    });
    const port = (server.address() as net.AddressInfo).port;
    const config = await writeConfig(dir, {
      endpoint: `https://127.0.0.1:${port}/metrics/v1/receive`,
      proxy: proxy.url.replace('http://', 'http://user:pr0xy-pw@'),
    });
    const result = await runCli(['once', '--config', config], {
      env: { NODE_EXTRA_CA_CERTS: ca.cert, HTTP_PROXY: '', HTTPS_PROXY: '', NO_PROXY: '' },
    });
    t.equal(result.code, 0, result.stderr);
    t.same(proxy.seen, [`CONNECT 127.0.0.1:${port}`]);
    t.equal(seenHeaders.length, 1);
    t.equal(
      seenHeaders[0]?.['proxy-authorization'],
      undefined,
      'the proxy password never reaches the endpoint',
    );
    t.notMatch(result.stderr, /pr0xy-pw/);
  },
);

t.test(
  'plain http to loopback with credentials never goes through a proxy, from the key or the environment: the token stays on the node',
  async (t) => {
    const receiver = await startScriptedReceiver([]);
    const proxy = await startForwardProxy();
    t.teardown(async () => {
      await receiver.close();
      await proxy.close();
    });
    const dir = await ownTempDir(t);
    const fromKey = await writeConfig(dir, { endpoint: receiver.url, proxy: proxy.url });
    const viaKey = await runCli(['once', '--config', fromKey], {
      env: { HTTP_PROXY: '', HTTPS_PROXY: '', NO_PROXY: '' },
    });
    t.equal(viaKey.code, 0, viaKey.stderr);
    const fromEnv = await writeConfig(dir, { endpoint: receiver.url, proxy: '' });
    const viaEnv = await runCli(['once', '--config', fromEnv], {
      env: { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: '' },
    });
    t.equal(viaEnv.code, 0, viaEnv.stderr);
    t.equal(receiver.requests.length, 2, 'both delivered, directly');
    t.same(proxy.seen, [], 'the proxy saw neither request');
    t.ok(
      receiver.requests.every(
        (request) => request.headers.authorization?.startsWith('Bearer ') === true,
      ),
      'with their credentials',
    );
  },
);
