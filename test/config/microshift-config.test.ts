// Our own file and a MicroShift config: which drop-ins each brings, what ""
// means, and that no near miss of `telemetry:` is ever read as "no section".
import t from 'tap';
import { mkdir, symlink, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { MICROSHIFT_CLUSTER_ID_FILE } from '../../src/config/schema.js';
import { DEFAULT_ENDPOINT } from '../../src/base/telemeter-api.js';
import { mkfifo } from '../helpers/fifo.js';
import { ownTempDir } from '../helpers/files.js';
import { runCli } from '../helpers/cli.js';

/** Writes files (path → content) under a fresh directory; returns it. */
async function tree(
  t: Parameters<typeof ownTempDir>[0],
  files: Record<string, string>,
): Promise<string> {
  const dir = await ownTempDir(t);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  return dir;
}

t.test('an opt-out written the MicroShift way is honoured', async (t) => {
  const dir = await tree(t, {
    'microshift/config.yaml': 'dns:\n  baseDomain: example.com\n',
    'microshift/config.d/10-telemetry.yaml': 'telemetry:\n  status: Disabled\n',
  });
  const config = await loadConfig(path.join(dir, 'microshift', 'config.yaml'));
  t.equal(config.status, 'Disabled');
  t.equal(config.kind, 'microshift');
  t.same(config.dropIns, [path.join(dir, 'microshift', 'config.d', '10-telemetry.yaml')]);
  t.equal(config.clusterIdFile, MICROSHIFT_CLUSTER_ID_FILE, "_id is MicroShift's own cluster id");
});

t.test(
  "MicroShift's config.yaml may be absent (MicroShift then runs on its defaults); its config.d still counts",
  async (t) => {
    const dir = await tree(t, {
      'microshift/config.d/10-telemetry.yaml': 'telemetry: {status: Disabled}\n',
    });
    const config = await loadConfig(path.join(dir, 'microshift', 'config.yaml'));
    t.equal(config.status, 'Disabled');
    const elsewhere = path.join(dir, 'other', 'config.yaml');
    await t.rejects(
      loadConfig(elsewhere),
      { code: 'ECONFIG', message: `${elsewhere}: not found` },
      'any other missing file is an error',
    );
  },
);

t.test('any file with other top-level sections is a MicroShift config', async (t) => {
  const dir = await tree(t, {
    'node.yaml':
      'apiServer:\n  madeUpKey: [1, 2]\nsomeFutureSection: {a: 1}\ntelemetry:\n  sendingInterval: 2h\n',
    'config.d/10-a.yaml': 'telemetry:\n  sendingInterval: 3h\n',
  });
  const config = await loadConfig(path.join(dir, 'node.yaml'));
  t.equal(config.kind, 'microshift');
  t.equal(
    config.sendingIntervalMs,
    3 * 3_600_000,
    'config.d beside it applied; the other sections are not ours to judge',
  );
});

t.test(
  'drop-ins are found as MicroShift finds them (pkg/config/files.go: WalkDir, extension exactly .yaml)',
  async (t) => {
    const dir = await tree(t, {
      'microshift/config.yaml': 'telemetry:\n  sendingInterval: 1h\n  samplingInterval: 1m\n',
      'microshift/config.d/10-a.yaml': 'telemetry:\n  sendingInterval: 2h\n',
      'microshift/config.d/9-b.yaml': 'telemetry:\n  sendingInterval: 9h\n',
      'microshift/config.d/50-sub/10-c.yaml': 'telemetry:\n  samplingInterval: 5m\n',
      'microshift/config.d/.60-hidden.yaml': 'telemetry:\n  maxBufferedSamples: 600\n',
      'microshift/config.d/70-blank.yaml': '  \n',
      'microshift/config.d/71-comment.yaml': '# nothing here\n',
      'microshift/config.d/80-b.yml': 'telemetry: [broken\n',
      'microshift/config.d/81-c.yaml~': 'telemetry: [broken\n',
      'microshift/config.d/82-d.yaml.rpmsave': 'telemetry: [broken\n',
      'elsewhere/90-linked.yaml': 'telemetry:\n  requestTimeout: 45s\n',
      'elsewhere/dir/95-not-walked.yaml': 'telemetry: [broken\n',
    });
    const dropInDir = path.join(dir, 'microshift', 'config.d');
    await symlink(
      path.join(dir, 'elsewhere', '90-linked.yaml'),
      path.join(dropInDir, '90-linked.yaml'),
    );
    await symlink(path.join(dir, 'elsewhere', 'dir'), path.join(dropInDir, '91-linked-dir'));
    const config = await loadConfig(path.join(dir, 'microshift', 'config.yaml'));
    t.same(
      config.dropIns.map((file) => path.relative(dropInDir, file)),
      ['.60-hidden.yaml', '10-a.yaml', '50-sub/10-c.yaml', '9-b.yaml', '90-linked.yaml'],
      'byte order, subdirectories where they sort, hidden files in, blank files skipped, .yml and backups out, symlinked dirs not walked',
    );
    t.equal(config.sendingIntervalMs, 9 * 3_600_000, '9-b sorts after 10-a');
    t.equal(config.samplingIntervalMs, 5 * 60_000);
    t.equal(config.maxBufferedSamples, 600);
    t.equal(config.requestTimeoutMs, 45_000, 'a symlinked file is read');
  },
);

t.test('a drop-in sets a key to null to take the default back (RFC 7386)', async (t) => {
  const dir = await tree(t, {
    'microshift/config.yaml': 'telemetry:\n  status: Disabled\n  sendingInterval: 2h\n',
    'microshift/config.d/10-on.yaml': 'telemetry:\n  status: null\n',
  });
  const config = await loadConfig(path.join(dir, 'microshift', 'config.yaml'));
  t.equal(config.status, 'Enabled');
  t.equal(config.sendingIntervalMs, 2 * 3_600_000);
});

t.test('status: "", endpoint: "" and proxy: "" mean the default, as in MicroShift', async (t) => {
  for (const name of ['microshift/config.yaml', 'telemetry.yaml']) {
    const dir = await tree(t, {
      [name]: 'telemetry:\n  status: ""\n  endpoint: ""\n  proxy: ""\n',
    });
    const config = await loadConfig(path.join(dir, name));
    t.equal(config.status, 'Enabled', name);
    t.equal(config.endpoint, DEFAULT_ENDPOINT, name);
    t.equal(config.proxy, '', name);
  }
});

t.test(
  'our own file: an empty file or one without telemetry: means the defaults; a near miss is an error',
  async (t) => {
    const dir = await tree(t, {
      'empty.yaml': '',
      'comments.yaml': '# all defaults\n',
      'null-section.yaml': 'telemetry:\n',
    });
    for (const name of ['empty.yaml', 'comments.yaml', 'null-section.yaml']) {
      const config = await loadConfig(path.join(dir, name));
      t.equal(config.kind, 'own', name);
      t.equal(config.status, 'Enabled', name);
      t.equal(config.clusterIdFile, '', `${name}: the anonymous id, not MicroShift's`);
    }
    const cases: [string, string, string][] = [
      ['telemetri:\n  status: Disabled\n', 'telemetri', 'unknown key (did you mean telemetry?)'],
      ['Telemetry:\n  status: Disabled\n', 'Telemetry', 'unknown key (did you mean telemetry?)'],
      ['TELEMETRY:\n  status: Disabled\n', 'TELEMETRY', 'unknown key (did you mean telemetry?)'],
      ['telmetry:\n  status: Disabled\n', 'telmetry', 'unknown key (did you mean telemetry?)'],
      ['telemtery:\n  status: Disabled\n', 'telemtery', 'unknown key (did you mean telemetry?)'],
      [
        'edge-telemetry:\n  status: Disabled\n',
        'edge-telemetry',
        'unknown key (did you mean telemetry?)',
      ],
      [
        'telemetry_settings:\n  status: Disabled\n',
        'telemetry_settings',
        'unknown key (did you mean telemetry?)',
      ],
      [
        'telemetry:\n  sendingInterval: 1h\nstatus: Disabled\n',
        'status',
        'unknown top-level key (did you mean telemetry.status, indented under telemetry:?)',
      ],
      [
        'telemetry: {}\nSendingInterval: 1h\n',
        'SendingInterval',
        'unknown top-level key (did you mean telemetry.sendingInterval, indented under telemetry:?)',
      ],
    ];
    for (const [yaml, key, reason] of cases) {
      const file = path.join(dir, 'case.yaml');
      await writeFile(file, yaml);
      await t.rejects(
        loadConfig(file),
        { code: 'ECONFIG', message: `${file}: ${key}: ${reason}` },
        JSON.stringify(yaml),
      );
    }
  },
);

t.test('near misses are errors in every file, naming the drop-in', async (t) => {
  const dir = await tree(t, {
    'microshift/config.yaml': 'dns:\n  baseDomain: example.com\n',
    'microshift/config.d/10-telemetry.yaml': 'Telemetry:\n  status: Disabled\n',
    'own/telemetry.yaml': 'telemetry:\n  status: Enabled\n',
    'own/telemetry.d/10-off.yaml': 'telemetri:\n  status: Disabled\n',
    'own2/telemetry.yaml': 'telemetry:\n  status: Enabled\n',
    'own2/telemetry.d/10-dns.yaml': 'dns:\n  baseDomain: example.com\n',
  });
  const microshiftDropIn = path.join(dir, 'microshift', 'config.d', '10-telemetry.yaml');
  await t.rejects(loadConfig(path.join(dir, 'microshift', 'config.yaml')), {
    message: `${microshiftDropIn}: Telemetry: unknown key (did you mean telemetry?)`,
  });
  const ownDropIn = path.join(dir, 'own', 'telemetry.d', '10-off.yaml');
  await t.rejects(loadConfig(path.join(dir, 'own', 'telemetry.yaml')), {
    message: `${ownDropIn}: telemetri: unknown key (did you mean telemetry?)`,
  });
  const dnsDropIn = path.join(dir, 'own2', 'telemetry.d', '10-dns.yaml');
  await t.rejects(loadConfig(path.join(dir, 'own2', 'telemetry.yaml')), {
    message: `${dnsDropIn}: dns: unknown key (a drop-in in telemetry.d/ holds only telemetry:)`,
  });
});

t.test(
  'a name with telemetry in it is ours misnamed, also beside telemetry.d/ and as a MicroShift config',
  async (t) => {
    const dir = await tree(t, {
      'own/telemetry.yaml': 'edge-telemetry:\n  status: Disabled\n',
      'own/telemetry.d/.keep': '',
      'ms/node.yaml': 'dns:\n  baseDomain: example.com\nedgeTelemetry:\n  status: Disabled\n',
    });
    const own = path.join(dir, 'own', 'telemetry.yaml');
    await t.rejects(loadConfig(own), {
      message: `${own}: edge-telemetry: unknown key (did you mean telemetry?)`,
    });
    const ms = path.join(dir, 'ms', 'node.yaml');
    await t.rejects(loadConfig(ms), {
      message: `${ms}: edgeTelemetry: unknown key (did you mean telemetry?)`,
    });
  },
);

t.test(
  "a drop-in whose telemetry: is empty (its keys commented out) changes nothing: the main file's opt-out stands",
  async (t) => {
    const dir = await tree(t, {
      'own/telemetry.yaml': 'telemetry:\n  status: Disabled\n  sendingInterval: 6h\n',
      'own/telemetry.d/50-tuning.yaml': 'telemetry:\n#  sendingInterval: 12h\n',
      'own/telemetry.d/60-reset.yaml': 'telemetry:\n  sendingInterval: null\n',
      'microshift/config.yaml': 'dns:\n  baseDomain: example.com\ntelemetry:\n  status: Disabled\n',
      'microshift/config.d/50-empty.yaml': 'telemetry:\ndns:\n  baseDomain: example.org\n',
    });
    const own = await loadConfig(path.join(dir, 'own', 'telemetry.yaml'));
    t.equal(own.status, 'Disabled', 'the empty section undid nothing');
    t.equal(own.sendingIntervalMs, 86_400_000, 'a key set to null still goes back to its default');
    t.same(
      own.dropIns,
      [path.join(dir, 'own', 'telemetry.d', '60-reset.yaml')],
      'the empty one is not listed as applied',
    );
    const microshift = await loadConfig(path.join(dir, 'microshift', 'config.yaml'));
    t.equal(microshift.status, 'Disabled');
    t.same(microshift.dropIns, [path.join(dir, 'microshift', 'config.d', '50-empty.yaml')]);
  },
);

t.test('telemetry.d/ beside a MicroShift config is refused, not silently ignored', async (t) => {
  const dir = await tree(t, {
    'microshift/config.yaml': 'dns:\n  baseDomain: example.com\n',
    'microshift/telemetry.d/10-off.yaml': 'telemetry:\n  status: Disabled\n',
  });
  const own = path.join(dir, 'microshift', 'telemetry.d');
  await t.rejects(loadConfig(path.join(dir, 'microshift', 'config.yaml')), {
    message: `${own}: not read beside a MicroShift config: move its files to ${path.join(dir, 'microshift', 'config.d')}/`,
  });
});

t.test('a config error in a MicroShift drop-in names the drop-in and the key', async (t) => {
  const dir = await tree(t, {
    'microshift/config.yaml': 'telemetry:\n  status: Enabled\n',
    'microshift/config.d/20-x.yaml': 'telemetry:\n  status: disabled\n',
  });
  await t.rejects(loadConfig(path.join(dir, 'microshift', 'config.yaml')), {
    message: `${path.join(dir, 'microshift', 'config.d', '20-x.yaml')}: telemetry.status: must be Enabled or Disabled (exact case), not "disabled"`,
  });
});

t.test(
  'config and drop-ins that are not small regular files: one line naming the file, at once',
  async (t) => {
    const dir = await ownTempDir(t);
    await mkfifo(path.join(dir, 'fifo.yaml'));
    await writeFile(path.join(dir, 'big.yaml'), '');
    await truncate(path.join(dir, 'big.yaml'), 50 * 1024 * 1024);
    await symlink('loop-b.yaml', path.join(dir, 'loop-a.yaml'));
    await symlink('loop-a.yaml', path.join(dir, 'loop-b.yaml'));
    const cases: [string, string][] = [
      [path.join(dir, 'fifo.yaml'), 'not a regular file (a FIFO)'],
      ['/dev/zero', 'not a regular file (a character device)'],
      [path.join(dir, 'big.yaml'), `larger than 1 MiB (${50 * 1024 * 1024} bytes)`],
      [path.join(dir, 'loop-a.yaml'), 'too many levels of symbolic links (a symlink loop?)'],
    ];
    for (const [file, reason] of cases) {
      const result = await runCli(['check-config', '--config', file], { timeoutMs: 30_000 });
      t.equal(result.code, 2, file);
      t.equal(result.stderr, `edge-telemetry: ${file}: ${reason}\n`, file);
    }
    // The same through drop-ins, MicroShift's and ours.
    const main = path.join(dir, 'microshift', 'config.yaml');
    await mkdir(path.join(dir, 'microshift', 'config.d'), { recursive: true });
    await writeFile(main, 'telemetry: {}\n');
    await mkfifo(path.join(dir, 'microshift', 'config.d', '10-fifo.yaml'));
    await t.rejects(loadConfig(main), {
      message: `${path.join(dir, 'microshift', 'config.d', '10-fifo.yaml')}: not a regular file (a FIFO)`,
    });
    const own = path.join(dir, 'own', 'telemetry.yaml');
    await mkdir(path.join(dir, 'own', 'telemetry.d'), { recursive: true });
    await writeFile(own, 'telemetry: {}\n');
    await symlink('/dev/zero', path.join(dir, 'own', 'telemetry.d', '10-zero.yaml'));
    await t.rejects(loadConfig(own), {
      message: `${path.join(dir, 'own', 'telemetry.d', '10-zero.yaml')}: not a regular file (a character device)`,
    });
  },
);

t.test('check-config shows which files counted, and an opt-out needs no cluster id', async (t) => {
  const dir = await tree(t, {
    'microshift/config.yaml': 'dns:\n  baseDomain: example.com\n',
    'microshift/config.d/10-telemetry.yaml': 'telemetry:\n  status: Disabled\n',
  });
  const main = path.join(dir, 'microshift', 'config.yaml');
  const result = await runCli(['check-config', '--config', main]);
  t.equal(result.code, 0, result.stderr);
  t.equal(result.stderr, '', 'no note about a cluster id that a Disabled node never needs');
  t.match(
    result.stdout,
    `# ${main} (a MicroShift config: drop-ins from config.d/)\n# + ${path.join(dir, 'microshift', 'config.d', '10-telemetry.yaml')}\ntelemetry:\n  status: Disabled\n`,
  );
  t.match(result.stdout, `clusterIdFile: ${MICROSHIFT_CLUSTER_ID_FILE}\n`);
});
