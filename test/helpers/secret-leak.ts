import { secretForms } from '../../src/remote-write/scrub.js';

/**
 * Any 16-character run (or the whole, when shorter) of any form of any secret
 * (as sent, base64, URL-encoded, JSON-quoted: scrub.ts's secretForms) found in
 * `text`, or undefined.
 */
export function leak(text: string, secrets: readonly string[]): string | undefined {
  for (const secret of secrets) {
    for (const form of [secret, ...secretForms(secret)]) {
      const size = Math.min(16, form.length);
      for (let start = 0; start + size <= form.length; start++) {
        const piece = form.slice(start, start + size);
        if (text.includes(piece)) return piece;
      }
    }
  }
  return undefined;
}
