// Reads a small file an admin or another program wrote (config, drop-in, pull
// secret, cluster id) with a size cap and a deadline. What an admin can point
// a path at is not always a file: a FIFO would block an open() forever,
// /dev/zero never ends, a symlink loop fails only at open. Each is a value
// with a code here, never a hang or an unbounded buffer.
import { constants } from 'node:fs';
import { open, type OpenFile } from './fs-async.js';

export type FileReadCode =
  | 'ENOENT' // does not exist
  | 'EACCES' // permission denied
  | 'ELOOP' // symlink loop
  | 'EISDIR' // a directory
  | 'ENOTREG' // a FIFO, device or socket
  | 'EFBIG' // larger than the cap
  | 'ETIMEDOUT' // the file system did not answer in time
  | 'EREAD'; // any other failure, with its errno in the reason

export class FileReadError extends Error {
  constructor(
    readonly code: FileReadCode,
    readonly file: string,
    /** Short, for "<what> <file>: <reason>" lines; never the file's content. */
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'FileReadError';
  }
}

export type BoundedRead =
  /** `mode`: the permission bits (st_mode & 0o7777), for files whose secrecy matters (a private key); `uid`: the owner, of the file read. */
  | { readonly ok: true; readonly text: string; readonly mode: number; readonly uid: number }
  | { readonly ok: false; readonly error: FileReadError };

export interface BoundedReadOptions {
  readonly maxBytes: number;
  readonly timeoutMs: number;
  /** Default true: symlinks are how admins manage /etc. False for files only this program writes (the buffer's). */
  readonly followSymlinks?: boolean;
}

export type BoundedBytesRead =
  | { readonly ok: true; readonly bytes: Buffer; readonly mode: number; readonly uid: number }
  | { readonly ok: false; readonly error: FileReadError };

export const KIB = 1024;
/** Used by every caller of a small file: a file system that does not answer in 5 s is stuck, not slow. */
export const FILE_READ_TIMEOUT_MS = 5000;

/**
 * Reads of a path still running after their deadline. A stuck file system
 * (a dead NFS mount) holds a libuv pool thread per call and nothing can take
 * it back; a second read of the same path while one is stuck would take
 * another thread, so it fails at once instead.
 */
const stuck = new Map<string, number>();

function describeErrno(code: string | undefined): { code: FileReadCode; reason: string } {
  switch (code) {
    case 'ENOENT':
      return { code: 'ENOENT', reason: 'not found' };
    case 'EACCES':
    case 'EPERM':
      return { code: 'EACCES', reason: 'permission denied' };
    case 'ELOOP':
      return { code: 'ELOOP', reason: 'too many levels of symbolic links (a symlink loop?)' };
    case 'EISDIR':
      return { code: 'EISDIR', reason: 'is a directory' };
    case 'ENXIO':
      // open() of a Unix socket, or of a FIFO for writing with no reader.
      return { code: 'ENOTREG', reason: 'not a regular file (a socket?)' };
    default:
      return { code: 'EREAD', reason: `cannot read (${code ?? 'unknown error'})` };
  }
}

function kindOf(stats: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a plain file';
}

export function formatBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0
    ? `${bytes / (1024 * 1024)} MiB`
    : bytes % 1024 === 0
      ? `${bytes / 1024} KiB`
      : `${bytes} bytes`;
}

async function readWithin(
  file: string,
  maxBytes: number,
  followSymlinks: boolean,
): Promise<BoundedBytesRead> {
  const fail = (code: FileReadCode, reason: string): BoundedBytesRead => ({
    ok: false,
    error: new FileReadError(code, file, reason),
  });
  let handle: OpenFile;
  try {
    // O_NONBLOCK: opening a FIFO with no writer returns at once instead of
    // blocking a pool thread forever. Symlinks are followed unless told (a
    // loop fails here with ELOOP); with O_NOFOLLOW a symlink is ELOOP too.
    handle = await open(
      file,
      constants.O_RDONLY | constants.O_NONBLOCK | (followSymlinks ? 0 : constants.O_NOFOLLOW),
    );
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code;
    if (errno === 'ELOOP' && !followSymlinks)
      return fail('ELOOP', 'a symbolic link (not followed)');
    const { code, reason } = describeErrno(errno);
    return fail(code, reason);
  }
  try {
    const stats = await handle.stat();
    if (stats.isDirectory()) return fail('EISDIR', 'is a directory');
    if (!stats.isFile()) return fail('ENOTREG', `not a regular file (${kindOf(stats)})`);
    if (stats.size > maxBytes)
      return fail('EFBIG', `larger than ${formatBytes(maxBytes)} (${stats.size} bytes)`);
    // The size can change between fstat and read, and /proc or /sys files say
    // 0: the buffer grows as needed, but never past one byte more than allowed,
    // so a file that grew is refused without reading it all.
    let buffer = Buffer.alloc(Math.min(Math.max(stats.size, 4 * KIB), maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > maxBytes) return fail('EFBIG', `larger than ${formatBytes(maxBytes)}`);
        const grown = Buffer.alloc(Math.min(buffer.length * 2, maxBytes + 1));
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) return fail('EFBIG', `larger than ${formatBytes(maxBytes)}`);
    return {
      ok: true,
      bytes: buffer.subarray(0, length),
      mode: stats.mode & 0o7777,
      uid: stats.uid,
    };
  } catch (error) {
    const { code, reason } = describeErrno((error as NodeJS.ErrnoException).code);
    return fail(code, reason);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The file's text, or an error with a code. Never rejects, never waits longer than `timeoutMs`. */
export async function readBoundedFile(
  file: string,
  options: BoundedReadOptions,
): Promise<BoundedRead> {
  const read = await readBoundedBytes(file, options);
  return read.ok
    ? { ok: true, text: read.bytes.toString('utf8'), mode: read.mode, uid: read.uid }
    : read;
}

/** The file's bytes, or an error with a code. Never rejects, never waits longer than `timeoutMs`. */
export function readBoundedBytes(
  file: string,
  options: BoundedReadOptions,
): Promise<BoundedBytesRead> {
  if ((stuck.get(file) ?? 0) > 0) {
    return Promise.resolve({
      ok: false,
      error: new FileReadError(
        'ETIMEDOUT',
        file,
        'an earlier read has not returned yet (a stuck file system?)',
      ),
    });
  }
  return new Promise((resolve) => {
    let timedOut = false;
    // Not unref'd: a caller awaiting this read is work the process must finish.
    const timer = setTimeout(() => {
      timedOut = true;
      // The pool thread cannot be interrupted; remember the path until it returns.
      stuck.set(file, (stuck.get(file) ?? 0) + 1);
      resolve({
        ok: false,
        error: new FileReadError(
          'ETIMEDOUT',
          file,
          `no answer within ${options.timeoutMs} ms (a stuck file system?)`,
        ),
      });
    }, options.timeoutMs);
    void readWithin(file, options.maxBytes, options.followSymlinks ?? true).then((result) => {
      if (timedOut) {
        const left = (stuck.get(file) ?? 1) - 1;
        if (left > 0) stuck.set(file, left);
        else stuck.delete(file);
        return;
      }
      clearTimeout(timer);
      resolve(result);
    });
  });
}
