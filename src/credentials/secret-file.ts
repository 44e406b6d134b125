// A credentials or password file (telemetry.auth): read at every send, since
// secrets rotate; bounded and with a deadline, as every file we read; refused
// when others may read or write it, as a secret others can read is no longer
// one (and one others can write lets them choose where our data goes).
import { FILE_READ_TIMEOUT_MS, KIB, readBoundedFile } from '../base/bounded-file.js';

/** A token or password is tens of bytes; a JWT a few KiB. */
export const MAX_SECRET_FILE_BYTES = 64 * KIB;

export type SecretFileCode =
  'ESECRET_MISSING' | 'ESECRET_UNREADABLE' | 'ESECRET_MODE' | 'ESECRET_EMPTY' | 'ESECRET_MALFORMED';

/** `reason` is "<file>: <what is wrong>" and never holds the file's content. */
export type SecretRead =
  | { readonly ok: true; readonly secret: string }
  | { readonly ok: false; readonly code: SecretFileCode; readonly reason: string };

/** Permission bits that let users other than the owner and group read or write the file. */
const OTHERS_READ_WRITE = 0o006;

/**
 * The secret: the file's text without its trailing newline(s). `headerSafe`:
 * it goes into a header as is (a bearer token), so only printable ASCII.
 */
export async function readSecretFile(
  file: string,
  options: { readonly headerSafe: boolean },
): Promise<SecretRead> {
  const read = await readBoundedFile(file, {
    maxBytes: MAX_SECRET_FILE_BYTES,
    timeoutMs: FILE_READ_TIMEOUT_MS,
  });
  if (!read.ok)
    return {
      ok: false,
      code: read.error.code === 'ENOENT' ? 'ESECRET_MISSING' : 'ESECRET_UNREADABLE',
      reason: read.error.message,
    };
  if ((read.mode & OTHERS_READ_WRITE) !== 0) {
    const mode = read.mode.toString(8).padStart(4, '0');
    return {
      ok: false,
      code: 'ESECRET_MODE',
      reason: `${file}: readable or writable by others (mode ${mode}); chmod 0600 ${file}`,
    };
  }
  const secret = read.text.replace(/[\r\n]+$/, '');
  if (secret === '') return { ok: false, code: 'ESECRET_EMPTY', reason: `${file}: empty` };
  // Blanks alone are no secret anyone chose: an editor's leftover, which would go out as an empty token.
  if (secret.trim() === '')
    return { ok: false, code: 'ESECRET_EMPTY', reason: `${file}: empty (only blanks)` };
  // A line break inside would end the header early (or be refused by Node); a control character is no secret anyone typed.
  const allowed = options.headerSafe ? /^[\x20-\x7e]+$/ : /^[^\p{Cc}]+$/u;
  if (!allowed.test(secret)) {
    return {
      ok: false,
      code: 'ESECRET_MALFORMED',
      reason: `${file}: holds more than one line or characters ${options.headerSafe ? 'a header cannot carry (only printable ASCII)' : 'that are not printable'}`,
    };
  }
  return { ok: true, secret };
}
