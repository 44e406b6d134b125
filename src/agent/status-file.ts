// What the running daemon last did, kept in dataDir/status.json so that
// `edge-telemetry status` can tell an admin while the daemon runs (or after it
// stopped) without talking to it. Written whole to a temporary file and renamed
// over the old one: a reader never sees half a file.
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { FILE_READ_TIMEOUT_MS, readBoundedFile } from '../bounded-file.js';

export const STATUS_FILE = 'status.json';
/** Far larger than any status this daemon writes: a bigger file is not ours. */
const MAX_STATUS_BYTES = 64 * 1024;

export type DropReason = 'full' | 'age' | 'corrupt' | 'rejected' | 'oversized';

export interface BufferStatus {
  readonly kind: 'disk' | 'memory';
  readonly samples: number;
  readonly bytesOnDisk: number;
  readonly oldestSampleMs: number | undefined;
  readonly dropped: Readonly<Partial<Record<DropReason, number>>>;
}

export interface DaemonStatus {
  readonly format: 1;
  readonly pid: number;
  readonly startedAtMs: number;
  readonly updatedAtMs: number;
  readonly endpoint: string;
  readonly lastSuccess: { readonly atMs: number; readonly requests: number; readonly samples: number } | undefined;
  /** Already scrubbed of secrets by whoever recorded it. */
  readonly lastError: { readonly atMs: number; readonly reason: string } | undefined;
  readonly nextSendAtMs: number | undefined;
  readonly buffer: BufferStatus;
}

export async function writeStatus(dataDir: string, status: DaemonStatus): Promise<void> {
  const file = path.join(dataDir, STATUS_FILE);
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w', 0o644);
  try {
    await handle.writeFile(JSON.stringify(status) + '\n');
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

export type StatusRead =
  | { readonly kind: 'ok'; readonly status: DaemonStatus }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unreadable'; readonly reason: string };

/** Never hangs on a FIFO and never reads more than MAX_STATUS_BYTES (readBoundedFile). */
export async function readStatus(dataDir: string): Promise<StatusRead> {
  const file = path.join(dataDir, STATUS_FILE);
  const read = await readBoundedFile(file, { maxBytes: MAX_STATUS_BYTES, timeoutMs: FILE_READ_TIMEOUT_MS });
  if (!read.ok) return read.error.code === 'ENOENT' ? { kind: 'missing' } : { kind: 'unreadable', reason: read.error.message };
  const text = read.text;
  try {
    const parsed = JSON.parse(text) as Partial<DaemonStatus>;
    if (parsed.format !== 1 || typeof parsed.pid !== 'number' || typeof parsed.buffer !== 'object') {
      return { kind: 'unreadable', reason: `${file}: not a status this version writes` };
    }
    return { kind: 'ok', status: parsed as DaemonStatus };
  } catch {
    return { kind: 'unreadable', reason: `${file}: not JSON` };
  }
}
