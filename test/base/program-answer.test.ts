// askProgram: real programs (shell scripts that count their runs) on a PATH of
// real directories, and the kept answer in a real file. What is counted is the
// spawns, since what the cache is for is not paying them.
import t from 'tap';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { askProgram, findOnPath, type ProgramQuestion } from '../../src/base/program-answer.js';
import { ownTempDir } from '../helpers/files.js';

async function setUp(t: Parameters<typeof ownTempDir>[0]) {
  const dir = await ownTempDir(t);
  const bin = path.join(dir, 'bin');
  await mkdir(bin);
  const runs = path.join(dir, 'runs.txt');
  /** A `tool` in bin printing `output` and exiting `code`, written beside and renamed in, as a package update does. */
  const install = async (output: string, code = 0, directory = bin) => {
    const next = path.join(directory, '.tool.new');
    await writeFile(
      next,
      `#!/bin/sh\necho run >> ${runs}\nprintf '%s' '${output}'\nexit ${code}\n`,
      { mode: 0o755 },
    );
    await rename(next, path.join(directory, 'tool'));
  };
  const runCount = async () =>
    (await readFile(runs, 'utf8').catch(() => '')).split('\n').filter((line) => line !== '').length;
  const keeping = { file: path.join(dir, 'tool-answer.json'), bootId: 'boot-a' };
  return { dir, bin, install, runCount, keeping };
}

const question = (overrides: Partial<ProgramQuestion> = {}): ProgramQuestion => ({
  program: 'tool',
  args: ['version'],
  timeoutMs: 5000,
  maxOutputBytes: 1024,
  read: (stdout) => (stdout.startsWith('v') ? stdout.slice(1) : undefined),
  accepts: (answer) => /^[0-9.]+$/.test(answer),
  ...overrides,
});

t.test('a program not on PATH is not run, and nothing is kept', async (t) => {
  const { bin, runCount, keeping, dir, install } = await setUp(t);
  t.equal(await askProgram(question(), { keeping, searchPath: bin }), undefined);
  // One in the working directory, reachable only through a relative PATH entry.
  const here = path.join(dir, 'here');
  await mkdir(here);
  await install('v9', 0, here);
  const cwd = process.cwd();
  process.chdir(here);
  try {
    t.equal(await askProgram(question(), { keeping, searchPath: `:.:${bin}` }), undefined);
  } finally {
    process.chdir(cwd);
  }
  t.equal(await runCount(), 0, 'never spawned: relative PATH entries are not searched');
  t.equal(await readFile(keeping.file, 'utf8').catch(() => 'none'), 'none');
});

t.test('asked once, then read from the kept file until the program is replaced', async (t) => {
  const { bin, install, runCount, keeping } = await setUp(t);
  await install('v4.18.0');
  t.equal(await askProgram(question(), { keeping, searchPath: bin }), '4.18.0');
  t.equal(await askProgram(question(), { keeping, searchPath: bin }), '4.18.0');
  t.equal(await askProgram(question(), { keeping, searchPath: bin }), '4.18.0');
  t.equal(await runCount(), 1, 'one spawn for three questions');
  const kept = JSON.parse(await readFile(keeping.file, 'utf8')) as Record<string, unknown>;
  t.match(kept, { file: path.join(bin, 'tool'), question: 'tool version', answer: '4.18.0' });

  await install('v4.19.1');
  t.equal(await askProgram(question(), { keeping, searchPath: bin }), '4.19.1', 'the new binary');
  t.equal(await askProgram(question(), { keeping, searchPath: bin }), '4.19.1');
  t.equal(await runCount(), 2, 'asked again once, after the update');
});

t.test('another boot, question or place on PATH is asked afresh', async (t) => {
  const { bin, install, runCount, keeping: bootA, dir } = await setUp(t);
  const keeping = { ...bootA, bootId: 'boot-b' };
  await install('v1');
  await askProgram(question(), { keeping: bootA, searchPath: bin });
  await askProgram(question(), { keeping: bootA, searchPath: bin });
  t.equal(await runCount(), 1);
  await askProgram(question(), { keeping, searchPath: bin });
  t.equal(await runCount(), 2, 'a new boot');
  await askProgram(question({ args: ['version', '-o', 'json'] }), {
    keeping,
    searchPath: bin,
  });
  t.equal(await runCount(), 3, 'other arguments');
  const other = path.join(dir, 'other');
  await mkdir(other);
  await install('v1', 0, other);
  const answer = await askProgram(question({ args: ['version', '-o', 'json'] }), {
    keeping,
    searchPath: `${other}:${bin}`,
  });
  t.equal(answer, '1');
  t.equal(await runCount(), 4, 'another file found first on PATH');
});

t.test('a failure, a timeout or an answerless output is not kept', async (t) => {
  const { bin, install, runCount, keeping } = await setUp(t);
  await install('v2', 3);
  t.equal(await askProgram(question(), { keeping, searchPath: bin }), undefined, 'exit 3');
  t.equal(await askProgram(question(), { keeping, searchPath: bin }), undefined);
  t.equal(await runCount(), 2, 'a failing program is asked each time');
  await install('not a version');
  t.equal(await askProgram(question(), { keeping, searchPath: bin }), undefined, 'no answer in it');
  t.equal(await askProgram(question(), { keeping, searchPath: bin }), undefined);
  t.equal(await runCount(), 4);
  t.equal(await readFile(keeping.file, 'utf8').catch(() => 'none'), 'none', 'nothing kept');

  // Each prints an answer, then waits: only a kill at the timeout or the stop keeps it from answering.
  const started = path.join(bin, 'started');
  const slow = path.join(bin, 'slow');
  await writeFile(slow, `#!/bin/sh\nprintf v7\n: > ${started}\nexec sleep 30\n`, { mode: 0o755 });
  t.equal(
    await askProgram(question({ program: 'slow', timeoutMs: 100 }), { keeping, searchPath: bin }),
    undefined,
    'killed at its timeout',
  );
  await rm(started);
  const stopping = new AbortController();
  const asking = askProgram(question({ program: 'slow' }), {
    keeping,
    searchPath: bin,
    signal: stopping.signal,
  });
  while (!existsSync(started)) await new Promise((resolve) => setTimeout(resolve, 10));
  stopping.abort();
  t.equal(await asking, undefined, 'and at a stop, once it runs');
  await rm(started);
  t.equal(
    await askProgram(question({ program: 'slow' }), {
      keeping,
      searchPath: bin,
      signal: AbortSignal.abort(),
    }),
    undefined,
    'a stop before the spawn',
  );
  t.notOk(existsSync(started), 'spawns nothing');
  t.equal(await readFile(keeping.file, 'utf8').catch(() => 'none'), 'none', 'nothing kept');
});

t.test('an answer that may not be kept is asked each time', async (t) => {
  const { bin, install, runCount, keeping } = await setUp(t);
  await install('v4.18-beta');
  t.equal(await askProgram(question(), { keeping, searchPath: bin }), '4.18-beta', 'answered');
  t.equal(await askProgram(question(), { keeping, searchPath: bin }), '4.18-beta');
  t.equal(await runCount(), 2, 'not kept: outside what accepts takes');
  t.equal(await readFile(keeping.file, 'utf8').catch(() => 'none'), 'none');
});

t.test('a kept file that is torn, altered, not ours or a symlink is asked past', async (t) => {
  const { bin, install, runCount, keeping, dir } = await setUp(t);
  await install('v3');
  t.equal(await askProgram(question(), { keeping, searchPath: bin }), '3');
  const good = await readFile(keeping.file, 'utf8');
  const kept = JSON.parse(good) as Record<string, unknown>;
  t.equal(await askProgram(question(), { keeping, searchPath: bin }), '3');
  t.equal(await runCount(), 1, 'the kept file as written is read');
  const cases = [
    ['torn', good.slice(0, 40)],
    ['not an object', '"4.18"'],
    ['an answer that is no string', JSON.stringify({ ...kept, answer: 3 })],
    ['a boot id that is no string', JSON.stringify({ ...kept, bootId: 5 })],
    ['an answer that accepts refuses', JSON.stringify({ ...kept, answer: '3; rm -rf /' })],
  ] as const;
  for (const [name, content] of cases) {
    await writeFile(keeping.file, content);
    t.equal(await askProgram(question(), { keeping, searchPath: bin }), '3', name);
  }
  t.equal(await runCount(), 1 + cases.length, 'each asked afresh');
  const forged = JSON.stringify({ ...kept, answer: '666' });
  await writeFile(keeping.file, forged, { mode: 0o666 });
  await chmod(keeping.file, 0o666);
  t.equal(await askProgram(question(), { keeping, searchPath: bin }), '3', 'one others may write');
  let asked = 4 + cases.length;
  // Another user's file: only root can make one here.
  if (process.getuid?.() === 0) {
    await writeFile(keeping.file, forged);
    await chmod(keeping.file, 0o644);
    await chown(keeping.file, 65534, 65534);
    t.equal(await askProgram(question(), { keeping, searchPath: bin }), '3', "another user's");
  } else asked--;
  // A symlink to a file claiming another answer for this very program: not followed.
  const planted = path.join(dir, 'planted.json');
  await writeFile(planted, forged);
  await rm(keeping.file);
  await symlink(planted, keeping.file);
  t.equal(await askProgram(question(), { keeping, searchPath: bin }), '3', 'the link is not read');
  t.equal(await runCount(), asked);
});

t.test('without keeping, asked every time; the first executable file on PATH wins', async (t) => {
  const { bin, install, runCount, dir } = await setUp(t);
  await install('v5');
  await askProgram(question(), { searchPath: bin });
  await askProgram(question(), { searchPath: bin });
  t.equal(await runCount(), 2);
  const first = path.join(dir, 'first');
  await mkdir(path.join(first, 'tool'), { recursive: true });
  const second = path.join(dir, 'second');
  await mkdir(second);
  await writeFile(path.join(second, 'tool'), 'not executable', { mode: 0o644 });
  t.equal(
    (await findOnPath('tool', `${first}:${second}:${bin}`))?.file,
    path.join(bin, 'tool'),
    'a directory and a file without x are passed over',
  );
  t.equal(await findOnPath('tool', `${first}:${second}`), undefined);
});
