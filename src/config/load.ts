// Reads the config file and its telemetry.d/ drop-ins. The only I/O of config/.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from './errors.js';
import { applyMergePatch, isPlainObject, patchedPaths } from './merge-patch.js';
import { validateTelemetry, type Config } from './schema.js';

export const DEFAULT_CONFIG_FILE = '/etc/edge-telemetry/telemetry.yaml';
export const DROP_IN_DIR = 'telemetry.d';

export function parseYaml(text: string, file: string): unknown {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const problem = document.errors[0];
  if (problem !== undefined) {
    const where = problem.linePos?.[0];
    const position = where === undefined ? '' : `:${where.line}:${where.col}`;
    const reason = (problem.message.split('\n')[0] ?? 'invalid YAML').replace(/ at line \d+, column \d+.*$/, '');
    throw new ConfigError(`${file}${position}`, '', `YAML syntax error: ${reason}`);
  }
  return document.toJS({ maxAliasCount: 100 }) ?? {};
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : `cannot read (${code ?? 'unknown error'})`;
    throw new ConfigError(file, '', reason);
  }
}

async function listDropIns(configFile: string): Promise<string[]> {
  const dir = path.join(path.dirname(configFile), DROP_IN_DIR);
  try {
    const names = await readdir(dir);
    return names.filter((name) => name.endsWith('.yaml')).sort().map((name) => path.join(dir, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ConfigError(dir, '', `cannot list drop-ins (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`);
  }
}

/** The merged, validated config. Throws ConfigError (one line) for anything wrong. */
export async function loadConfig(file: string = DEFAULT_CONFIG_FILE): Promise<Config> {
  const mainFile = path.resolve(file);
  let merged = parseYaml(await readText(mainFile), mainFile);
  if (!isPlainObject(merged)) throw new ConfigError(mainFile, '', 'must be a YAML mapping with a telemetry: section');
  const keySource = new Map<string, string>();
  for (const dropIn of await listDropIns(mainFile)) {
    const patch = parseYaml(await readText(dropIn), dropIn);
    if (!isPlainObject(patch)) throw new ConfigError(dropIn, '', 'must be a YAML mapping (a merge patch)');
    merged = applyMergePatch(merged, patch);
    for (const keyPath of patchedPaths(patch)) keySource.set(keyPath, dropIn);
  }
  const provenance = (keyPath: string): string | undefined => {
    // The deepest ancestor a drop-in touched decides; otherwise the main file.
    for (let probe = keyPath; probe !== ''; probe = probe.includes('.') ? probe.slice(0, probe.lastIndexOf('.')) : '') {
      const source = keySource.get(probe);
      if (source !== undefined) return source;
    }
    return undefined;
  };
  return validateTelemetry((merged as Record<string, unknown>).telemetry, mainFile, provenance);
}
