// Certificates made by openssl for a test, in the test's own directory: a
// private CA, and server or client certificates it issues (EC P-256, as fast
// as openssl gets). Nothing here is trusted by the system.
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Issued {
  /** PEM files. */
  readonly cert: string;
  readonly key: string;
}

export interface TestCa extends Issued {
  readonly name: string;
  /** A certificate this CA signs: `sans` like ['IP:127.0.0.1', 'DNS:localhost']; days < 0: already expired. */
  issue(
    name: string,
    options?: { sans?: readonly string[]; clientAuth?: boolean; days?: number },
  ): Issued;
}

function openssl(args: readonly string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A CA named `name` whose files are `<dir>/<name>.pem` and `<dir>/<name>.key` (0600). */
export function makeCa(dir: string, name: string): TestCa {
  const cert = path.join(dir, `${name}.pem`);
  const key = path.join(dir, `${name}.key`);
  openssl([
    'req',
    '-x509',
    ...EC,
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  chmodSync(key, 0o600);
  let serial = 0;
  return {
    name,
    cert,
    key,
    issue(subject, options = {}) {
      serial++;
      const base = path.join(dir, `${name}-${subject}-${serial}`);
      openssl([
        'req',
        ...EC,
        '-keyout',
        `${base}.key`,
        '-out',
        `${base}.csr`,
        '-subj',
        `/CN=${subject}`,
      ]);
      chmodSync(`${base}.key`, 0o600);
      const extensions = [
        ...(options.sans === undefined ? [] : [`subjectAltName=${options.sans.join(',')}`]),
        `extendedKeyUsage=${options.clientAuth === true ? 'clientAuth' : 'serverAuth'}`,
      ];
      writeFileSync(`${base}.ext`, `${extensions.join('\n')}\n`);
      openssl([
        'x509',
        '-req',
        '-in',
        `${base}.csr`,
        '-CA',
        cert,
        '-CAkey',
        key,
        '-set_serial',
        String(1000 + serial),
        '-out',
        `${base}.pem`,
        '-days',
        String(options.days ?? 1),
        '-extfile',
        `${base}.ext`,
      ]);
      return { cert: `${base}.pem`, key: `${base}.key` };
    },
  };
}
