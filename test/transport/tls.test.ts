// TLS verification stays on: an endpoint with a certificate no CA vouches for
// is refused (and retried later, never sent to), and trusting its CA through
// NODE_EXTRA_CA_CERTS, as the README tells admins behind intercepting proxies, makes it work.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeConfig } from '../helpers/files.js';

t.test('self-signed endpoint: refused unless its CA is trusted', async (t) => {
  const dir = await tempDir();
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  let received = 0;
  const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (request, response) => {
    request.resume();
    request.on('end', () => {
      received++;
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const { port } = server.address() as { port: number };
  const config = await writeConfig(dir, { endpoint: `https://127.0.0.1:${port}/metrics/v1/receive`, retry: { maxAttempts: 2, minDelay: '10ms', maxDelay: '50ms' } });

  const refused = await runCli(['once', '--config', config], { env: { NODE_EXTRA_CA_CERTS: '', NODE_TLS_REJECT_UNAUTHORIZED: '' } });
  t.equal(refused.code, 1);
  t.match(refused.stderr, /network error: (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/);
  t.equal(received, 0, 'no report reached an unverified server');

  const overridden = await runCli(['once', '--config', config], { env: { NODE_EXTRA_CA_CERTS: '', NODE_TLS_REJECT_UNAUTHORIZED: '0' } });
  t.equal(overridden.code, 1, 'NODE_TLS_REJECT_UNAUTHORIZED=0 does not turn verification off');
  t.equal(received, 0);

  const trusted = await runCli(['once', '--config', config], { env: { NODE_EXTRA_CA_CERTS: cert } });
  t.equal(trusted.code, 0, trusted.stderr);
  t.equal(received, 1);
});
