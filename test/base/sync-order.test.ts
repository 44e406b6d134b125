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
      // Classes, not names, for the file calls: aarch64 has no open, rename or access, only their *at forms.
      'trace=%file,fsync,fdatasync,write,writev,pwrite64,pwritev,pwritev2',
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

const isSync = (call: Call, fd: string | undefined) =>
  (call.name === 'fsync' || call.name === 'fdatasync') && call.args === fd;
const isOpenOf = (call: Call, text: string) =>
  call.name === 'openat' && call.args.includes(text) && /^\d+$/.test(call.result);

t.test('a durable replace: fsync of the new file, rename, fsync of the directory', async (t) => {
  const dir = await ownTempDir(t);
  const calls = await traced(
    t,
    `import { replaceFile } from ${JSON.stringify(path.join(DIST, 'base/durable-file.js'))};
await replaceFile(${JSON.stringify(path.join(dir, 'state.json'))}, ['{"a":1}\\n'], 0o600, { durable: true });
`,
  );
  const renameAt = calls.findIndex(
    (call) =>
      call.name.startsWith('rename') &&
      call.args.includes(`"${path.join(dir, 'state.json')}"`) &&
      call.result === '0',
  );
  t.ok(renameAt > 0, 'the rename over state.json');
  // Fds are reused (the temporary file, the directory and the next file may all be 18): only calls after each open count.
  const openedAt = calls.findIndex((call) => isOpenOf(call, `"${path.join(dir, 'state.json.')}`));
  const temporaryFd = calls[openedAt]?.result;
  t.ok(openedAt >= 0 && openedAt < renameAt, `the temporary file opened first: fd ${temporaryFd}`);
  t.ok(
    calls.slice(openedAt + 1, renameAt).some((call) => isSync(call, temporaryFd)),
    'its data synced after it was opened, before the rename',
  );
  const after = calls.slice(renameAt + 1);
  const directoryAt = after.findIndex((call) => isOpenOf(call, `"${dir}"`));
  const directoryFd = after[directoryAt]?.result;
  t.ok(
    directoryAt >= 0 && after.slice(directoryAt + 1).some((call) => isSync(call, directoryFd)),
    `its directory opened and synced after it (fd ${directoryFd})`,
  );
});

t.test('a buffer append: the segment it wrote is synced before the append resolves', async (t) => {
  const dir = await ownTempDir(t);
  const calls = await traced(
    t,
    `import { DiskSampleBuffer } from ${JSON.stringify(path.join(DIST, 'buffer/disk-buffer.js'))};
import { silentLogger } from ${JSON.stringify(path.join(DIST, 'base/log.js'))};
import { closeSync, openSync } from 'node:fs';
const buffer = await DiskSampleBuffer.open({ dir: ${JSON.stringify(path.join(dir, 'buffer'))}, bounds: { maxSamples: 1000, maxAgeMs: 1e12 }, log: silentLogger });
await buffer.append([{ name: 'cluster:capacity_cpu_cores:sum', labels: {}, value: 2, timestampMs: Date.now() }]);
closeSync(openSync(${JSON.stringify(path.join(dir, 'appended'))}, 'w'));
await buffer.close();
`,
  );
  // The open of the file written on the line after the append: what comes before it is the append's.
  const marker = calls.findIndex((call) => isOpenOf(call, `"${path.join(dir, 'appended')}"`));
  t.ok(marker > 0, 'the line after the append');
  const before = calls.slice(0, marker);
  const segmentAt = before.findLastIndex(
    (call) => isOpenOf(call, `"${path.join(dir, 'buffer')}/`) && /O_WRONLY|O_RDWR/.test(call.args),
  );
  const segmentFd = before[segmentAt]?.result;
  t.ok(segmentAt >= 0, `the segment opened for writing: fd ${segmentFd}`);
  // The append's own bytes: the last write to the segment before that line, then a sync of it.
  const lastWrite = before.findLastIndex(
    (call) => /write/.test(call.name) && call.args.startsWith(`${segmentFd},`),
  );
  t.ok(lastWrite > segmentAt, 'the append wrote to the segment');
  t.ok(
    before.slice(lastWrite + 1).some((call) => isSync(call, segmentFd)),
    'and synced it after that write, before the append resolved',
  );
});
