import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** A named pipe with no writer: opening it for reading without O_NONBLOCK would block forever. */
export async function mkfifo(file: string): Promise<void> {
  await promisify(execFile)('mkfifo', [file]);
}
