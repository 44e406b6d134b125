import path from 'node:path';
import { FILE_READ_TIMEOUT_MS, readBoundedFile } from '../../base/bounded-file.js';

/** Where host files are read from; tests point `root` at a fake host tree. */
export interface HostPaths {
  readonly root: string;
}

export function hostFile(host: HostPaths, absolute: string): string {
  return host.root === '' ? absolute : path.join(host.root, absolute);
}

/**
 * A kernel or /etc file of the host, read with a size cap and a deadline:
 * /proc files say 0 bytes until read, and a bind mount or an admin's symlink
 * can put a FIFO or a device where a file was. Throws the read's one-line
 * error (FileReadError: file and reason, never the content).
 */
export async function readHostText(
  host: HostPaths,
  absolute: string,
  maxBytes: number,
): Promise<string> {
  const read = await readBoundedFile(hostFile(host, absolute), {
    maxBytes,
    timeoutMs: FILE_READ_TIMEOUT_MS,
  });
  if (!read.ok) throw read.error;
  return read.text;
}
