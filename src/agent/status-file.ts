// What the running daemon last did, kept in dataDir/status.json so that
// `edge-telemetry status` can tell an admin while the daemon runs (or after it
// stopped) without talking to it. Written whole to a temporary file and renamed
// over the old one: a reader never sees half a file.
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

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

/** Never hangs on a FIFO (O_NONBLOCK) and never reads more than MAX_STATUS_BYTES. */
export async function readStatus(dataDir: string): Promise<StatusRead> {
  const file = path.join(dataDir, STATUS_FILE);
  let text: string;
  try {
    const { constants } = await import('node:fs');
    const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const info = await handle.stat();
      if (!info.isFile()) return { kind: 'unreadable', reason: `${file} is not a regular file` };
      if (info.size > MAX_STATUS_BYTES) return { kind: 'unreadable', reason: `${file} is larger than ${MAX_STATUS_BYTES} bytes` };
      const buffer = Buffer.alloc(MAX_STATUS_BYTES + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      text = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'unreadable', reason: `${file}: ${code ?? (error as Error).message}` };
  }
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
