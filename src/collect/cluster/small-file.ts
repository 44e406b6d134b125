// Reads a small file a kubeconfig is or names (kubeconfig, CA, client
// certificate and key, token) with a size cap. An admin can point a path at
// anything: a FIFO would block open() forever and /dev/zero never ends, so the
// open does not block (O_NONBLOCK), only regular files are read, and never
// more than the cap.
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { KubeconfigError, type Loaded } from './kubeconfig-error.js';

/** A kubeconfig with a few clusters and inline certificates is tens of KiB; kubectl's largest seen are a few MiB. */
export const MAX_KUBECONFIG_BYTES = 4 * 1024 * 1024;
/** A CA bundle (the system's is ~220 KiB), a certificate, a key or a token. */
export const MAX_CREDENTIAL_FILE_BYTES = 1024 * 1024;

function reasonFor(code: string | undefined): string {
  switch (code) {
    case 'ENOENT':
      return 'not found';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'EISDIR':
      return 'is a directory';
    case 'ENXIO':
      return 'not a regular file (a socket?)';
    default:
      return `cannot read (${code ?? 'unknown error'})`;
  }
}

/** The file's text, or a KubeconfigError (code EKUBECONFIGREAD, or `missingCode` when it does not exist). Never rejects. */
export async function readSmallFile(
  file: string,
  maxBytes: number,
  missingCode: 'EKUBECONFIGMISSING' | 'EKUBECONFIGREAD' = 'EKUBECONFIGREAD',
): Promise<Loaded<string>> {
  const fail = (reason: string, code: 'EKUBECONFIGMISSING' | 'EKUBECONFIGREAD' = 'EKUBECONFIGREAD'): Loaded<string> => ({
    ok: false,
    error: new KubeconfigError(code, file, reason),
  });
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return fail(reasonFor(code), code === 'ENOENT' ? missingCode : 'EKUBECONFIGREAD');
  }
  try {
    const stats = await handle.stat();
    if (stats.isDirectory()) return fail('is a directory');
    if (!stats.isFile()) return fail(`not a regular file (${stats.isFIFO() ? 'a FIFO' : stats.isSocket() ? 'a socket' : 'a device'})`);
    if (stats.size > maxBytes) return fail(`larger than ${maxBytes} bytes (${stats.size} bytes)`);
    // The file may grow between fstat and read: read one byte past the cap to notice.
    const buffer = Buffer.alloc(Math.min(stats.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) return fail(`larger than ${maxBytes} bytes`);
      if (length === buffer.length) return fail('grew while being read');
    }
    return { ok: true, value: buffer.subarray(0, length).toString('utf8') };
  } catch (error) {
    return fail(reasonFor((error as NodeJS.ErrnoException).code));
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** PEM text given inline or kept in a file; a file must hold a PEM block. */
export async function readPem(source: { readonly pem: string } | { readonly file: string }): Promise<Loaded<string>> {
  if ('pem' in source) return { ok: true, value: source.pem };
  const read = await readSmallFile(source.file, MAX_CREDENTIAL_FILE_BYTES);
  if (!read.ok) return read;
  if (!read.value.includes('-----BEGIN ')) return { ok: false, error: new KubeconfigError('EKUBECONFIGREAD', source.file, 'not a PEM file') };
  return read;
}
