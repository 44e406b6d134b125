// Pure: removes the credentials from text a receiver sent back (an error body,
// a Location header, a reason) before it reaches a log line. A receiver may
// echo the Authorization header raw, inside JSON, URL-encoded, base64-encoded
// again, hex-encoded, as UTF-16 read as UTF-8, as HTML entities, lower- or
// upper-cased, wrapped over lines, or cut short by its own truncation, so
// every form is looked for, case aside and line breaks skipped, and any long
// enough piece of one: a 16-character run of the bearer's base64 is already
// most of a token. The text is scrubbed whole first and only then shortened,
// so a cut can never leave half a secret behind.

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
    cores.push(
      encoded.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6)),
    );
  }
  return cores;
}

/** `text` as HTML escapes it: the five specials, or every character as a decimal or hex reference. */
function htmlForms(text: string): string[] {
  // Code points, as a receiver's encoder walks them (a pair of surrogates is one reference).
  // eslint-disable-next-line @typescript-eslint/no-misused-spread -- code points are what HTML numbers
  const chars = [...text];
  const special: Record<string, string> = {
    '&': '&amp;',
    '<': '&lt;',
    '>': '&gt;',
    '"': '&quot;',
    "'": '&#39;',
  };
  return [
    chars.map((c) => special[c] ?? c).join(''),
    chars.map((c) => `&#${c.codePointAt(0) ?? 0};`).join(''),
    chars.map((c) => `&#x${(c.codePointAt(0) ?? 0).toString(16)};`).join(''),
  ];
}

/** Every form in which `secret` may come back. */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>([secret]);
  const json = JSON.stringify(secret).slice(1, -1);
  forms.add(json);
  forms.add(json.replace(/\//g, '\\/'));
  forms.add(
    json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  );
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
  // Hex of the bytes (case is ignored when matching).
  forms.add(bytes.toString('hex'));
  // UTF-16 read back as UTF-8 or Latin-1: each character beside a NUL, either order; and JSON's escape of that NUL.
  const utf16le = Buffer.from(secret, 'utf16le').toString('latin1');
  const utf16be = Buffer.from(secret, 'utf16le').swap16().toString('latin1');
  for (const form of [utf16le, utf16be]) {
    forms.add(form);
    forms.add(JSON.stringify(form).slice(1, -1));
  }
  for (const form of htmlForms(secret)) forms.add(form);
  for (const variant of base64Variants(bytes.toString('base64'))) forms.add(variant);
  for (const core of base64Cores(bytes))
    for (const variant of base64Variants(core)) forms.add(variant);
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

/** Case folded one code unit for one, so positions stay where they were. */
function folded(text: string): string {
  let out = '';
  for (const c of text) {
    const lower = c.toLowerCase();
    out += lower.length === c.length ? lower : c;
  }
  return out;
}

/** Line breaks a receiver may wrap an echo with: CR and LF, and JSON's two-character \r and \n for them. */
const LINE_BREAK = /\r|\n|\\r|\\n/g;

/** `text` without its line breaks, folded, and where each of its characters was in `text`. */
function matchView(text: string): { readonly view: string; readonly at: readonly number[] } {
  let view = '';
  const at: number[] = [];
  let from = 0;
  const keep = (end: number) => {
    for (let index = from; index < end; index++) at.push(index);
    view += text.slice(from, end);
  };
  for (const match of text.matchAll(LINE_BREAK)) {
    keep(match.index);
    from = match.index + match[0].length;
  }
  keep(text.length);
  return { view: folded(view), at };
}

/** Removes every form of each secret, then shortens the text to `maxChars`. */
export function scrubSecrets(
  text: string,
  secrets: readonly string[],
  maxChars = MAX_LOGGED_REPLY_CHARS,
): string {
  const grams = new Map<number, Set<string>>();
  const forms: string[] = [];
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_CHARS) continue;
    for (const raw of secretForms(secret)) {
      const form = folded(raw);
      forms.push(form);
      // A form several times the secret's length (hex, UTF-16, entities) gives away as much in that many times the run.
      const size = Math.min(
        form.length,
        fragmentChars(raw, secrets) * Math.max(1, Math.floor(form.length / secret.length)),
      );
      const set = grams.get(size) ?? new Set<string>();
      for (let start = 0; start + size <= form.length; start++)
        set.add(form.slice(start, start + size));
      grams.set(size, set);
    }
  }
  // Mark every character inside a run of some form (line breaks inside it too), then cut the marked runs out.
  const { view, at } = matchView(text);
  const covered = new Uint8Array(text.length);
  const cover = (start: number, end: number) =>
    covered.fill(1, at[start] ?? text.length, (at[end - 1] ?? text.length - 1) + 1);
  for (const [size, set] of grams) {
    for (let start = 0; start + size <= view.length; start++) {
      if (set.has(view.slice(start, start + size))) cover(start, start + size);
    }
  }
  // An echo cut short at the end: the text ends with the start of a form.
  for (const form of forms) {
    for (let length = Math.min(form.length, view.length); length >= MIN_TAIL_CHARS; length--) {
      if (view.endsWith(form.slice(0, length))) {
        cover(view.length - length, view.length);
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
