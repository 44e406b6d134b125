// Reads the config file and its drop-ins. The only I/O of config/.
//
// Two kinds of file:
// - ours (/etc/edge-telemetry/telemetry.yaml): only `telemetry:` at the top,
//   drop-ins in telemetry.d/*.yaml beside it;
// - a MicroShift config (/etc/microshift/config.yaml, or any file with other
//   top-level sections): drop-ins in config.d/ beside it, found as MicroShift
//   finds them (pkg/config/files.go), so an opt-out written the MicroShift way
//   is honoured.
// Either way drop-ins are RFC 7386 merge patches applied in lexical order, but
// for an empty telemetry: in one, which changes nothing (withoutEmptySection).
import type { Dirent } from 'node:fs';
import { readdir, readdirEntries } from '../base/fs-async.js';
import path from 'node:path';
import { FILE_READ_TIMEOUT_MS, KIB, readBoundedFile } from '../base/bounded-file.js';
import { ConfigError } from './errors.js';
import { redactCredentials } from './redact.js';
import { applyMergePatch, isPlainObject, patchedPaths, type JsonObject } from './merge-patch.js';
import { TELEMETRY_KEYS, validateTelemetry, type Config } from './schema.js';
import { checkTopLevel, TELEMETRY_SECTION } from './top-level.js';
import { openYamlParser, type YamlParser } from '../base/yaml-parse.js';

export const DEFAULT_CONFIG_FILE = '/etc/edge-telemetry/telemetry.yaml';
export const DROP_IN_DIR = 'telemetry.d';
export const MICROSHIFT_CONFIG_FILE = '/etc/microshift/config.yaml';
export const MICROSHIFT_DROP_IN_DIR = 'config.d';
/** MicroShift's config with every section set is ~5 KiB; a MiB is not a config. */
export const MAX_CONFIG_BYTES = 1024 * KIB;
/** More drop-ins than this is a runaway generator, not an admin. */
export const MAX_DROP_INS = 1000;

function parseYaml(yaml: YamlParser, text: string, file: string): unknown {
  const parsed = yaml.parse(text, { prettyErrors: true });
  if (parsed.ok) return parsed.value ?? {};
  if (parsed.kind === 'syntax') {
    const position = parsed.line === undefined ? '' : `:${parsed.line}:${parsed.col ?? 0}`;
    // Only the first line (the rest quotes the source) and never what follows
    // "reason: " (a tag or alias name), since the source may hold a proxy password.
    const firstLine = (parsed.message.split('\n')[0] ?? 'invalid YAML').replace(
      / at line \d+, column \d+.*$/,
      '',
    );
    throw new ConfigError(
      `${file}${position}`,
      '',
      `YAML syntax error: ${redactCredentials(firstLine.replace(/: .*$/, ''))}`,
    );
  }
  // Only aliases fail to convert: one with no anchor, whose message quotes the
  // alias name, or an alias bomb. Neither message is echoed.
  throw new ConfigError(
    file,
    '',
    'YAML error: an alias (*name) with no anchor (&name) before it, or more than 100 aliases',
  );
}

/** The file's text; undefined only when it does not exist and `missingIsEmpty`. */
async function readText(file: string, missingIsEmpty = false): Promise<string | undefined> {
  const read = await readBoundedFile(file, {
    maxBytes: MAX_CONFIG_BYTES,
    timeoutMs: FILE_READ_TIMEOUT_MS,
  });
  if (read.ok) return read.text;
  if (missingIsEmpty && read.error.code === 'ENOENT') return undefined;
  throw new ConfigError(file, '', read.error.reason);
}

/** MicroShift's own path: MicroShift runs with its defaults when it does not exist, so do we. */
export function isMicroShiftConfigPath(file: string): boolean {
  return (
    path.basename(file) === 'config.yaml' && path.basename(path.dirname(file)) === 'microshift'
  );
}

function listingError(dir: string, error: unknown): ConfigError {
  return new ConfigError(
    dir,
    '',
    `cannot list drop-ins (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`,
  );
}

function tooMany(dir: string): ConfigError {
  return new ConfigError(dir, '', `more than ${MAX_DROP_INS} drop-ins`);
}

/** Byte order of the UTF-8 names, as Go sorts them (JavaScript's default sort compares UTF-16 units). */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Ours: every *.yaml directly in telemetry.d/, in lexical order. */
async function listOwnDropIns(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw listingError(dir, error);
  }
  const dropIns = names
    .filter((name) => name.endsWith('.yaml'))
    .sort(byteOrder)
    .map((name) => path.join(dir, name));
  if (dropIns.length > MAX_DROP_INS) throw tooMany(dir);
  return dropIns;
}

/**
 * MicroShift's rule (filepath.WalkDir over config.d, keeping what is not a
 * directory and whose extension is exactly ".yaml"): lexical order, entries of
 * a subdirectory where the subdirectory sorts; hidden files count; `.yml`
 * does not; a symlink is read as the file it points to but never descended
 * into, even when it points to a directory.
 */
async function listMicroShiftDropIns(
  dir: string,
  found: string[] = [],
  top = true,
): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdirEntries(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && top) return found;
    throw listingError(dir, error);
  }
  entries.sort((a, b) => byteOrder(a.name, b.name));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await listMicroShiftDropIns(full, found, false);
    else if (path.extname(entry.name) === '.yaml' || entry.name === '.yaml') found.push(full);
    if (found.length > MAX_DROP_INS) throw tooMany(dir);
  }
  return found;
}

async function exists(dir: string): Promise<boolean> {
  try {
    await readdir(dir);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

function asMapping(document: unknown, file: string, what: string): JsonObject {
  if (!isPlainObject(document)) throw new ConfigError(file, '', `must be a YAML mapping (${what})`);
  return document;
}

/**
 * A drop-in whose `telemetry:` is empty (every key under it commented out)
 * changes nothing. As an RFC 7386 patch (MicroShift's reading) its null would
 * remove the whole section, the main file's `status: Disabled` with it; a key
 * is reset by its own `key: null`.
 */
function withoutEmptySection(patch: JsonObject): JsonObject {
  if (patch[TELEMETRY_SECTION] !== null) return patch;
  return Object.fromEntries(Object.entries(patch).filter(([key]) => key !== TELEMETRY_SECTION));
}

/** The merged, validated config. Throws ConfigError (one line) for anything wrong. */
export async function loadConfig(file: string = DEFAULT_CONFIG_FILE): Promise<Config> {
  const mainFile = path.resolve(file);
  const byPath = isMicroShiftConfigPath(mainFile);
  const mainText = await readText(mainFile, byPath);
  // One parser for the whole read, dropped with it (in the release it is compiled for this read only).
  const yaml = openYamlParser();
  const main = asMapping(
    parseYaml(yaml, mainText ?? '', mainFile),
    mainFile,
    `with a ${TELEMETRY_SECTION}: section`,
  );
  const { otherSections } = checkTopLevel(main, {
    file: mainFile,
    telemetryKeys: TELEMETRY_KEYS,
    onlyTelemetry: false,
  });
  const kind: Config['kind'] = byPath || otherSections ? 'microshift' : 'own';
  const dir = path.dirname(mainFile);

  let dropIns: string[];
  if (kind === 'microshift') {
    // Two drop-in directories with an order between them would let one undo
    // the other's opt-out unseen; beside a MicroShift config, config.d/ is the one.
    const ownDir = path.join(dir, DROP_IN_DIR);
    if (await exists(ownDir)) {
      throw new ConfigError(
        ownDir,
        '',
        `not read beside a MicroShift config: move its files to ${path.join(dir, MICROSHIFT_DROP_IN_DIR)}/`,
      );
    }
    dropIns = await listMicroShiftDropIns(path.join(dir, MICROSHIFT_DROP_IN_DIR));
  } else {
    dropIns = await listOwnDropIns(path.join(dir, DROP_IN_DIR));
  }

  let merged: unknown = main;
  const applied: string[] = [];
  const keySource = new Map<string, string>();
  for (const dropIn of dropIns) {
    const text = (await readText(dropIn)) ?? '';
    // MicroShift skips a blank drop-in; one with only comments is as blank.
    const document = text.trim() === '' ? undefined : parseYaml(yaml, text, dropIn);
    if (document === undefined || (isPlainObject(document) && Object.keys(document).length === 0))
      continue;
    const patch = withoutEmptySection(asMapping(document, dropIn, 'a merge patch'));
    if (Object.keys(patch).length === 0) continue;
    checkTopLevel(patch, {
      file: dropIn,
      telemetryKeys: TELEMETRY_KEYS,
      onlyTelemetry: kind === 'own',
    });
    merged = applyMergePatch(merged, patch);
    applied.push(dropIn);
    for (const keyPath of patchedPaths(patch)) keySource.set(keyPath, dropIn);
  }
  const provenance = (keyPath: string): string | undefined => {
    // The deepest ancestor a drop-in touched decides; otherwise the main file.
    // A list is patched whole (RFC 7386), so telemetry.destinations[1].auth is the list's.
    for (
      let probe = keyPath;
      probe !== '';
      probe = /^(.*?)(?:\.[^.[\]]*|\[\d+\])$/.exec(probe)?.[1] ?? ''
    ) {
      const source = keySource.get(probe);
      if (source !== undefined) return source;
    }
    return undefined;
  };
  return validateTelemetry((merged as JsonObject)[TELEMETRY_SECTION], mainFile, provenance, {
    kind,
    dropIns: applied,
  });
}
