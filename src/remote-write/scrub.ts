// Pure: removes the credentials from text a receiver sent back (an error body,
// a Location header, a reason) before it reaches a log line. A receiver may
// echo the Authorization header raw, inside JSON, URL-encoded, base64-encoded
// again, or cut short by its own truncation, so every form is looked for, and
// any long enough piece of one: a 16-character run of the bearer's base64 is
// already most of a token. The text is scrubbed whole first and only then
// shortened, so a cut can never leave half a secret behind.

export const REDACTED = '<redacted>';

/** The longest reply text that goes into a log line. */
export const MAX_LOGGED_REPLY_CHARS = 1024;

/** A run of this many characters of any form of a secret is treated as the secret. */
export const FRAGMENT_CHARS = 16;

/** Shorter secrets than this are not looked for (they would match ordinary words). */
const MIN_SECRET_CHARS = 4;

/** A piece of a secret this long at the very end of the text (an echo cut short) goes too. */
const MIN_TAIL_CHARS = 8;

function base64Variants(text: string): string[] {
  return [text, text.replace(/\+/g, '-').replace(/\//g, '_')];
}

/**
 * base64 of `bytes` as it appears inside a longer base64 text, at each of the
 * three byte alignments: only the characters that depend on `bytes` alone.
 */
function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    cores.push(encoded.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6)));
  }
  return cores;
}

/** Every form in which `secret` may come back. */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>([secret]);
  const json = JSON.stringify(secret).slice(1, -1);
  forms.add(json);
  forms.add(json.replace(/\//g, '\\/'));
  forms.add(json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  const url = encodeURIComponent(secret);
  forms.add(url);
  forms.add(url.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()));
  forms.add(url.replace(/%20/g, '+'));
  const bytes = Buffer.from(secret, 'utf8');
  // A receiver that decodes our UTF-8 as Latin-1 (a Basic header decoded the old way) echoes each byte as a character.
  const latin1 = bytes.toString('latin1');
  if (latin1 !== secret) {
    forms.add(latin1);
    forms.add(JSON.stringify(latin1).slice(1, -1));
  }
  for (const variant of base64Variants(bytes.toString('base64'))) forms.add(variant);
  for (const core of base64Cores(bytes)) for (const variant of base64Variants(core)) forms.add(variant);
  return [...forms].filter((form) => form.length >= MIN_SECRET_CHARS);
}

/**
 * How short a run of `form` may be and still give a secret away: a piece of
 * a base64 bearer that covers the whole of a token inside it reveals the
 * token, however short the token is.
 */
function fragmentChars(form: string, secrets: readonly string[]): number {
  let chars = Math.min(FRAGMENT_CHARS, form.length);
  const decoded = /^[A-Za-z0-9+/_-]+=*$/.test(form) ? Buffer.from(form, 'base64') : undefined;
  if (decoded === undefined) return chars;
  for (const inner of secrets) {
    const innerBytes = Buffer.from(inner, 'utf8');
    const at = inner.length >= MIN_SECRET_CHARS ? decoded.indexOf(innerBytes) : -1;
    if (at === -1 || innerBytes.length === decoded.length) continue;
    const span = Math.ceil((8 * (at + innerBytes.length)) / 6) - Math.floor((8 * at) / 6);
    chars = Math.min(chars, span);
  }
  return chars;
}

/** Removes every form of each secret, then shortens the text to `maxChars`. */
export function scrubSecrets(text: string, secrets: readonly string[], maxChars = MAX_LOGGED_REPLY_CHARS): string {
  const grams = new Map<number, Set<string>>();
  const forms: string[] = [];
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_CHARS) continue;
    for (const form of secretForms(secret)) {
      forms.push(form);
      const size = fragmentChars(form, secrets);
      const set = grams.get(size) ?? new Set<string>();
      for (let start = 0; start + size <= form.length; start++) set.add(form.slice(start, start + size));
      grams.set(size, set);
    }
  }
  // Mark every character inside a run of some form, then cut the marked runs out.
  const covered = new Uint8Array(text.length);
  for (const [size, set] of grams) {
    for (let start = 0; start + size <= text.length; start++) {
      if (set.has(text.slice(start, start + size))) covered.fill(1, start, start + size);
    }
  }
  // An echo cut short at the end: the text ends with the start of a form.
  for (const form of forms) {
    for (let length = Math.min(form.length, text.length); length >= MIN_TAIL_CHARS; length--) {
      if (text.endsWith(form.slice(0, length))) {
        covered.fill(1, text.length - length);
        break;
      }
    }
  }
  let out = '';
  for (let index = 0; index < text.length; index++) {
    if (covered[index] === 0) out += text.charAt(index);
    else if (index === 0 || covered[index - 1] === 0) out += REDACTED;
  }
  return out.length > maxChars ? `${out.slice(0, maxChars)}…(truncated)` : out;
}
