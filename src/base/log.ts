// One line per event on stderr. journald reads the `<N>` priority prefix
// (sd-daemon(3)) when the daemon runs under systemd; on a terminal it is
// still readable. Nothing here knows about secrets: callers never pass them.
// Control characters from outside are escaped (terminal-safe.ts), so a line
// stays one line and a journalctl reader's terminal obeys none of them.
import { terminalSafeLine } from './terminal-safe.js';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const SYSLOG_PRIORITY: Record<LogLevel, number> = { error: 3, warn: 4, info: 6, debug: 7 };

export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
}

/** `key=value` pairs, quoted when they hold spaces or quotes, so a line stays one line. */
export function formatFields(fields: LogFields | undefined): string {
  if (fields === undefined) return '';
  let out = '';
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const text = String(value);
    // Quoted, JSON's escapes cover C0 (ESC is \u001b); the rest (DEL, C1, bidirectional marks) is escaped after.
    out += ` ${key}=${terminalSafeLine(/[\s"=]/.test(text) || text === '' ? JSON.stringify(text) : text)}`;
  }
  return out;
}

export function formatLine(level: LogLevel, message: string, fields?: LogFields): string {
  // Newlines inside a message would split one event into several journal entries.
  const flat = terminalSafeLine(message.replace(/[\r\n]+/g, ' '));
  return `<${SYSLOG_PRIORITY[level]}>${level}: ${flat}${formatFields(fields)}`;
}

export function createLogger(
  minimum: LogLevel,
  write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): Logger {
  const threshold = LOG_LEVELS.indexOf(minimum);
  const at = (level: LogLevel) => (message: string, fields?: LogFields) => {
    if (LOG_LEVELS.indexOf(level) <= threshold) write(formatLine(level, message, fields));
  };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

export const silentLogger: Logger = { error() {}, warn() {}, info() {}, debug() {} };

/** A logger that adds `fields` after each line's own (which destination a send line is about). */
export function withFields(log: Logger, fields: LogFields): Logger {
  const at =
    (level: LogLevel) =>
    (message: string, own?: LogFields): void =>
      log[level](message, { ...own, ...fields });
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}
