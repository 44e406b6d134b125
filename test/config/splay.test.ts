// telemetry.splay: default 0 (send at start, as MicroShift does), any duration up to sendingInterval.
import t from 'tap';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { effectiveConfigYaml } from '../../src/config/effective-config.js';
import { ownTempDir } from '../helpers/files.js';

async function load(yaml: string) {
  const file = path.join(await ownTempDir(t), 'telemetry.yaml');
  await writeFile(file, yaml);
  return { file, config: loadConfig(file) };
}

t.test('splay: default, a fleet value, too long', async (t) => {
  t.equal(
    (await (await load('telemetry:\n  clusterIdFile: ""\n')).config).splayMs,
    0,
    'default: send at start',
  );
  const fleet = await (await load('telemetry:\n  clusterIdFile: ""\n  splay: 5m\n')).config;
  t.equal(fleet.splayMs, 300_000);
  t.match(effectiveConfigYaml(fleet), /\n {2}splay: 5m\n/, 'check-config shows it');
  const tooLong = await load(
    'telemetry:\n  clusterIdFile: ""\n  sendingInterval: 1h\n  splay: 2h\n',
  );
  await t.rejects(tooLong.config, {
    message: `${tooLong.file}: telemetry.splay: 2h is longer than sendingInterval 1h`,
  });
  // A bare 0 is YAML's number zero: no unit is needed for none, as Go's ParseDuration("0") needs none.
  const zero = await (await load('telemetry:\n  clusterIdFile: ""\n  splay: 0\n')).config;
  t.equal(zero.splayMs, 0, 'splay: 0');
  const bare = await load('telemetry:\n  clusterIdFile: ""\n  splay: 90\n');
  await t.rejects(bare.config, {
    message: `${bare.file}: telemetry.splay: must be a duration string such as "90s", "30m" or "24h"`,
  });
  const none = await load('telemetry:\n  clusterIdFile: ""\n  sendingInterval: 0\n');
  await t.rejects(none.config, {
    message: `${none.file}: telemetry.sendingInterval: "0" is shorter than the minimum 1s`,
  });
  const bad = await load('telemetry:\n  clusterIdFile: ""\n  splay: soon\n');
  await t.rejects(bad.config, {
    message: `${bad.file}: telemetry.splay: "soon" is not a duration (use Go form such as 90s, 30m, 1h30m)`,
  });
});
