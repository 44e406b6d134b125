// The buffer's files: which copies set aside are kept for the admin (the
// newest MAX_ASIDE_FILES by when they were set aside, whatever their segment),
// on real files with an injected clock.
import t, { type Test } from 'tap';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../src/base/log.js';
import { SegmentFiles } from '../../src/buffer/segment-files.js';

async function scratch(t: Test): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edge-telemetry-segment-files-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const HIGH = 'segment-00000000000009.etsb';
const LOW = 'segment-00000000000001.etsb';

t.test(
  'a copy of a lower segment made last is kept; the oldest copy goes, whatever its segment',
  async (t) => {
    const dir = await scratch(t);
    let now = 1000;
    const files = new SegmentFiles(dir, silentLogger, () => now);
    await writeFile(path.join(dir, HIGH), 'high');
    await writeFile(path.join(dir, LOW), 'low');
    const copies: (string | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      now += 10;
      copies.push(await files.copyAside(HIGH));
    }
    now += 10;
    const newest = await files.copyAside(LOW);
    t.equal(newest, `${LOW}.1050.corrupt`);
    const kept = (await readdir(dir)).filter((name) => name.endsWith('.corrupt')).sort();
    t.same(
      kept,
      [
        `${LOW}.1050.corrupt`,
        `${HIGH}.1020.corrupt`,
        `${HIGH}.1030.corrupt`,
        `${HIGH}.1040.corrupt`,
      ],
      'the four newest: the first copy of the higher segment went',
    );
    t.same(copies, [
      `${HIGH}.1010.corrupt`,
      `${HIGH}.1020.corrupt`,
      `${HIGH}.1030.corrupt`,
      `${HIGH}.1040.corrupt`,
    ]);
  },
);

t.test('a file renamed aside counts among the same four', async (t) => {
  const dir = await scratch(t);
  let now = 5000;
  const files = new SegmentFiles(dir, silentLogger, () => now);
  for (let i = 0; i < 4; i++) {
    now += 1;
    await writeFile(path.join(dir, HIGH), `high ${i}`);
    await files.copyAside(HIGH);
  }
  now += 1;
  await writeFile(path.join(dir, LOW), 'not a segment');
  await files.setAside(LOW, 'not a buffer segment (bad magic)');
  const names = await readdir(dir);
  t.notOk(names.includes(LOW), 'renamed away');
  t.same(names.filter((name) => name.endsWith('.corrupt')).sort(), [
    `${LOW}.5005.corrupt`,
    `${HIGH}.5002.corrupt`,
    `${HIGH}.5003.corrupt`,
    `${HIGH}.5004.corrupt`,
  ]);
});
