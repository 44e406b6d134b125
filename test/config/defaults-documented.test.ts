// One truth per default: the schema's. README's key table and
// telemetry.example.yaml must say the same, checked the way an admin would
// rely on them: writing down what they call the default changes nothing.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { ownTempDir } from '../helpers/files.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The config minus what names the file itself. */
const effective = (config: Config): Omit<Config, 'file' | 'dropIns' | 'setIn'> =>
  Object.fromEntries(
    Object.entries(config).filter(([key]) => !['file', 'dropIns', 'setIn'].includes(key)),
  ) as Omit<Config, 'file' | 'dropIns' | 'setIn'>;

async function loaded(
  dir: string,
  name: string,
  telemetry: unknown,
): Promise<ReturnType<typeof effective>> {
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify({ telemetry }));
  return effective(await loadConfig(file));
}

/** Sets `value` at a dotted `key` of a fresh object. */
function withKey(key: string, value: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const parts = key.split('.');
  let at = out;
  for (const part of parts.slice(0, -1)) at = at[part] = {};
  at[parts[parts.length - 1] ?? key] = value;
  return out;
}

/** README's key table: [keys, defaults as written] per row whose default column is made of `code` only. */
function readmeDefaults(): [string[], unknown[]][] {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('| key | default | meaning |'));
  const rows: [string[], unknown[]][] = [];
  for (const line of table.split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const [keysCell = '', defaultCell = ''] = line
      .split(' | ')
      .map((cell) => cell.replace(/^\| /, ''));
    const keys = [...keysCell.matchAll(/`([^`]+)`/g)].map((match) => match[1] as string);
    // Only the default as given for our own config: the part before a ";" (what a MicroShift config changes comes after).
    const stated = defaultCell.split(';')[0] as string;
    const codes = [...stated.matchAll(/`([^`]*)`/g)].map((match) => match[1] as string);
    if (codes.length === 0 || stated.replace(/`[^`]*`|[\s,/]/g, '') !== '') continue;
    const values = codes.map((code) => parse(code) as unknown);
    // One key with several values is a list (diskPaths); several keys take one value each.
    rows.push(keys.length === 1 && values.length > 1 ? [keys, [values]] : [keys, values]);
  }
  return rows;
}

t.test("README's key table: each default, written down, changes nothing", async (t) => {
  const dir = await ownTempDir(t);
  const defaults = await loaded(dir, 'empty.yaml', {});
  const rows = readmeDefaults();
  t.ok(rows.length >= 18, `${rows.length} rows with a default read from README`);
  let checked = 0;
  for (const [keys, values] of rows) {
    t.equal(keys.length, values.length, `${keys.join(', ')}: a default for each key`);
    for (const [index, key] of keys.entries()) {
      t.same(
        await loaded(dir, 'one-key.yaml', withKey(key, values[index])),
        defaults,
        `${key}: ${JSON.stringify(values[index])} is the default`,
      );
      checked++;
    }
  }
  t.ok(checked >= 22, `${checked} keys checked`);
});

t.test('telemetry.example.yaml: the defaults, but the one it names on purpose', async (t) => {
  const dir = await ownTempDir(t);
  const defaults = await loaded(dir, 'empty.yaml', {});
  const example = parse(readFileSync(path.join(root, 'telemetry.example.yaml'), 'utf8')) as {
    telemetry: Record<string, unknown>;
  };
  const fromExample = await loaded(dir, 'example.yaml', example.telemetry);
  // MicroShift's cluster id file: the example is for a MicroShift node; our own config's default is "" (README says both).
  t.equal(fromExample.clusterIdFile, '/var/lib/microshift/cluster-id');
  t.same({ ...fromExample, clusterIdFile: defaults.clusterIdFile }, defaults);
});
