import { makeDirectories } from '../base/fs-async.js';
import { writeFileDurably } from '../base/durable-file.js';
import { lazyCrypto } from '../base/lazy-builtins.js';
import path from 'node:path';
import { FILE_READ_TIMEOUT_MS, KIB, readBoundedFile } from '../base/bounded-file.js';
import { IdentityError } from './errors.js';

export const GENERATED_ID_FILE = 'cluster-id';
/** An id is at most 128 characters; a file much larger is not an id file. */
export const MAX_CLUSTER_ID_BYTES = 4 * KIB;

export type ClusterIdRead =
  | { readonly kind: 'ok'; readonly id: string }
  | { readonly kind: 'error'; readonly error: IdentityError };

const ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/** Pure: the id in a cluster id file's text, or why it is not one. */
export function parseClusterId(text: string, file: string): ClusterIdRead {
  const id = text.trim();
  if (id === '')
    return {
      kind: 'error',
      error: new IdentityError('ECLUSTERID_EMPTY', `cluster id file ${file}: empty`),
    };
  if (!ID_PATTERN.test(id)) {
    return {
      kind: 'error',
      error: new IdentityError(
        'ECLUSTERID_MALFORMED',
        `cluster id file ${file}: not an id (expected up to 128 letters, digits, '.', '_' or '-')`,
      ),
    };
  }
  return { kind: 'ok', id };
}

/** Never quotes the file's content: whatever is there, it was not meant for a log. */
export async function readClusterIdFile(file: string): Promise<ClusterIdRead> {
  const read = await readBoundedFile(file, {
    maxBytes: MAX_CLUSTER_ID_BYTES,
    timeoutMs: FILE_READ_TIMEOUT_MS,
  });
  if (!read.ok) {
    const code = read.error.code === 'ENOENT' ? 'ECLUSTERID_MISSING' : 'ECLUSTERID_UNREADABLE';
    return {
      kind: 'error',
      error: new IdentityError(code, `cluster id file ${read.error.message}`),
    };
  }
  return parseClusterId(read.text, file);
}

/**
 * The cluster id from clusterIdFile or, with none configured, an anonymous UUID
 * generated once and kept in dataDir so the backend sees one cluster across restarts.
 * A configured file that does not exist is ECLUSTERID_MISSING: the caller decides whether to wait.
 */
export async function resolveClusterId(
  clusterIdFile: string,
  dataDir: string,
): Promise<ClusterIdRead> {
  if (clusterIdFile !== '') return readClusterIdFile(clusterIdFile);
  const kept = path.join(dataDir, GENERATED_ID_FILE);
  const existing = await readClusterIdFile(kept);
  if (existing.kind === 'ok' || existing.error.code !== 'ECLUSTERID_MISSING') return existing;
  // node:crypto only on the first start: it is half a megabyte of a small daemon's memory.
  const { randomUUID } = lazyCrypto();
  const id = randomUUID();
  try {
    await makeDirectories(dataDir, 0o700);
    // Durably (fsync, rename, fsync of dataDir): a power cut never leaves an empty id, an error at the next start.
    await writeFileDurably(kept, [id + '\n'], 0o644);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    return {
      kind: 'error',
      error: new IdentityError(
        'ECLUSTERID_KEEP',
        `cannot keep the generated cluster id in ${kept}: ${code}`,
      ),
    };
  }
  return { kind: 'ok', id };
}

/**
 * What `check-config`, a start and a reload agree on: a configured file that
 * exists must hold an id (else IdentityError, exit 2); one that does not exist
 * yet is 'missing', which the daemon waits for. Never writes anything.
 */
export async function checkClusterIdFile(
  clusterIdFile: string,
): Promise<'ok' | 'missing' | 'generated'> {
  if (clusterIdFile === '') return 'generated';
  const read = await readClusterIdFile(clusterIdFile);
  if (read.kind === 'ok') return 'ok';
  if (read.error.code === 'ECLUSTERID_MISSING') return 'missing';
  throw read.error;
}
