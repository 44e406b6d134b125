import { FILE_READ_TIMEOUT_MS, KIB, readBoundedFile } from '../base/bounded-file.js';
import { IdentityError } from '../identity/errors.js';

export const TELEMETRY_REGISTRY = 'cloud.openshift.com';
/** A pull secret with a dozen registries is a few KiB; a MiB is not a pull secret. */
export const MAX_PULL_SECRET_BYTES = 1024 * KIB;

/**
 * The telemetry token: `auths["cloud.openshift.com"].auth` of the pull secret.
 * Pure; errors say which part is missing and never quote the file's content.
 */
export function parsePullSecret(text: string, file: string): string {
  const fail = (what: string): never => {
    throw new IdentityError('EPULLSECRET_MALFORMED', `pull secret ${file}: ${what}`);
  };
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return fail('not valid JSON');
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    return fail('not a JSON object');
  const auths = (document as Record<string, unknown>).auths;
  if (auths === undefined) return fail('no "auths" key');
  if (typeof auths !== 'object' || auths === null || Array.isArray(auths))
    return fail('"auths" is not an object');
  const registry = (auths as Record<string, unknown>)[TELEMETRY_REGISTRY];
  if (registry === undefined) return fail(`no "${TELEMETRY_REGISTRY}" entry in "auths"`);
  if (typeof registry !== 'object' || registry === null)
    return fail(`"auths.${TELEMETRY_REGISTRY}" is not an object`);
  const auth = (registry as Record<string, unknown>).auth;
  if (auth === undefined) return fail(`no "auth" in "auths.${TELEMETRY_REGISTRY}"`);
  if (typeof auth !== 'string' || auth.trim() === '')
    return fail(`"auths.${TELEMETRY_REGISTRY}.auth" is empty or not a string`);
  return auth.trim();
}

/** Read at every send: the pull secret can be rotated while the daemon runs. */
export async function readPullSecretToken(file: string): Promise<string> {
  const read = await readBoundedFile(file, {
    maxBytes: MAX_PULL_SECRET_BYTES,
    timeoutMs: FILE_READ_TIMEOUT_MS,
  });
  if (!read.ok) {
    const code = read.error.code === 'ENOENT' ? 'EPULLSECRET_MISSING' : 'EPULLSECRET_UNREADABLE';
    throw new IdentityError(code, `pull secret ${read.error.message}`);
  }
  return parsePullSecret(read.text, file);
}
