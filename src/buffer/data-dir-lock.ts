// One daemon per dataDir: a lock file holding the owner's pid and the start
// time the kernel gives that process (field 22 of /proc/<pid>/stat), so a lock
// left by a dead daemon is recognised even when its pid has been reused.
import { constants } from 'node:fs';
import { open, readFile, unlink } from '../base/fs-async.js';
import { replaceFile } from '../base/durable-file.js';
import path from 'node:path';

export const LOCK_FILE = 'edge-telemetry.lock';
const MAX_LOCK_BYTES = 256;

export type LockResult =
  | {
      readonly kind: 'locked';
      /** Removes the lock, or hands it to `handTo` (the launcher, while no Node.js runs). */
      release(handTo?: number): Promise<void>;
    }
  | { readonly kind: 'busy'; readonly pid: number }
  | { readonly kind: 'error'; readonly code: string };

export interface ProcessTable {
  /** Whether a process with this pid exists. */
  alive(pid: number): boolean;
  /** Its start time in clock ticks since boot; undefined when unknown (no /proc). */
  startTime(pid: number): Promise<string | undefined>;
}

/** Pure: the start time from a /proc/<pid>/stat line (the command may hold spaces and parentheses). */
export function parseStartTime(stat: string): string | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the command start at field 3 (state); start time is field 22.
  const value = fields[22 - 3];
  return value !== undefined && /^\d+$/.test(value) ? value : undefined;
}

export const realProcesses: ProcessTable = {
  alive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
  async startTime(pid) {
    try {
      return parseStartTime(await readFile(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return undefined;
    }
  },
};

function parseLock(text: string): { pid: number; startTime: string | undefined } | undefined {
  const match = /^(\d+)(?: (\d+|-))?\n?$/.exec(text);
  if (match === null) return undefined;
  return {
    pid: Number(match[1]),
    startTime: match[2] === undefined || match[2] === '-' ? undefined : match[2],
  };
}

async function readLock(file: string): Promise<string | undefined> {
  try {
    const handle = await open(
      file,
      constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW,
    );
    try {
      const bytes = Buffer.alloc(MAX_LOCK_BYTES);
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, 0);
      return bytes.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

/** The lock as `content` says (this process's, or the launcher's that holds it for this one). */
function held(file: string, content: string, processes: ProcessTable): LockResult {
  return {
    kind: 'locked',
    async release(handTo?: number) {
      // Only the lock as taken: never one a later daemon took over.
      if ((await readLock(file)) !== content) return;
      if (handTo === undefined) {
        await unlink(file).catch(() => undefined);
        return;
      }
      // Exiting to wait: the launcher holds it until the next process takes it over.
      const handed = `${handTo} ${(await processes.startTime(handTo)) ?? '-'}\n`;
      if (handed !== content) await replaceFile(file, [handed], 0o644, { durable: false });
    },
  };
}

/** Takes dataDir's lock for this process, or says who holds it. */
export async function lockDataDir(
  dataDir: string,
  processes: ProcessTable = realProcesses,
  pid: number = process.pid,
  /** The launcher that held the lock for this process while no Node.js ran (launcher-wake.ts): taken over. */
  heirOf?: number,
): Promise<LockResult> {
  const file = path.join(dataDir, LOCK_FILE);
  const content = `${pid} ${(await processes.startTime(pid)) ?? '-'}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(
        file,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        0o644,
      );
      try {
        await handle.writeFile(content);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return held(file, content, processes);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
      if (code !== 'EEXIST') return { kind: 'error', code };
    }
    const text = (await readLock(file)) ?? '';
    const holder = parseLock(text);
    if (holder !== undefined && heirOf !== undefined && holder.pid === heirOf) {
      // The launcher held it for this process while no Node.js ran: taken over in one rename, so
      // that at no moment is there no lock for another daemon to take.
      try {
        await replaceFile(file, [content], 0o644, { durable: true });
        return held(file, content, processes);
      } catch {
        // dataDir refuses writes (a read-only remount while the service waited, a full disk): the
        // launcher, this process's parent and the service's MainPID, goes on holding it for this
        // one, as it did while it waited. The buffer then holds samples in memory as a resident
        // daemon's does when the disk refuses writes; a config error here would stop the unit
        // for good (exit 2) over a disk that may come back.
        // Unless the rename was made and only what follows it failed (the directory's fsync): then it is ours.
        return held(file, (await readLock(file)) === content ? content : text, processes);
      }
    }
    // The heir's lock was taken over above: any other live holder is another daemon.
    if (holder !== undefined && processes.alive(holder.pid)) {
      const startTime =
        holder.startTime === undefined ? undefined : await processes.startTime(holder.pid);
      // Same pid, same start time (or no way to tell): the holder is running.
      if (
        holder.startTime === undefined ||
        startTime === undefined ||
        startTime === holder.startTime
      )
        return { kind: 'busy', pid: holder.pid };
    }
    // Left by a process that is gone (or unreadable): stale.
    await unlink(file).catch(() => undefined);
  }
  return { kind: 'error', code: 'ELOCKRACE' };
}
