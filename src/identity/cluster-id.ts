import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { IdentityError } from './errors.js';

export const GENERATED_ID_FILE = 'cluster-id';

/**
 * The cluster id from clusterIdFile or, with none configured, an anonymous UUID
 * generated once and kept in dataDir so the backend sees one cluster across restarts.
 */
export async function resolveClusterId(clusterIdFile: string, dataDir: string): Promise<string> {
  if (clusterIdFile !== '') return readClusterId(clusterIdFile);
  const kept = path.join(dataDir, GENERATED_ID_FILE);
  try {
    return await readClusterId(kept);
  } catch (error) {
    if (!(error instanceof IdentityError) || !error.message.includes('not found')) throw error;
  }
  // node:crypto only on the first start: it is half a megabyte of a small daemon's memory.
  const { randomUUID } = await import('node:crypto');
  const id = randomUUID();
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    // Write-then-rename: a crash never leaves an empty id that would be an error on the next start.
    const temporary = `${kept}.${process.pid}.tmp`;
    await writeFile(temporary, id + '\n', { mode: 0o644 });
    await rename(temporary, kept);
  } catch (error) {
    throw new IdentityError('ECLUSTERID', `cannot keep the generated cluster id in ${kept}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return id;
}

async function readClusterId(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new IdentityError('ECLUSTERID', `cluster id file ${file}: ${code === 'ENOENT' ? 'not found' : `unreadable (${code ?? 'error'})`}`);
  }
  const id = text.trim();
  if (id === '') throw new IdentityError('ECLUSTERID', `cluster id file ${file}: empty`);
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(id)) {
    throw new IdentityError('ECLUSTERID', `cluster id file ${file}: not an id (expected up to 128 letters, digits, '.', '_' or '-')`);
  }
  return id;
}
