// The promise forms of the file calls the daemon makes, on node:fs's callback
// API (which Node loads at its own start). Not node:fs/promises: loading it
// loads readline's interface, the REPL's history and the fs watchers with it,
// none of which the daemon uses, and they stay for the daemon's life: 0.8 to
// 0.9 MB of RSS on Node 24 and 26 over node:https alone, 0.3 to 0.4 MB on 20
// and 22 (docs/footprint.md). Same calls by util.promisify, same errors (with
// their `code`), and an open file whose methods are the FileHandle ones the
// daemon uses.
import fs, { type Dirent, type Stats } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

export const access = promisify(fs.access);
export const mkdir = promisify(fs.mkdir);
export const readdir = promisify(fs.readdir);
export const readFile = promisify(fs.readFile);
export const writeFile = promisify(fs.writeFile);
export const stat = promisify(fs.stat);
export const lstat = promisify(fs.lstat);
export const statfs = promisify(fs.statfs);
export const copyFile = promisify(fs.copyFile);
export const rename = promisify(fs.rename);
export const unlink = promisify(fs.unlink);
export const realpath = promisify(fs.realpath);

/**
 * `mkdir -p`, one level at a time. Not `mkdir(dir, { recursive: true })`:
 * Node's (every line) retries for ever where mkdir says ENOENT of a path whose
 * parent exists (`/proc/x`, which no mkdir can make), a spinning CPU and no
 * error. Each missing level is made with `mode`; an error is the mkdir's own.
 */
export async function makeDirectories(dir: string, mode: number): Promise<void> {
  const missing: string[] = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    try {
      if ((await stat(at)).isDirectory()) break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    missing.push(at);
    // The root exists; a level stat cannot see ends the walk, and its mkdir says why.
    if (path.dirname(at) === at) break;
  }
  for (const level of missing.reverse()) {
    try {
      await mkdir(level, { mode });
    } catch (error) {
      // Made meanwhile by another process: as good, if it is a directory.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !(await stat(level)).isDirectory())
        throw error;
    }
  }
}

/**
 * At most `max` entries of a directory, with file types, in the order the
 * file system lists them; a directory of millions is never read whole. Closed
 * before it resolves.
 */
export function readdirAtMost(dir: string, max: number): Promise<Dirent[]> {
  return new Promise((resolve, reject) => {
    fs.opendir(dir, { bufferSize: Math.max(1, Math.min(max, 32)) }, (error, handle) => {
      if (error !== null) {
        reject(error);
        return;
      }
      const entries: Dirent[] = [];
      const finish = (failure: Error | null) => {
        handle.close((closeError) => {
          const problem = failure ?? closeError;
          if (problem === null) resolve(entries);
          else reject(problem);
        });
      };
      const next = () => {
        if (entries.length >= max) {
          finish(null);
          return;
        }
        handle.read((readError, entry) => {
          if (readError !== null) finish(readError);
          else if (entry === null) finish(null);
          else {
            entries.push(entry);
            next();
          }
        });
      };
      next();
    });
  });
}

/** readdir with file types. */
export const readdirEntries = (dir: string): Promise<Dirent[]> =>
  readdir(dir, { withFileTypes: true });

const read = promisify(fs.read);
const write = promisify(fs.write);
const fstat = promisify(fs.fstat);
const ftruncate = promisify(fs.ftruncate);
const fsync = promisify(fs.fsync);
const fdatasync = promisify(fs.fdatasync);
const close = promisify(fs.close);
const openFd = promisify(fs.open);

/** The FileHandle methods the daemon uses, on a file descriptor. */
export interface OpenFile {
  readonly fd: number;
  read(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number | null,
  ): Promise<{ bytesRead: number }>;
  write(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number | null,
  ): Promise<{ bytesWritten: number }>;
  /** The whole of `data` at the current position, as FileHandle.writeFile on an open file. */
  writeFile(data: string | Uint8Array): Promise<void>;
  stat(): Promise<Stats>;
  truncate(length: number): Promise<void>;
  sync(): Promise<void>;
  datasync(): Promise<void>;
  /** Once; later calls resolve at once, so a descriptor number reused since is never closed by mistake. */
  close(): Promise<void>;
}

class DescriptorFile implements OpenFile {
  private closing: Promise<void> | undefined;

  constructor(readonly fd: number) {}

  read(buffer: Uint8Array, offset: number, length: number, position: number | null) {
    return read(this.fd, buffer, offset, length, position);
  }

  write(buffer: Uint8Array, offset: number, length: number, position: number | null) {
    return write(this.fd, buffer, offset, length, position);
  }

  async writeFile(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    // write() may write part of it: the rest follows at the position it left.
    for (let offset = 0; offset < bytes.length;) {
      const { bytesWritten } = await this.write(bytes, offset, bytes.length - offset, null);
      offset += bytesWritten;
    }
  }

  stat(): Promise<Stats> {
    return fstat(this.fd);
  }

  truncate(length: number): Promise<void> {
    return ftruncate(this.fd, length);
  }

  sync(): Promise<void> {
    return fsync(this.fd);
  }

  datasync(): Promise<void> {
    return fdatasync(this.fd);
  }

  close(): Promise<void> {
    this.closing ??= close(this.fd);
    return this.closing;
  }
}

export async function open(file: string, flags: number | string, mode?: number): Promise<OpenFile> {
  return new DescriptorFile(await openFd(file, flags, mode));
}
