import { FILE_READ_TIMEOUT_MS, readBoundedFile } from './bounded-file.js';

export const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';

/** This boot's id, or undefined where the kernel does not say (then nothing kept for "this boot" is trusted). */
export async function readBootId(file = BOOT_ID_FILE): Promise<string | undefined> {
  const read = await readBoundedFile(file, { maxBytes: 256, timeoutMs: FILE_READ_TIMEOUT_MS });
  if (!read.ok) return undefined;
  const id = read.text.trim();
  return /^[0-9a-f-]{8,64}$/i.test(id) ? id : undefined;
}
