// writeFileDurably: the new content whole, with its mode, and nothing left beside it, whether it succeeds or fails.
import t from 'tap';
import { chmod, lstat, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileDurably } from '../../src/base/durable-file.js';
import { ownTempDir } from '../helpers/files.js';

t.test(
  'replaces the file with the chunks in order, mode as asked, no temporary file left',
  async (t) => {
    const dir = await ownTempDir(t);
    const file = path.join(dir, 'cluster-id');
    await writeFile(file, 'old\n');
    await writeFileDurably(file, ['a', new TextEncoder().encode('b'), 'c\n'], 0o600);
    t.equal(await readFile(file, 'utf8'), 'abc\n');
    await writeFileDurably(path.join(dir, 'new'), ['x'], 0o640);
    t.equal((await stat(path.join(dir, 'new'))).mode & 0o777, 0o640);
    t.same((await readdir(dir)).sort(), ['cluster-id', 'new']);
  },
);

t.test(
  'a chunk source that fails leaves the old file untouched and no temporary file',
  async (t) => {
    const dir = await ownTempDir(t);
    const file = path.join(dir, 'export.jsonl');
    await writeFile(file, 'old\n');
    const failing = (function* () {
      yield 'first\n';
      throw Object.assign(new Error('source broke'), { code: 'EBROKE' });
    })();
    await t.rejects(writeFileDurably(file, failing, 0o644), { code: 'EBROKE' });
    t.equal(await readFile(file, 'utf8'), 'old\n');
    t.same(await readdir(dir), ['export.jsonl']);
  },
);

t.test(
  'a directory that cannot be written is an error with its code, nothing created',
  async (t) => {
    if (process.getuid?.() === 0) {
      // root writes through 0500; a missing directory gives the same guarantee.
      const dir = await ownTempDir(t);
      await t.rejects(writeFileDurably(path.join(dir, 'missing', 'f'), ['x'], 0o644), {
        code: 'ENOENT',
      });
      t.same(await readdir(dir), []);
      return;
    }
    const dir = await ownTempDir(t);
    await chmod(dir, 0o500);
    t.teardown(() => chmod(dir, 0o700));
    await t.rejects(writeFileDurably(path.join(dir, 'f'), ['x'], 0o644), { code: 'EACCES' });
  },
);

t.test(
  'a temporary name that is there already, a planted symlink or a crash leftover, is never written through',
  async (t) => {
    const dir = await ownTempDir(t);
    const victim = path.join(dir, 'victim');
    await writeFile(victim, 'precious\n');
    const file = path.join(dir, 'status.json');
    // dataDir writable by others: the temporary name is predictable (pid).
    await symlink(victim, `${file}.${process.pid}.tmp`);
    await writeFileDurably(file, ['{"new":1}\n'], 0o644);
    t.equal(await readFile(victim, 'utf8'), 'precious\n', 'what the link pointed to is untouched');
    t.equal(await readFile(file, 'utf8'), '{"new":1}\n');
    t.equal((await lstat(file)).isSymbolicLink(), false, 'the file is a file of its own');
    // A leftover regular file of an earlier process with this pid: replaced as well.
    await writeFile(`${file}.${process.pid}.tmp`, 'half a stat');
    await writeFileDurably(file, ['{"new":2}\n'], 0o644);
    t.equal(await readFile(file, 'utf8'), '{"new":2}\n');
    t.same((await readdir(dir)).sort(), ['status.json', 'victim']);
  },
);
