// The buffer's config keys: defaults, accepted values, one-line errors.
import t from 'tap';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { ownTempDir } from '../helpers/files.js';

/** Temp dirs of this file, removed when it ends. */
const scratch = () => ownTempDir(t);

async function load(yaml: string) {
  const file = path.join(await scratch(), 'telemetry.yaml');
  await writeFile(file, yaml);
  return { file, config: loadConfig(file) };
}

t.test('defaults: durable, 50,000 samples, 31 days', async (t) => {
  const { config } = await load('telemetry:\n  clusterIdFile: ""\n');
  const loaded = await config;
  t.equal(loaded.buffer, 'disk');
  t.equal(loaded.maxBufferedSamples, 50_000);
  t.equal(loaded.maxBufferedAgeMs, 744 * 3_600_000);
});

t.test('buffer: memory and a maxBufferedAge are read', async (t) => {
  const { config } = await load(
    'telemetry:\n  clusterIdFile: ""\n  buffer: memory\n  maxBufferedAge: 168h\n',
  );
  const loaded = await config;
  t.equal(loaded.buffer, 'memory');
  t.equal(loaded.maxBufferedAgeMs, 168 * 3_600_000);
});

t.test('mistakes are one-line config errors naming the key', async (t) => {
  for (const [yaml, message] of [
    ['buffer: tape', /telemetry\.buffer: must be disk or memory, not "tape"$/],
    ['maxBufferedAge: 30s', /telemetry\.maxBufferedAge: "30s" is shorter than the minimum 1m$/],
    ['maxBufferedAge: 30d', /telemetry\.maxBufferedAge: "30d" is not a duration/],
  ] as const) {
    const { file, config } = await load(`telemetry:\n  clusterIdFile: ""\n  ${yaml}\n`);
    const error = await config.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    t.ok(error instanceof ConfigError, yaml);
    t.match((error as Error).message, message, yaml);
    t.ok((error as Error).message.startsWith(file), `${yaml}: names the file`);
  }
});
