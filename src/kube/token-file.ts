// A bearer token kept in a file that something else rotates: the kubelet
// rewrites a service account's projected token well before it expires (1 h
// by default), and tokenFile users are refreshed the same way. Read again when
// the copy in hand is older than a minute, as client-go does.
import { MAX_CREDENTIAL_FILE_BYTES, readSmallFile } from './small-file.js';
import { KubeconfigError, type Loaded } from './kubeconfig-error.js';

export const TOKEN_FILE_MAX_AGE_MS = 60_000;

export type TokenSource = () => Promise<Loaded<string>>;

export function fileTokenSource(
  file: string,
  nowMs: () => number = Date.now,
  maxAgeMs: number = TOKEN_FILE_MAX_AGE_MS,
): TokenSource {
  let cached: { token: string; readAtMs: number } | undefined;
  return async () => {
    const now = nowMs();
    if (cached !== undefined && now - cached.readAtMs < maxAgeMs && now >= cached.readAtMs)
      return { ok: true, value: cached.token };
    const read = await readSmallFile(file, MAX_CREDENTIAL_FILE_BYTES);
    // A failed read is not cached: the next request tries the file again.
    if (!read.ok) return read;
    const token = read.value.trim();
    if (token === '')
      return {
        ok: false,
        error: new KubeconfigError('EKUBECONFIGREAD', file, 'token file is empty'),
      };
    if (/[\r\n]/.test(token))
      return {
        ok: false,
        error: new KubeconfigError('EKUBECONFIGREAD', file, 'token file holds more than one line'),
      };
    cached = { token, readAtMs: now };
    return { ok: true, value: token };
  };
}
