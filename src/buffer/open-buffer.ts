// Builds the buffer the config asks for. Failures are values with codes; the
// command turns them into the one-line config error.
import { makeDirectories } from '../base/fs-async.js';
import path from 'node:path';
import type { Logger } from '../base/log.js';
import { lockDataDir } from './data-dir-lock.js';
import { BUFFER_SUBDIR, DiskSampleBuffer } from './disk-buffer.js';
import { MemorySampleBuffer } from './memory-buffer.js';
import type { BufferBounds, SampleBuffer } from './sample-buffer.js';
import { CursorFiles, MemoryCursorStore, type CursorStore } from './cursor-files.js';

export type BufferKind = 'disk' | 'memory';

export type OpenedBuffer =
  | {
      readonly kind: 'ok';
      readonly buffer: SampleBuffer;
      /** Where each destination's cursor is kept: beside the segments, or in memory with the buffer. */
      readonly cursors: CursorStore;
      /** Closes the buffer and releases dataDir's lock, or hands it to `handTo` (the launcher). */
      readonly release: (handTo?: number) => Promise<void>;
    }
  | { readonly kind: 'busy'; readonly pid: number }
  | { readonly kind: 'unwritable'; readonly code: string };

export async function openBuffer(
  kind: BufferKind,
  dataDir: string,
  bounds: BufferBounds,
  log: Logger,
  /** The launcher that holds dataDir's lock for this process while no Node.js runs. */
  heirOf?: number,
): Promise<OpenedBuffer> {
  if (kind === 'memory')
    return {
      kind: 'ok',
      buffer: new MemorySampleBuffer(bounds),
      cursors: new MemoryCursorStore(),
      release: async () => undefined,
    };
  try {
    await makeDirectories(dataDir, 0o755);
  } catch (error) {
    return { kind: 'unwritable', code: (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN' };
  }
  const lock = await lockDataDir(dataDir, undefined, undefined, heirOf);
  if (lock.kind === 'busy') return { kind: 'busy', pid: lock.pid };
  if (lock.kind === 'error') return { kind: 'unwritable', code: lock.code };
  try {
    const dir = path.join(dataDir, BUFFER_SUBDIR);
    const buffer = await DiskSampleBuffer.open({ dir, bounds, log });
    return {
      kind: 'ok',
      buffer,
      cursors: new CursorFiles(dir, log),
      release: async (handTo?: number) => {
        await buffer.close().catch(() => undefined);
        await lock.release(handTo);
      },
    };
  } catch (error) {
    await lock.release();
    return { kind: 'unwritable', code: (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN' };
  }
}
