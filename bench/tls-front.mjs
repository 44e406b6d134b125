// What the footprint benches share on the receiving side: a self-signed
// certificate for 127.0.0.1 and the HTTPS front that hands each request to
// the plain-http embedded receiver, so every sender writes over TLS as to the
// real endpoint.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A P-256 key and a certificate for IP 127.0.0.1, valid two days, in `tmp`. */
export async function testCertificate(tmp) {
  const keyFile = path.join(tmp, 'front.key');
  const certFile = path.join(tmp, 'front.crt');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '2',
    '-subj',
    '/CN=bench-receiver',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  return { key: await readFile(keyFile), cert: await readFile(certFile), caFile: certFile };
}

/** An https request handler that passes each request to http://127.0.0.1:`port` and its answer back. */
export function proxyTo(port) {
  return (request, response) => {
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  };
}
