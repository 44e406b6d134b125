// The files a kubeconfig is or names (kubeconfig, CA, client certificate and
// key, token), read through the project's bounded reader (size cap, deadline,
// no FIFO or device), its errors turned into KubeconfigErrors.
import { FILE_READ_TIMEOUT_MS, readBoundedFile } from '../base/bounded-file.js';
import { KubeconfigError, type Loaded } from './kubeconfig-error.js';

/** A kubeconfig with a few clusters and inline certificates is tens of KiB; kubectl's largest seen are a few MiB. */
export const MAX_KUBECONFIG_BYTES = 4 * 1024 * 1024;
/** A CA bundle (the system's is ~220 KiB), a certificate, a key or a token. */
export const MAX_CREDENTIAL_FILE_BYTES = 1024 * 1024;

/** The file's text, or a KubeconfigError (code EKUBECONFIGREAD, or `missingCode` when it does not exist). Never rejects. */
export async function readSmallFile(
  file: string,
  maxBytes: number,
  missingCode: 'EKUBECONFIGMISSING' | 'EKUBECONFIGREAD' = 'EKUBECONFIGREAD',
): Promise<Loaded<string>> {
  const read = await readBoundedFile(file, { maxBytes, timeoutMs: FILE_READ_TIMEOUT_MS });
  if (read.ok) return { ok: true, value: read.text };
  return {
    ok: false,
    error: new KubeconfigError(
      read.error.code === 'ENOENT' ? missingCode : 'EKUBECONFIGREAD',
      file,
      read.error.reason,
    ),
  };
}

/** PEM text given inline or kept in a file; a file must hold a PEM block. */
export async function readPem(
  source: { readonly pem: string } | { readonly file: string },
): Promise<Loaded<string>> {
  if ('pem' in source) return { ok: true, value: source.pem };
  const read = await readSmallFile(source.file, MAX_CREDENTIAL_FILE_BYTES);
  if (!read.ok) return read;
  if (!read.value.includes('-----BEGIN '))
    return {
      ok: false,
      error: new KubeconfigError('EKUBECONFIGREAD', source.file, 'not a PEM file'),
    };
  return read;
}
