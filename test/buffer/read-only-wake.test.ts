// A wake on a dataDir remounted read-only while the service waited: the
// launcher holds dataDir's lock for its next Node.js, which cannot rewrite it
// now. Real mounts: a read-only bind mount in a private mount namespace
// (unshare -m, as root, as CI runs). Before, the lock's take-over failed
// (ELOCKRACE), which is the config error that stops the unit for good.
import t from 'tap';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { ownTempDir } from '../helpers/files.js';
import { LOCK_FILE } from '../../src/buffer/data-dir-lock.js';
import { BUFFER_SUBDIR } from '../../src/buffer/disk-buffer.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const module = (file: string) =>
  JSON.stringify(pathToFileURL(path.resolve(here, '../../src/buffer', file)).href);

t.test(
  'dataDir read-only at a wake: the launcher goes on holding the lock for it, and the buffer opens',
  async (t) => {
    const dataDir = await ownTempDir(t);
    // 50: the launcher (the unit's MainPID), which held the lock while no Node.js ran; 300: its next Node.js.
    await writeFile(path.join(dataDir, LOCK_FILE), '50 4000\n');
    // The buffer's directory, as the process before the wait left it.
    await mkdir(path.join(dataDir, BUFFER_SUBDIR));
    const script = `
const { lockDataDir } = await import(${module('data-dir-lock.ts')});
const { openBuffer } = await import(${module('open-buffer.ts')});
const dir = ${JSON.stringify(dataDir)};
const processes = { alive: (pid) => pid === 50 || pid === 300, startTime: async (pid) => (pid === 50 ? '4000' : '7000') };
const log = { error() {}, warn() {}, info() {}, debug() {} };
const lock = await lockDataDir(dir, processes, 300, 50);
const other = await lockDataDir(dir, processes, 400);
if (lock.kind === 'locked') await lock.release(50);
const opened = await openBuffer('disk', dir, { maxSamples: 100, maxAgeMs: 1e12 }, log, 50);
const appended = opened.kind === 'ok' ? await opened.buffer.append([{ name: 'm', labels: {}, value: 1, timestampMs: Date.now() }]) : undefined;
const size = opened.kind === 'ok' ? opened.buffer.size : -1;
if (opened.kind === 'ok') await opened.release();
process.stdout.write(JSON.stringify({ lock: lock.kind, other, opened: opened.kind, appended, size }));
`;
    const command = `mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" && exec "$1" --import @tapjs/typescript/import --input-type=module -e "$2"`;
    const { stdout } = await run(
      'unshare',
      ['-m', 'sh', '-c', command, dataDir, process.execPath, script],
      { timeout: 60_000 },
    );
    t.same(JSON.parse(stdout), {
      lock: 'locked',
      other: { kind: 'busy', pid: 50 },
      opened: 'ok',
      appended: { dropped: {} },
      size: 1,
    });
    t.equal(
      await readFile(path.join(dataDir, LOCK_FILE), 'utf8'),
      '50 4000\n',
      'the lock still names the launcher',
    );
  },
);
