import t from 'tap';
import { readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  LOCK_FILE,
  lockDataDir,
  realProcesses,
  type ProcessTable,
} from '../../src/buffer/data-dir-lock.js';
import { openBuffer } from '../../src/buffer/open-buffer.js';
import { silentLogger } from '../../src/base/log.js';
import { ownTempDir } from '../helpers/files.js';

/** Temp dirs of this file, removed when it ends. */
const scratch = () => ownTempDir(t);

const table = (alive: Record<number, string | undefined>): ProcessTable => ({
  alive: (pid) => pid in alive,
  startTime: async (pid) => alive[pid],
});

t.test('one holder at a time; released, it can be taken again', async (t) => {
  const dir = await scratch();
  const processes = table({ 100: '5000', 200: '6000' });
  const first = await lockDataDir(dir, processes, 100);
  t.equal(first.kind, 'locked');
  t.equal(await readFile(path.join(dir, LOCK_FILE), 'utf8'), '100 5000\n');
  t.same(await lockDataDir(dir, processes, 200), { kind: 'busy', pid: 100 });
  if (first.kind === 'locked') await first.release();
  t.equal((await lockDataDir(dir, processes, 200)).kind, 'locked');
});

t.test(
  'a stale lock is taken over: holder gone, or its pid reused by another process',
  async (t) => {
    const dir = await scratch();
    await writeFile(path.join(dir, LOCK_FILE), '100 5000\n');
    t.equal((await lockDataDir(dir, table({ 200: '1' }), 200)).kind, 'locked', 'pid 100 is gone');
    await writeFile(path.join(dir, LOCK_FILE), '100 5000\n');
    t.equal(
      (await lockDataDir(dir, table({ 100: '7777', 200: '1' }), 200)).kind,
      'locked',
      'pid 100 now belongs to a process started later',
    );
    await writeFile(path.join(dir, LOCK_FILE), 'garbage');
    t.equal(
      (await lockDataDir(dir, table({ 200: '1' }), 200)).kind,
      'locked',
      'an unreadable lock',
    );
  },
);

t.test(
  'with the real process table: this process holds it; a second open of the same dataDir is refused',
  async (t) => {
    const dir = await scratch();
    const bounds = { maxSamples: 10, maxAgeMs: 3_600_000 };
    const opened = await openBuffer('disk', dir, bounds, silentLogger);
    t.equal(opened.kind, 'ok');
    t.same(await openBuffer('disk', dir, bounds, silentLogger), { kind: 'busy', pid: process.pid });
    if (opened.kind === 'ok') await opened.release();
    const again = await openBuffer('disk', dir, bounds, silentLogger);
    t.equal(again.kind, 'ok', 'released with the buffer');
    if (again.kind === 'ok') await again.release();
    t.ok(realProcesses.alive(process.pid));
    t.match(await realProcesses.startTime(process.pid), /^\d+$/);
  },
);

t.test('a dataDir that cannot be created is a value with its code', async (t) => {
  const dir = await scratch();
  await writeFile(path.join(dir, 'file'), 'x');
  t.same(
    await openBuffer(
      'disk',
      path.join(dir, 'file', 'data'),
      { maxSamples: 10, maxAgeMs: 1000 },
      silentLogger,
    ),
    { kind: 'unwritable', code: 'ENOTDIR' },
  );
  t.equal(
    (
      await openBuffer(
        'memory',
        path.join(dir, 'file', 'data'),
        { maxSamples: 10, maxAgeMs: 1000 },
        silentLogger,
      )
    ).kind,
    'ok',
    'memory never touches it',
  );
});

t.test(
  'exiting to wait: the lock goes to the launcher, which holds it against any other daemon until its next Node.js takes it',
  async (t) => {
    const dir = await scratch();
    // 100: the daemon, 50: its launcher, 200: another daemon started by hand, 300: the launcher's next Node.js.
    const processes = table({ 100: '5000', 50: '4000', 200: '6000', 300: '7000' });
    const first = await lockDataDir(dir, processes, 100);
    if (first.kind !== 'locked') throw new Error(first.kind);
    await first.release(50);
    t.equal(
      await readFile(path.join(dir, LOCK_FILE), 'utf8'),
      '50 4000\n',
      'held for the launcher',
    );
    t.same(await lockDataDir(dir, processes, 200), { kind: 'busy', pid: 50 }, 'no other daemon');
    const next = await lockDataDir(dir, processes, 300, 50);
    t.equal(next.kind, 'locked', "the launcher's next Node.js takes it over");
    t.equal(await readFile(path.join(dir, LOCK_FILE), 'utf8'), '300 7000\n');
    if (next.kind === 'locked') await next.release();
    // A launcher killed while it waits leaves a lock of a pid that is gone: stale, as any.
    const gone = table({ 400: '8000' });
    await writeFile(path.join(dir, LOCK_FILE), '50 4000\n');
    t.equal((await lockDataDir(dir, gone, 400)).kind, 'locked');
  },
);

t.test(
  'handing the lock to the launcher never writes through a planted temporary name',
  async (t) => {
    const dir = await scratch();
    const victim = path.join(dir, 'victim');
    await writeFile(victim, 'precious\n');
    const processes = table({ [process.pid]: '5000', 50: '4000' });
    const held = await lockDataDir(dir, processes, process.pid);
    if (held.kind !== 'locked') throw new Error(held.kind);
    await symlink(victim, path.join(dir, `${LOCK_FILE}.${process.pid}.tmp`));
    await held.release(50);
    t.equal(await readFile(victim, 'utf8'), 'precious\n', 'what the link pointed to is untouched');
    t.equal(
      await readFile(path.join(dir, LOCK_FILE), 'utf8'),
      '50 4000\n',
      'held for the launcher',
    );
    t.same((await readdir(dir)).sort(), [LOCK_FILE, 'victim']);
  },
);
