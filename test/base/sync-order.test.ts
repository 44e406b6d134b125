// What reaches the disk before the daemon counts on it, seen as the kernel
// sees it: the built code (dist/) in a child Node.js under strace, its system
// calls in order. A SIGKILL leaves the page cache intact, so no crash test can
// tell a missing fsync; a power cut would. Checked here: a durable replace
// syncs the temporary file before the rename and the directory after it, and
// a buffer append syncs what it wrote to its segment before it resolves.
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ownTempDir } from '../helpers/files.js';

const run = promisify(execFile);
const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist');

interface Call {
  readonly name: string;
  readonly args: string;
  readonly result: string;
}

/** strace -f lines ("PID name(args) = result"), unfinished and resumed halves joined by PID. */
function parseCalls(log: string): Call[] {
  const calls: Call[] = [];
  const pending = new Map<string, string>();
  for (const line of log.split('\n')) {
    const unfinished = /^(\d+) +(.*) <unfinished \.\.\.>$/.exec(line);
    if (unfinished) {
      pending.set(unfinished[1] as string, unfinished[2] as string);
      continue;
    }
    const resumed = /^(\d+) +<\.\.\. \w+ resumed>(.*)$/.exec(line);
    const whole = resumed
      ? `${pending.get(resumed[1] as string) ?? ''}${resumed[2] as string}`
      : /^\d+ +(.*)$/.exec(line)?.[1];
    const call = whole === undefined ? null : /^(\w+)\((.*)\) += (.*)$/.exec(whole);
    if (call)
      calls.push({ name: call[1] as string, args: call[2] as string, result: call[3] as string });
  }
  return calls;
}

async function traced(t: Parameters<typeof ownTempDir>[0], script: string): Promise<Call[]> {
  const dir = await ownTempDir(t);
  const child = path.join(dir, 'child.mjs');
  await writeFile(child, script);
  const log = path.join(dir, 'strace.log');
  await run(
    'strace',
    [
      '-f',
      '-qq',
      '-e',
      'trace=openat,fsync,fdatasync,rename,renameat,renameat2,access,write,writev,pwrite64,pwritev,pwritev2',
      '-o',
      log,
      process.execPath,
      child,
      dir,
    ],
    { timeout: 60_000 },
  );
  return parseCalls(await readFile(log, 'utf8'));
}

const fdOpened = (calls: Call[], file: string): string | undefined =>
  calls.find((call) => call.name === 'openat' && call.args.includes(file))?.result;
const isSync = (call: Call, fd: string) =>
  (call.name === 'fsync' || call.name === 'fdatasync') && call.args === fd;

t.test('a durable replace: fsync of the new file, rename, fsync of the directory', async (t) => {
  const calls = await traced(
    t,
    `import { replaceFile } from ${JSON.stringify(path.join(DIST, 'base/durable-file.js'))};
const file = process.argv[2] + '/state.json';
await replaceFile(file, ['{"a":1}\\n'], 0o600, { durable: true });
`,
  );
  const renameAt = calls.findIndex(
    (call) =>
      call.name.startsWith('rename') && call.args.includes('state.json.') && call.result === '0',
  );
  t.ok(renameAt > 0, 'the rename over state.json');
  const temporaryFd = fdOpened(calls.slice(0, renameAt), 'state.json.');
  t.ok(
    temporaryFd !== undefined && /^\d+$/.test(temporaryFd),
    `the temporary file: fd ${temporaryFd}`,
  );
  t.ok(
    calls.slice(0, renameAt).some((call) => isSync(call, temporaryFd as string)),
    'its data synced before the rename',
  );
  const after = calls.slice(renameAt + 1);
  const directoryFd = after.find(
    (call) => call.name === 'openat' && /O_DIRECTORY|O_RDONLY/.test(call.args),
  )?.result;
  t.ok(
    directoryFd !== undefined && after.some((call) => isSync(call, directoryFd)),
    `the directory synced after it (fd ${directoryFd})`,
  );
});

t.test('a buffer append: the segment it wrote is synced before the append resolves', async (t) => {
  const calls = await traced(
    t,
    `import { DiskSampleBuffer } from ${JSON.stringify(path.join(DIST, 'buffer/disk-buffer.js'))};
import { silentLogger } from ${JSON.stringify(path.join(DIST, 'base/log.js'))};
import { accessSync } from 'node:fs';
const dir = process.argv[2] + '/buffer';
const buffer = await DiskSampleBuffer.open({ dir, bounds: { maxSamples: 1000, maxAgeMs: 1e12 }, log: silentLogger });
accessSync(dir);
await buffer.append([{ name: 'cluster:capacity_cpu_cores:sum', labels: {}, value: 2, timestampMs: Date.now() }]);
try { accessSync(dir + '/appended'); } catch {}
await buffer.close();
`,
  );
  const marker = calls.findIndex(
    (call) => call.name === 'access' && call.args.includes('/appended"'),
  );
  t.ok(marker > 0, 'the line after the append');
  const opened = calls
    .slice(0, marker)
    .filter(
      (call) =>
        call.name === 'openat' &&
        /\/buffer\/[^"]+"/.test(call.args) &&
        /O_CREAT|O_WRONLY|O_RDWR/.test(call.args),
    );
  const segmentFd = opened.at(-1)?.result;
  t.ok(segmentFd !== undefined && /^\d+$/.test(segmentFd), `the segment: fd ${segmentFd}`);
  // The append's own bytes: the last write to the segment before the line after the append, then a sync of it.
  const before = calls.slice(0, marker);
  const lastWrite = before.findLastIndex(
    (call) => /write/.test(call.name) && call.args.startsWith(`${segmentFd as string},`),
  );
  t.ok(lastWrite > 0, 'the append wrote to the segment');
  t.ok(
    before.slice(lastWrite + 1).some((call) => isSync(call, segmentFd as string)),
    'and synced it after that write, before the append resolved',
  );
});
