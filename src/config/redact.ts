// What a config error or `check-config` may repeat of a value: credentials in a
// URL are redacted.
export const REDACTED = 'REDACTED';

/**
 * The config holds no secret itself (tokens and passwords live in files), but a
 * URL may carry credentials: `user:password@` keeps the user, a lone `token@`
 * (no password) may be the secret itself and goes whole, and each query
 * parameter keeps its name only (some receivers take `?api_key=`).
 */
export function redactUrl(value: string): string {
  if (value === '') return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return redactCredentials(value);
  }
  if (url.password !== '') url.password = REDACTED;
  else if (url.username !== '') url.username = REDACTED;
  for (const name of new Set(url.searchParams.keys())) url.searchParams.set(name, REDACTED);
  return url.toString();
}

/**
 * For text that is not a valid URL (a rejected value, echoed in an error):
 * every `scheme://userinfo@` in it loses its secret part. The userinfo ends at
 * the last '@' before the host, as in a URL parser, so a password holding '@'
 * or ':' is hidden whole.
 */
export function redactCredentials(text: string): string {
  return text.replace(/(\/\/)([^/?#\s]*)@/g, (_match, slashes: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return `${slashes}${colon === -1 ? REDACTED : `${userinfo.slice(0, colon)}:${REDACTED}`}@`;
  });
}

/** A value quoted in a config error: JSON-quoted, credentials redacted. */
export function quoteValue(value: unknown): string {
  // JSON.stringify gives undefined for undefined and functions, whatever its declared type says.
  const text = (JSON.stringify(value) as string | undefined) ?? String(value);
  return redactCredentials(text);
}
