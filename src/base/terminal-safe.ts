// Text from outside (a receiver's reply, a host's os-release, a plugin's
// output) reaches an admin's terminal through `status`, `show` and the log.
// Control characters there are commands to the terminal: an escape sequence
// in a 500 body can clear the screen, retitle the window or hide the lines
// above it, and bidirectional overrides can make a line read other than it
// is. Each is written as its escape (\x1b, \u202e) instead, visible and inert.
// Tab stays; so does the newline where a caller keeps its lines.

/** C0 controls but tab and newline, DEL, C1 controls, and the bidirectional marks and overrides. */
const UNSAFE_CLASS =
  '\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
const UNSAFE = new RegExp(`[${UNSAFE_CLASS}]`, 'g');
/** The same and the newline, for text that must stay one line. */
const UNSAFE_OR_NEWLINE = new RegExp(`[${UNSAFE_CLASS}\\n]`, 'g');

const escaped = (character: string): string => {
  const code = character.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** `text` with every control character escaped; newlines kept (multi-line output). */
export function terminalSafeLines(text: string): string {
  return text.replace(UNSAFE, escaped);
}

/** `text` as one line: control characters and newlines escaped. */
export function terminalSafeLine(text: string): string {
  return text.replace(UNSAFE_OR_NEWLINE, escaped);
}
