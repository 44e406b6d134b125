// Every small file the daemon reads goes through readBoundedFile: what is not
// a regular file, or is too large, is an error value with a code, quickly.
import t from 'tap';
import net from 'node:net';
import { chmod, mkdir, symlink, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readBoundedFile, formatBytes } from '../../src/base/bounded-file.js';
import { mkfifo } from '../helpers/fifo.js';
import { ownTempDir } from '../helpers/files.js';

const LIMITS = { maxBytes: 1024 * 1024, timeoutMs: 5000 };

t.test('a regular file, directly and through a symlink, with its permission bits', async (t) => {
  const dir = await ownTempDir(t);
  await writeFile(path.join(dir, 'id'), 'abc\n', { mode: 0o640 });
  await chmod(path.join(dir, 'id'), 0o640);
  await symlink('id', path.join(dir, 'link'));
  t.same(await readBoundedFile(path.join(dir, 'id'), LIMITS), {
    ok: true,
    text: 'abc\n',
    mode: 0o640,
    uid: process.getuid?.(),
  });
  t.same(
    await readBoundedFile(path.join(dir, 'link'), LIMITS),
    { ok: true, text: 'abc\n', mode: 0o640, uid: process.getuid?.() },
    "the target's mode and owner, not the link's",
  );
  await writeFile(path.join(dir, 'exact'), 'x'.repeat(1024));
  await chmod(path.join(dir, 'exact'), 0o600);
  t.same(
    await readBoundedFile(path.join(dir, 'exact'), { maxBytes: 1024, timeoutMs: 5000 }),
    { ok: true, text: 'x'.repeat(1024), mode: 0o600, uid: process.getuid?.() },
    'exactly the cap is allowed',
  );
  await writeFile(path.join(dir, 'empty'), '');
  await chmod(path.join(dir, 'empty'), 0o644);
  t.same(await readBoundedFile(path.join(dir, 'empty'), LIMITS), {
    ok: true,
    text: '',
    mode: 0o644,
    uid: process.getuid?.(),
  });
});

t.test(
  'what is not a small regular file: one error with a code, never a hang or a large buffer',
  async (t) => {
    const dir = await ownTempDir(t);
    await mkfifo(path.join(dir, 'fifo'));
    // Sparse: 50 MB by size, nothing on disk. Refused from fstat, before any read.
    await writeFile(path.join(dir, 'big'), '');
    await truncate(path.join(dir, 'big'), 50 * 1024 * 1024);
    await writeFile(path.join(dir, 'just-over'), 'x'.repeat(1025));
    await symlink('loop-b', path.join(dir, 'loop-a'));
    await symlink('loop-a', path.join(dir, 'loop-b'));
    await mkdir(path.join(dir, 'directory'));
    const socketPath = path.join(dir, 'socket');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const cases: [string, string, { maxBytes: number; timeoutMs: number }, string, string][] = [
      ['FIFO', path.join(dir, 'fifo'), LIMITS, 'ENOTREG', 'not a regular file (a FIFO)'],
      ['/dev/zero', '/dev/zero', LIMITS, 'ENOTREG', 'not a regular file (a character device)'],
      [
        '50 MB file',
        path.join(dir, 'big'),
        LIMITS,
        'EFBIG',
        `larger than 1 MiB (${50 * 1024 * 1024} bytes)`,
      ],
      [
        'one byte over',
        path.join(dir, 'just-over'),
        { maxBytes: 1024, timeoutMs: 5000 },
        'EFBIG',
        'larger than 1 KiB (1025 bytes)',
      ],
      [
        'symlink loop',
        path.join(dir, 'loop-a'),
        LIMITS,
        'ELOOP',
        'too many levels of symbolic links (a symlink loop?)',
      ],
      ['directory', path.join(dir, 'directory'), LIMITS, 'EISDIR', 'is a directory'],
      ['socket', socketPath, LIMITS, 'ENOTREG', 'not a regular file (a socket?)'],
      ['missing', path.join(dir, 'missing'), LIMITS, 'ENOENT', 'not found'],
    ];
    for (const [name, file, limits, code, reason] of cases) {
      const result = await readBoundedFile(file, limits);
      t.equal(result.ok, false, name);
      if (!result.ok) {
        t.equal(result.error.code, code, `${name}: code`);
        t.equal(result.error.message, `${file}: ${reason}`, `${name}: one line naming the file`);
      }
    }
  },
);

t.test('files that say size 0 (/proc) are read whole, still within the cap', async (t) => {
  const status = await readBoundedFile('/proc/self/status', LIMITS);
  t.equal(status.ok, true);
  if (status.ok) t.match(status.text, /^Name:\t.*\n[^]*VmRSS:/);
  // Larger than the first 4 KiB buffer: it grows.
  const smaps = await readBoundedFile('/proc/self/smaps', LIMITS);
  t.equal(smaps.ok, true);
  if (smaps.ok) t.ok(smaps.text.length > 4096, 'more than the first buffer');
  const capped = await readBoundedFile('/proc/self/status', { maxBytes: 100, timeoutMs: 5000 });
  t.match(capped, {
    ok: false,
    error: { code: 'EFBIG', message: '/proc/self/status: larger than 100 bytes' },
  });
});

t.test('sizes read as an admin writes them', async (t) => {
  t.equal(formatBytes(1024 * 1024), '1 MiB');
  t.equal(formatBytes(4096), '4 KiB');
  t.equal(formatBytes(1000), '1000 bytes');
});
