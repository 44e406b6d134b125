// Every duration up to a year is honoured as written; beyond, a one-line config error.
import t from 'tap';
import { MAX_DURATION_MS, parseDurationMs } from '../../src/config/duration.js';
import { runCli } from '../helpers/cli.js';
import { ownTempDir, writeConfig } from '../helpers/files.js';

t.test('the limit is a year, 8760h', async (t) => {
  t.equal(MAX_DURATION_MS, 365 * 24 * 3_600_000);
  t.equal(parseDurationMs('8760h'), MAX_DURATION_MS);
  t.equal(parseDurationMs('720h'), 720 * 3_600_000);
});

t.test(
  '720h and 8760h are accepted as written; 8761h and a typo of many digits are one-line errors',
  async (t) => {
    const dir = await ownTempDir(t);
    const ok = await runCli([
      'check-config',
      '--config',
      await writeConfig(dir, {
        sendingInterval: '8760h',
        requestTimeout: '720h',
        retry: { maxElapsed: '8760h' },
      }),
    ]);
    t.equal(ok.code, 0, ok.stderr);
    t.match(ok.stdout, /sendingInterval: 8760h/);
    t.match(ok.stdout, /requestTimeout: 720h/);
    for (const [key, value] of [
      ['sendingInterval', '8761h'],
      ['requestTimeout', '99999999999999999999h'],
      ['collectTimeout', '525601m'],
    ] as const) {
      const bad = await runCli([
        'check-config',
        '--config',
        await writeConfig(dir, { [key]: value }),
      ]);
      t.equal(bad.code, 2, `${key}: ${value}`);
      t.equal(bad.stderr.trim().split('\n').length, 1, 'one line');
      t.match(
        bad.stderr,
        new RegExp(`telemetry\\.${key}: "${value}" is longer than the maximum 8760h \\(a year\\)`),
      );
    }
  },
);
