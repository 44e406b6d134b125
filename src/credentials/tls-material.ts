// telemetry.tls → the transport's TLS options: the files read (bounded, with a
// deadline: a FIFO or a stuck mount is an error, never a hang), parsed and
// checked, at start and again at every attempt, so a rotated CA or client
// certificate is used by the next send without a restart. Errors name the key
// and the file and never hold anything read from the files.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import tls from 'node:tls';
import { FILE_READ_TIMEOUT_MS, KIB, readBoundedFile } from '../base/bounded-file.js';
import type { TlsFileKey, TlsFileSetting, TlsSettings } from '../config/tls-settings.js';
import type { TlsMaterial, TlsOptions } from '../transport/tls-options.js';

/** A distribution's whole CA bundle is about 220 KiB; a MiB is not a certificate file. */
export const MAX_TLS_FILE_BYTES = 1024 * KIB;

/** Why a file cannot be used, with the key that names it. */
export interface TlsFileProblem {
  readonly key: TlsFileKey;
  readonly file: string;
  /** The config file that set the key. */
  readonly setIn: string;
  /** Short; never the file's content. */
  readonly reason: string;
}

/** What `show` and `check-config` may print: paths, the client certificate's subject and expiry, never key material. */
export interface TlsSummary {
  readonly caFile?: { readonly file: string; readonly certificates: number };
  readonly client?: {
    readonly certFile: string;
    readonly keyFile: string;
    readonly subject: string;
    readonly notAfter: string;
  };
  readonly serverName?: string;
}

export type TlsLoad =
  | { readonly ok: true; readonly options: TlsOptions; readonly summary: TlsSummary }
  | { readonly ok: false; readonly problem: TlsFileProblem };

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** Each PEM certificate block of `text`, in order. */
export function pemCertificates(text: string): string[] {
  return text.match(PEM_CERTIFICATE) ?? [];
}

/** The files telemetry.tls will read, in the order they are read. */
type Step<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problem: TlsFileProblem };

async function readSetting(
  key: TlsFileKey,
  setting: TlsFileSetting,
): Promise<Step<{ text: string; mode: number }>> {
  const read = await readBoundedFile(setting.path, {
    maxBytes: MAX_TLS_FILE_BYTES,
    timeoutMs: FILE_READ_TIMEOUT_MS,
  });
  if (!read.ok)
    return {
      ok: false,
      problem: { key, file: setting.path, setIn: setting.setIn, reason: read.error.reason },
    };
  return { ok: true, value: { text: read.text, mode: read.mode } };
}

/** Certificates that all parse, or a problem naming which one does not. */
function parseCertificates(
  key: TlsFileKey,
  setting: TlsFileSetting,
  text: string,
): Step<{ pems: string[]; parsed: X509Certificate[] }> {
  const fail = (reason: string): Step<never> => ({
    ok: false,
    problem: { key, file: setting.path, setIn: setting.setIn, reason },
  });
  const pems = pemCertificates(text);
  if (pems.length === 0) return fail('holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  const parsed: X509Certificate[] = [];
  for (const [index, pem] of pems.entries()) {
    try {
      parsed.push(new X509Certificate(pem));
    } catch {
      return fail(`certificate ${index + 1} of ${pems.length} is not a valid X.509 certificate`);
    }
  }
  return { ok: true, value: { pems, parsed } };
}

/**
 * Node's default trust, as a list: its bundled roots plus NODE_EXTRA_CA_CERTS
 * (which Node reads once at start and adds only when no `ca` is given). A file
 * Node could not read is skipped, as Node skips it (it warned at start).
 */
async function defaultRoots(): Promise<string[]> {
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (extra === undefined || extra === '') return [...tls.rootCertificates];
  const read = await readBoundedFile(extra, {
    maxBytes: MAX_TLS_FILE_BYTES,
    timeoutMs: FILE_READ_TIMEOUT_MS,
  });
  return [...tls.rootCertificates, ...(read.ok ? pemCertificates(read.text) : [])];
}

/** Reads, parses and checks every file of telemetry.tls. Never rejects. */
export async function loadTlsMaterial(settings: TlsSettings): Promise<TlsLoad> {
  let options: {
    ca?: string[];
    clientCertificate?: { cert: string; key: string };
    serverName?: string;
  } = {};
  let summary: TlsSummary = {};
  if (settings.serverName !== undefined) {
    options = { ...options, serverName: settings.serverName };
    summary = { ...summary, serverName: settings.serverName };
  }
  if (settings.caFile !== undefined) {
    const read = await readSetting('caFile', settings.caFile);
    if (!read.ok) return read;
    const bundle = parseCertificates('caFile', settings.caFile, read.value.text);
    if (!bundle.ok) return bundle;
    // Added to Node's trust, not instead of it: Node's `ca` replaces its roots, so they are passed too.
    options = { ...options, ca: [...(await defaultRoots()), ...bundle.value.pems] };
    summary = {
      ...summary,
      caFile: { file: settings.caFile.path, certificates: bundle.value.pems.length },
    };
  }
  if (settings.certFile !== undefined && settings.keyFile !== undefined) {
    const keySetting = settings.keyFile;
    const keyProblem = (reason: string): TlsLoad => ({
      ok: false,
      problem: { key: 'keyFile', file: keySetting.path, setIn: keySetting.setIn, reason },
    });
    const certRead = await readSetting('certFile', settings.certFile);
    if (!certRead.ok) return certRead;
    const chain = parseCertificates('certFile', settings.certFile, certRead.value.text);
    if (!chain.ok) return chain;
    const keyRead = await readSetting('keyFile', keySetting);
    if (!keyRead.ok) return keyRead;
    if ((keyRead.value.mode & 0o006) !== 0) {
      return keyProblem(
        `readable or writable by other users (mode ${keyRead.value.mode.toString(8).padStart(4, '0')}); chmod 0600 ${keySetting.path}`,
      );
    }
    let key: KeyObject;
    try {
      key = createPrivateKey(keyRead.value.text);
    } catch {
      // OpenSSL's message is not repeated: it is no help, and nothing read from a key file goes into a line.
      return keyProblem(
        'not a PEM private key (an encrypted key is not supported: the daemon has no passphrase)',
      );
    }
    const leaf = chain.value.parsed[0] as X509Certificate;
    if (!leaf.checkPrivateKey(key))
      return keyProblem(`is not the key of the certificate in ${settings.certFile.path}`);
    options = {
      ...options,
      clientCertificate: { cert: certRead.value.text, key: keyRead.value.text },
    };
    summary = {
      ...summary,
      client: {
        certFile: settings.certFile.path,
        keyFile: keySetting.path,
        subject: leaf.subject.replace(/\n/g, ', '),
        notAfter: new Date(leaf.validTo).toISOString(),
      },
    };
  }
  return { ok: true, options, summary };
}

/** The one line for a file gone bad at a send. */
export function problemLine(problem: TlsFileProblem): string {
  return `telemetry.tls.${problem.key} ${problem.file}: ${problem.reason}`;
}

/** What the transport takes for one attempt: the options, or the one line saying which file went bad. */
export async function readTlsMaterial(settings: TlsSettings): Promise<TlsMaterial> {
  const loaded = await loadTlsMaterial(settings);
  return loaded.ok
    ? { ok: true, options: loaded.options }
    : { ok: false, reason: problemLine(loaded.problem) };
}
