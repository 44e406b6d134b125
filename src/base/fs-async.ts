// The promise forms of the file calls the daemon makes, on node:fs's callback
// API (which Node loads at its own start). Not node:fs/promises: loading it
// loads readline's interface, the REPL's history and the fs watchers with it,
// none of which the daemon uses, and they stay for the daemon's life: 0.8 to
// 0.9 MB of RSS on Node 24 and 26 over node:https alone, 0.3 to 0.4 MB on 20
// and 22 (docs/footprint.md). Same calls, same errors (with their `code`), and
// an open file whose methods are the FileHandle ones the daemon uses.
import fs, { type Dirent, type MakeDirectoryOptions, type Stats, type StatsFs } from 'node:fs';

type Callback<T> = (error: NodeJS.ErrnoException | null, value: T) => void;

function call<T>(start: (done: Callback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) =>
    start((error, value) => (error === null ? resolve(value) : reject(error))),
  );
}

const done =
  (resolve: () => void, reject: (error: unknown) => void) =>
  (error: NodeJS.ErrnoException | null) => (error === null ? resolve() : reject(error));

function callVoid(start: (done: (error: NodeJS.ErrnoException | null) => void) => void) {
  return new Promise<void>((resolve, reject) => start(done(resolve, reject)));
}

export const access = (file: string, mode?: number): Promise<void> =>
  callVoid((cb) => fs.access(file, mode, cb));

export const mkdir = (dir: string, options: MakeDirectoryOptions): Promise<string | undefined> =>
  call((cb) => fs.mkdir(dir, options, cb));

export const readdir = (dir: string): Promise<string[]> => call((cb) => fs.readdir(dir, cb));

/** readdir with file types. */
export const readdirEntries = (dir: string): Promise<Dirent[]> =>
  call((cb) => fs.readdir(dir, { withFileTypes: true }, cb));

export const readFile = (file: string, encoding: BufferEncoding): Promise<string> =>
  call((cb) => fs.readFile(file, encoding, cb));

export const writeFile = (file: string, data: string | Uint8Array): Promise<void> =>
  callVoid((cb) => fs.writeFile(file, data, cb));

export const stat = (file: string): Promise<Stats> => call((cb) => fs.stat(file, cb));

export const lstat = (file: string): Promise<Stats> => call((cb) => fs.lstat(file, cb));

export const statfs = (file: string): Promise<StatsFs> => call((cb) => fs.statfs(file, cb));

export const copyFile = (from: string, to: string): Promise<void> =>
  callVoid((cb) => fs.copyFile(from, to, cb));

export const rename = (from: string, to: string): Promise<void> =>
  callVoid((cb) => fs.rename(from, to, cb));

export const unlink = (file: string): Promise<void> => callVoid((cb) => fs.unlink(file, cb));

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
    return call<number>((cb) => fs.read(this.fd, buffer, offset, length, position, cb)).then(
      (bytesRead) => ({ bytesRead }),
    );
  }

  write(buffer: Uint8Array, offset: number, length: number, position: number | null) {
    return call<number>((cb) => fs.write(this.fd, buffer, offset, length, position, cb)).then(
      (bytesWritten) => ({ bytesWritten }),
    );
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
    return call((cb) => fs.fstat(this.fd, cb));
  }

  truncate(length: number): Promise<void> {
    return callVoid((cb) => fs.ftruncate(this.fd, length, cb));
  }

  sync(): Promise<void> {
    return callVoid((cb) => fs.fsync(this.fd, cb));
  }

  datasync(): Promise<void> {
    return callVoid((cb) => fs.fdatasync(this.fd, cb));
  }

  close(): Promise<void> {
    this.closing ??= callVoid((cb) => fs.close(this.fd, cb));
    return this.closing;
  }
}

export async function open(file: string, flags: number | string, mode?: number): Promise<OpenFile> {
  return new DescriptorFile(await call<number>((cb) => fs.open(file, flags, mode, cb)));
}
