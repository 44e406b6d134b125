// The release's yaml-parse.ts: scripts/package.mjs bundles yaml-parse.ts (with
// the yaml package) on its own, as yaml-parse.cjs beside the program, and
// builds the program with this module in its place.
//
// Why: a module once imported stays in Node's module map for the life of the
// process, with its source, functions and tables. The daemon parses YAML at
// start, at a reload and when it connects to a cluster, and runs for months in
// between; the yaml package held ~0.6 MB of V8 heap for all that time (0.9 MB
// of RSS for the host-only daemon as the unit runs it, measured side by side
// with the release before this). Here each
// openYamlParser() compiles yaml-parse.cjs afresh and keeps no reference to it:
// once the caller drops the parser, it is garbage like any other object. The
// price is compiling ~160 KB of JavaScript per read: milliseconds, a few times
// a day at most.
import { readFileSync } from 'node:fs';
import { compileFunction } from 'node:vm';
import { builtinRequire } from './builtin-require.js';
import type { YamlParser } from './yaml-parse.js';

export type { YamlParse, YamlParseOptions, YamlParser } from './yaml-parse.js';

/** Its name beside the program (scripts/package.mjs writes it there). */
export const EVICTABLE_PARSER_FILE = 'yaml-parse.cjs';

/** A release that lacks the parser file, or one that is not ours: a broken install, not a config error. */
export class YamlParserMissingError extends Error {
  readonly code = 'EYAMLPARSER';
  constructor(file: string, reason: string) {
    super(`edge-telemetry is not installed whole: ${file}: ${reason}; reinstall the release`);
    this.name = 'YamlParserMissingError';
  }
}

/** Compiles and runs the CommonJS bundle at `file` and returns its parser; nothing is cached. */
export function loadYamlParser(file: URL): YamlParser {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    throw new YamlParserMissingError(
      file.pathname,
      (error as NodeJS.ErrnoException).code ?? 'unreadable',
    );
  }
  // CommonJS's own wrapper parameters; `require` serves the Node built-ins the bundle asks for (buffer, process), and nothing else.
  const factory = compileFunction(source, ['exports', 'require', 'module'], {
    filename: file.pathname,
  }) as (exports: unknown, require: NodeJS.Require, module: unknown) => void;
  const module: { exports: { openYamlParser?: unknown } } = { exports: {} };
  factory(module.exports, builtinRequire as NodeJS.Require, module);
  const open = module.exports.openYamlParser;
  if (typeof open !== 'function')
    throw new YamlParserMissingError(file.pathname, 'no openYamlParser in it');
  return (open as () => YamlParser)();
}

export function openYamlParser(): YamlParser {
  return loadYamlParser(new URL(`./${EVICTABLE_PARSER_FILE}`, import.meta.url));
}
