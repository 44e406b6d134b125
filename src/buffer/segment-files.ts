// The buffer's files in dataDir/buffer, and nothing but files: the names,
// bounded reads that follow no symlink, durable whole-file writes through the
// base's replaceFile, appends, files set aside for the admin, the drop counts
// file. What the files hold (segment-format.ts) and which samples they keep
// (disk-buffer.ts) are decided elsewhere.
import { constants } from 'node:fs';
import { copyFile, open, readdir, rename, unlink, type OpenFile } from '../base/fs-async.js';
import path from 'node:path';
import { readBoundedBytes, type FileReadCode } from '../base/bounded-file.js';
import { replaceFile, syncDirectory, type ReplaceHooks } from '../base/durable-file.js';
import type { Logger } from '../base/log.js';
import type { DropReason } from './sample-buffer.js';

const SEGMENT_PREFIX = 'segment-';
const SEGMENT_SUFFIX = '.etsb';
const TEMPORARY_SUFFIX = '.tmp';
const ASIDE_SUFFIX = '.corrupt';
/** The drop counts since the buffer was first made, so that `status` keeps them across restarts. */
const DROPPED_FILE = 'dropped.json';
const MAX_DROPPED_FILE_BYTES = 4096;
const DROP_REASONS: readonly DropReason[] = [
  'full',
  'age',
  'corrupt',
  'unwritable',
  'rejected',
  'oversized',
];
/** Far above any segment this code writes (4096 samples of ~5-25 bytes); a larger file is not ours. */
const MAX_SEGMENT_FILE_BYTES = 64 * 1024 * 1024;
/** A whole segment at the cap is 64 MiB: a minute covers the slowest SD card; a disk that does not answer in it is stuck. */
const SEGMENT_READ_TIMEOUT_MS = 60_000;
/** Files renamed aside are kept for the admin to look at, but not without bound. */
const MAX_ASIDE_FILES = 4;

export type FileRead =
  | { readonly kind: 'ok'; readonly bytes: Buffer }
  | { readonly kind: 'unreadable'; readonly code: FileReadCode; readonly reason: string };

/** An errno code for a log line, or the message of an error that has none. */
export function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}

/** The first seq in hex, so that the names sort in seq order. */
function segmentName(firstSeq: number): string {
  return `${SEGMENT_PREFIX}${firstSeq.toString(16).padStart(14, '0')}${SEGMENT_SUFFIX}`;
}

/** Writes all of `bytes` at `position` (a write may take fewer). */
export async function writeAll(
  handle: OpenFile,
  bytes: Uint8Array,
  position: number,
): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const result = await handle.write(bytes, written, bytes.length - written, position + written);
    written += result.bytesWritten;
  }
}

/** When a file was set aside: the milliseconds before ASIDE_SUFFIX in its name (0 for a name not of this form, so it goes first). */
function asideTime(name: string): number {
  const match = /\.(\d+)\.corrupt$/.exec(name);
  return match === null ? 0 : Number(match[1]);
}

export class SegmentFiles {
  constructor(
    readonly dir: string,
    private readonly log: Logger,
    private readonly now: () => number,
    /** Test seams around the rename that makes a rewritten segment visible (compactions, repairs). */
    private readonly hooks?: ReplaceHooks,
  ) {}

  private file(name: string): string {
    return path.join(this.dir, name);
  }

  /**
   * The segments' names in seq order, once the temporary files an unfinished
   * compaction or segment creation left are removed (the file each was to
   * replace is intact).
   */
  async segmentNames(): Promise<string[]> {
    const names = (await readdir(this.dir)).sort();
    for (const name of names.filter((entry) => entry.endsWith(TEMPORARY_SUFFIX))) {
      await unlink(this.file(name)).catch(() => undefined);
      this.log.info(
        'buffer: removed an unfinished temporary file; the file it was to replace is intact',
        { file: name },
      );
    }
    return names.filter(
      (entry) => entry.startsWith(SEGMENT_PREFIX) && entry.endsWith(SEGMENT_SUFFIX),
    );
  }

  /**
   * A segment (or the drop counts) read whole: bounded, never blocking on a
   * FIFO, symlinks not followed (only this program writes here), and within
   * SEGMENT_READ_TIMEOUT_MS.
   */
  async read(name: string): Promise<FileRead> {
    const read = await readBoundedBytes(this.file(name), {
      maxBytes: MAX_SEGMENT_FILE_BYTES,
      timeoutMs: SEGMENT_READ_TIMEOUT_MS,
      followSymlinks: false,
    });
    return read.ok
      ? { kind: 'ok', bytes: read.bytes }
      : { kind: 'unreadable', code: read.error.code, reason: read.error.reason };
  }

  /** A new segment of `header` only, durably in place, open for appends. */
  async create(firstSeq: number, header: Uint8Array): Promise<{ name: string; handle: OpenFile }> {
    const name = segmentName(firstSeq);
    await replaceFile(this.file(name), [header], 0o600, { durable: true, hooks: undefined });
    const handle = await open(this.file(name), constants.O_RDWR | constants.O_NOFOLLOW);
    return { name, handle };
  }

  /** An existing segment opened to append to (a start carrying on the last one); its length, to check it against the scan. */
  async reopen(name: string): Promise<{ handle: OpenFile; size: number }> {
    const handle = await open(this.file(name), constants.O_RDWR | constants.O_NOFOLLOW);
    try {
      return { handle, size: (await handle.stat()).size };
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }

  /** A whole segment rewritten durably: temporary file, fsync, rename, fsync of the directory. */
  replace(name: string, bytes: Uint8Array): Promise<void> {
    return replaceFile(this.file(name), [bytes], 0o600, { durable: true, hooks: this.hooks });
  }

  /** Cuts a segment at `length` (a torn or corrupt tail) and syncs it. */
  async truncate(name: string, length: number): Promise<void> {
    const handle = await open(this.file(name), constants.O_RDWR | constants.O_NOFOLLOW);
    try {
      await handle.truncate(length);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** Removes a segment and makes that durable; rejects as unlink does (ENOENT included). */
  async remove(name: string): Promise<void> {
    await unlink(this.file(name));
    await syncDirectory(this.dir);
  }

  syncDirectory(): Promise<void> {
    return syncDirectory(this.dir);
  }

  /** A copy of a damaged segment as found, for the admin; its name, or undefined when it could not be made (logged). */
  async copyAside(name: string): Promise<string | undefined> {
    const aside = `${name}.${this.now()}${ASIDE_SUFFIX}`;
    try {
      await copyFile(this.file(name), this.file(aside));
    } catch (error) {
      this.log.error('buffer: cannot keep a copy of a damaged segment aside', {
        file: name,
        reason: errorCode(error),
      });
      return undefined;
    }
    await this.pruneAside();
    return aside;
  }

  /** Moves a file that is not a readable segment out of the way, keeping the last few for the admin. */
  async setAside(name: string, reason: string): Promise<void> {
    const aside = `${name}.${this.now()}${ASIDE_SUFFIX}`;
    try {
      await rename(this.file(name), this.file(aside));
      this.log.warn(
        'buffer: file corrupt as a whole; renamed aside, the rest of the buffer is used',
        { file: name, renamedTo: aside, reason },
      );
    } catch (error) {
      this.log.error('buffer: file corrupt as a whole and cannot be renamed aside; ignored', {
        file: name,
        reason,
        renameError: errorCode(error),
      });
      return;
    }
    await this.pruneAside();
  }

  /**
   * Keeps the last MAX_ASIDE_FILES files set aside, by when they were set
   * aside (the milliseconds in their names), not by name: a name starts with
   * its segment's, so a copy of a lower segment would sort first and go.
   */
  private async pruneAside(): Promise<void> {
    const asides = (await readdir(this.dir))
      .filter((entry) => entry.endsWith(ASIDE_SUFFIX))
      .map((entry) => ({ entry, at: asideTime(entry) }))
      .sort((a, b) => a.at - b.at || (a.entry < b.entry ? -1 : a.entry > b.entry ? 1 : 0));
    for (const { entry } of asides.slice(0, Math.max(0, asides.length - MAX_ASIDE_FILES)))
      await unlink(this.file(entry)).catch(() => undefined);
  }

  /** The drop counts an earlier run wrote; none (logged) when the file is damaged or not ours. */
  async readDropCounts(): Promise<Partial<Record<DropReason, number>>> {
    const counts: Partial<Record<DropReason, number>> = {};
    const read = await this.read(DROPPED_FILE);
    if (read.kind === 'unreadable') {
      if (read.code !== 'ENOENT')
        this.log.warn('buffer: earlier drop counts unreadable; counting from zero', {
          file: DROPPED_FILE,
          reason: read.reason,
        });
      return counts;
    }
    try {
      if (read.bytes.length > MAX_DROPPED_FILE_BYTES)
        throw new Error(`larger than ${MAX_DROPPED_FILE_BYTES} bytes`);
      const parsed = JSON.parse(read.bytes.toString('utf8')) as unknown;
      const file = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as {
        format?: unknown;
        dropped?: unknown;
      };
      if (file.format !== 1 || typeof file.dropped !== 'object' || file.dropped === null)
        throw new Error('not a drop count file');
      const dropped = file.dropped as Record<string, unknown>;
      for (const reason of DROP_REASONS) {
        const count = dropped[reason];
        if (typeof count === 'number' && Number.isSafeInteger(count) && count > 0)
          counts[reason] = count;
      }
    } catch (error) {
      this.log.warn('buffer: earlier drop counts unreadable; counting from zero', {
        file: DROPPED_FILE,
        reason: (error as Error).message,
      });
      return {};
    }
    return counts;
  }

  /** Written whole and durably; rejects when the disk refuses. */
  writeDropCounts(counts: Partial<Record<DropReason, number>>): Promise<void> {
    return replaceFile(
      this.file(DROPPED_FILE),
      [Buffer.from(JSON.stringify({ format: 1, dropped: counts }))],
      0o600,
      { durable: true, hooks: undefined },
    );
  }
}
