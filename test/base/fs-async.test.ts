// The daemon's file calls on node:fs's callback API, on real files: what
// node:fs/promises would do, the same errors with their codes, and a close
// that happens once.
import t from 'tap';
import { constants, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as promises from 'node:fs/promises';
import path from 'node:path';
import * as fsAsync from '../../src/base/fs-async.js';
import { ownTempDir } from '../helpers/files.js';

t.test('an open file reads, writes, syncs, truncates and stats as a FileHandle does', async (t) => {
  const dir = await ownTempDir(t);
  const file = path.join(dir, 'f');
  const handle = await fsAsync.open(file, 'w', 0o600);
  // Larger than one write() may take at once on some filesystems: the rest follows at the position it left.
  const big = Buffer.alloc(3 * 1024 * 1024, 7);
  await handle.writeFile('head:');
  await handle.writeFile(big);
  await handle.sync();
  await handle.datasync();
  t.equal((await handle.stat()).size, 5 + big.length);
  t.equal((await handle.stat()).mode & 0o777, 0o600, 'created with the mode asked');
  await handle.close();
  await handle.close();
  t.pass('a second close resolves and closes nothing');
  t.same(readFileSync(file).subarray(0, 5).toString(), 'head:');

  const rw = await fsAsync.open(file, constants.O_RDWR | constants.O_NOFOLLOW);
  t.equal((await rw.write(Buffer.from('HEAD'), 0, 4, 0)).bytesWritten, 4, 'a positioned write');
  const read = Buffer.alloc(8);
  t.equal((await rw.read(read, 0, 8, 0)).bytesRead, 8);
  t.equal(read.toString('latin1', 0, 5), 'HEAD:');
  await rw.truncate(3);
  t.equal((await rw.stat()).size, 3);
  t.equal((await rw.read(read, 0, 8, 3)).bytesRead, 0, 'nothing past the end');
  await rw.close();
});

t.test('the same results and errors as node:fs/promises', async (t) => {
  const dir = await ownTempDir(t);
  const file = path.join(dir, 'a');
  await fsAsync.writeFile(file, 'text\n');
  t.equal(await fsAsync.readFile(file, 'utf8'), await promises.readFile(file, 'utf8'));
  t.same(await fsAsync.readdir(dir), await promises.readdir(dir));
  t.same(
    (await fsAsync.readdirEntries(dir)).map((entry) => [entry.name, entry.isFile()]),
    [['a', true]],
  );
  t.equal((await fsAsync.stat(file)).size, (await promises.stat(file)).size);
  t.equal((await fsAsync.lstat(file)).size, 5);
  t.equal((await fsAsync.statfs(dir)).bsize, (await promises.statfs(dir)).bsize);
  await fsAsync.copyFile(file, path.join(dir, 'b'));
  await fsAsync.rename(path.join(dir, 'b'), path.join(dir, 'c'));
  t.equal(readFileSync(path.join(dir, 'c'), 'utf8'), 'text\n');
  await fsAsync.unlink(path.join(dir, 'c'));
  t.equal(
    await fsAsync.mkdir(path.join(dir, 'd', 'e'), { recursive: true, mode: 0o700 }),
    path.join(dir, 'd'),
  );
  await fsAsync.access(path.join(dir, 'd', 'e'));

  const missing = path.join(dir, 'missing');
  const calls: [string, () => Promise<unknown>][] = [
    ['access', () => fsAsync.access(missing)],
    ['readFile', () => fsAsync.readFile(missing, 'utf8')],
    ['readdir', () => fsAsync.readdir(missing)],
    ['stat', () => fsAsync.stat(missing)],
    ['unlink', () => fsAsync.unlink(missing)],
    ['open', () => fsAsync.open(missing, 'r')],
  ];
  for (const [name, call] of calls)
    await t.rejects(
      call() as Promise<void>,
      { code: 'ENOENT' },
      `${name}: ENOENT, as a value to test`,
    );
  writeFileSync(path.join(dir, 'link-target'), 'x');
  await promises.symlink(path.join(dir, 'link-target'), path.join(dir, 'link'));
  await t.rejects(
    fsAsync.open(path.join(dir, 'link'), constants.O_RDONLY | constants.O_NOFOLLOW),
    { code: 'ELOOP' },
    'O_NOFOLLOW refuses a symbolic link',
  );
});

t.test(
  'makeDirectories: mkdir -p with the mode at each level made, and an error where Node spins',
  async (t) => {
    const dir = await ownTempDir(t);
    const deep = path.join(dir, 'a', 'b', 'c');
    await fsAsync.makeDirectories(deep, 0o700);
    for (const level of ['a', 'a/b', 'a/b/c'])
      t.equal((await promises.stat(path.join(dir, level))).mode & 0o777, 0o700, level);
    await fsAsync.makeDirectories(deep, 0o700);
    t.pass('what exists is left as it is');
    writeFileSync(path.join(dir, 'file'), 'x');
    await t.rejects(fsAsync.makeDirectories(path.join(dir, 'file', 'x'), 0o700), {
      code: 'ENOTDIR',
    });
    await t.rejects(fsAsync.makeDirectories(path.join(dir, 'file'), 0o700), { code: 'EEXIST' });
    // mkdir(…, { recursive: true }) retries this for ever on every Node.js line: /proc is there, /proc/x cannot be.
    await t.rejects(fsAsync.makeDirectories('/proc/edge-telemetry-test/x', 0o700), {
      code: 'ENOENT',
    });
  },
);

t.test(
  'readdirAtMost: no more entries than asked, every one when fewer, the directory closed',
  async (t) => {
    const dir = await ownTempDir(t);
    const names = Array.from({ length: 100 }, (_, i) => `entry-${String(i).padStart(3, '0')}`);
    for (const name of names) writeFileSync(path.join(dir, name), '');
    const openFds = () => readdirSync('/proc/self/fd').length;
    const before = openFds();
    const some = await fsAsync.readdirAtMost(dir, 7);
    t.equal(some.length, 7, 'seven of a hundred');
    t.ok(
      some.every((entry) => names.includes(entry.name) && entry.isFile()),
      'real entries, with their types',
    );
    t.equal(new Set(some.map((entry) => entry.name)).size, 7, 'none twice');
    const all = await fsAsync.readdirAtMost(dir, 1000);
    t.same(all.map((entry) => entry.name).sort(), names, 'all of them under the bound');
    t.equal((await fsAsync.readdirAtMost(dir, 0)).length, 0, 'none at a bound of 0');
    t.equal(openFds(), before, 'no directory left open');
    await t.rejects(fsAsync.readdirAtMost(path.join(dir, 'missing'), 5), { code: 'ENOENT' });
    await t.rejects(fsAsync.readdirAtMost(path.join(dir, names[0] as string), 5), {
      code: 'ENOTDIR',
    });
    t.equal(openFds(), before, 'nor after the errors');
  },
);
