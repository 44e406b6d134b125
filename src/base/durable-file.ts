// A whole file replaced so that a crash or a power cut leaves either the old
// content or the new, never an empty or half-written file: write a temporary
// file beside it, fsync it, rename it over, fsync the directory (the rename is
// only durable once the directory entry is on disk).
import { constants } from 'node:fs';
import { open, rename, unlink } from './fs-async.js';
import path from 'node:path';

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * A new file, never one that is there: dataDir may be a directory others can
 * write (an admin's choice), and a daemon running as root that opened a
 * planted `status.json.<pid>.tmp` symlink with 'w' would write through it
 * into any file. Exclusive and not following a link; one that is there (left
 * by a crash of an earlier process with this pid, or planted) is unlinked,
 * which removes the name, never what a link points to, and tried once more.
 */
async function createTemporary(file: string, mode: number) {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  try {
    return await open(file, flags, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    await unlink(file);
    return open(file, flags, mode);
  }
}

/** Chunks are written in order (an export streams its lines); the temporary file is removed if anything fails. */
export function writeFileDurably(
  file: string,
  chunks: Iterable<string | Uint8Array>,
  mode: number,
): Promise<void> {
  return replaceFile(file, chunks, mode, { durable: true });
}

/** Test seams around the one rename that makes a replacement visible (to take crash images there). */
export interface ReplaceHooks {
  beforeRename?(temporaryFile: string, targetFile: string): Promise<void>;
  afterRename?(targetFile: string): Promise<void>;
}

/**
 * Whole or not at all, always; `durable: false` skips both fsyncs, for a file
 * rewritten so often that a power cut losing its last version does not matter.
 * The temporary file's name ends in `.tmp`, which a reader of the directory
 * may remove at start (the buffer does): the file it was to replace is intact.
 */
export async function replaceFile(
  file: string,
  chunks: Iterable<string | Uint8Array>,
  mode: number,
  options: { readonly durable: boolean; readonly hooks?: ReplaceHooks | undefined },
): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await createTemporary(temporary, mode);
  try {
    // writeFile on a handle writes the whole chunk at the current position (write() may write part of it).
    for (const chunk of chunks) await handle.writeFile(chunk);
    if (options.durable) await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await options.hooks?.beforeRename?.(temporary, file);
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await options.hooks?.afterRename?.(file);
  if (options.durable) await syncDirectory(path.dirname(file));
}
