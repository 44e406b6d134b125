// dataDir/wake.json: what a process of this boot leaves the next one. Written
// and read back through real files; anything else in the file (another
// release's, a truncated write, a hand edit) is no state, never a crash.
import t from 'tap';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  bootMonotonicMs,
  boundedProblemKeys,
  parseWakeState,
  problemScope,
  readWakeState,
  shiftAnchor,
  writeWakeState,
  WAKE_STATE_FILE,
  type WakeState,
} from '../../src/agent/wake-state.js';
import { readBootId } from '../../src/base/boot-id.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'edge-telemetry-wake-state-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

const STATE: WakeState = {
  format: 1,
  bootId: '4ac1d09c-ba02-4f4a-b5ae-b6b7c8166233',
  splayMs: 1234,
  schedule: {
    nextSampleAt: 5_000_000.5,
    nextSendAt: 5_200_000,
    sendDueAt: 5_015_000,
    reported: true,
  },
  cpu: { busy: 13_241, total: 1_031_050 },
  setAside: { primary: { firstSeq: 42, times: 2 } },
  problems: { scope: '3b1f0c2a', keys: ['api', 'resource:routes.route.openshift.io'] },
};

t.test('written durably and read back as written, root-only', async (t) => {
  await writeWakeState(dir, STATE);
  t.same(await readWakeState(dir), STATE);
  t.same(await readWakeState(dir), { ...STATE }, 'twice alike');
  const { mode } = await import('node:fs/promises').then((fs) =>
    fs.stat(path.join(dir, WAKE_STATE_FILE)),
  );
  t.equal(mode & 0o777, 0o600);
  await writeWakeState(dir, { ...STATE, stopped: true });
  t.equal((await readWakeState(dir))?.stopped, true, 'a clean stop is said');
  await writeWakeState(dir, { ...STATE, statusUnwritable: true });
  t.equal((await readWakeState(dir))?.statusUnwritable, true, 'a status file already warned of');
  await writeFile(
    path.join(dir, WAKE_STATE_FILE),
    JSON.stringify({ ...STATE, stopped: 'yes', statusUnwritable: 1 }),
  );
  t.same(await readWakeState(dir), STATE, 'either one only when true');
});

t.test('anything but a state this version writes is no state', async (t) => {
  const file = path.join(dir, WAKE_STATE_FILE);
  for (const text of [
    '',
    '{',
    'null',
    '[]',
    JSON.stringify({ ...STATE, format: 2 }),
    JSON.stringify({ ...STATE, bootId: 7 }),
    JSON.stringify({ ...STATE, splayMs: -1 }),
    JSON.stringify({ ...STATE, schedule: null }),
    JSON.stringify({ ...STATE, schedule: { ...STATE.schedule, nextSampleAt: 'soon' } }),
    'x'.repeat(100 * 1024),
  ]) {
    await writeFile(file, text);
    t.equal(await readWakeState(dir), undefined, text.slice(0, 60));
  }
  await rm(file);
  t.equal(await readWakeState(dir), undefined, 'missing');
});

t.test('a byte flipped inside a valid state: no state, by its CRC-32', async (t) => {
  const file = path.join(dir, WAKE_STATE_FILE);
  await writeWakeState(dir, STATE);
  const written = await readFile(file, 'utf8');
  t.match(written, /,"crc":"[0-9a-f]{8}"\}\n$/, 'the CRC is the last key');
  const parsed = JSON.parse(written) as { crc: string };
  t.same(parsed, { ...STATE, crc: parsed.crc }, 'still one JSON object');
  // A digit of the next send (5200000 -> 5900000: a send 700 s late), still a valid state.
  const flipped = written.replace('"nextSendAt":5200000', '"nextSendAt":5900000');
  t.not(flipped, written);
  await writeFile(file, flipped);
  t.equal(await readWakeState(dir), undefined, 'the changed digit is seen');
  await writeFile(file, written.replace('"busy":13241', '"busy":13243'));
  t.equal(await readWakeState(dir), undefined, 'so is one in the CPU reading');
  await writeFile(file, written.replace(/"crc":"([0-9a-f]{8})"/, '"crc":"00000000"'));
  t.equal(await readWakeState(dir), undefined, "and a CRC that is not the state's");
  await writeFile(file, JSON.stringify(STATE));
  t.same(await readWakeState(dir), STATE, "an earlier release's file, with no CRC, as it is");
  await writeFile(file, written);
  t.same(await readWakeState(dir), STATE, 'the file as written reads back');
});

t.test('a bad CPU reading or set-aside entry is left out, the schedule kept', async (t) => {
  const parsed = parseWakeState({
    ...STATE,
    cpu: { busy: 'x', total: 1 },
    setAside: { primary: { firstSeq: -1, times: 1 }, other: { firstSeq: 3, times: 1 } },
  });
  t.same(parsed, {
    format: 1,
    bootId: STATE.bootId,
    splayMs: STATE.splayMs,
    schedule: STATE.schedule,
    setAside: { other: { firstSeq: 3, times: 1 } },
    problems: STATE.problems,
  });
  t.notOk(parsed !== undefined && 'cpu' in parsed, 'no cpu key');
});

t.test(
  'anchors move between a process clock and the boot clock without losing a millisecond',
  async (t) => {
    const processNow = 1000;
    const bootNow = 9_000_000;
    const onBoot = shiftAnchor(
      { nextSampleAt: 61_000, nextSendAt: 301_000, sendDueAt: 16_000, reported: true },
      processNow,
      bootNow,
    );
    t.same(onBoot, {
      nextSampleAt: 9_060_000,
      nextSendAt: 9_300_000,
      sendDueAt: 9_015_000,
      reported: true,
    });
    t.same(
      shiftAnchor(onBoot, bootNow, processNow),
      { nextSampleAt: 61_000, nextSendAt: 301_000, sendDueAt: 16_000, reported: true },
      'and back',
    );
    t.same(shiftAnchor({ nextSampleAt: undefined, nextSendAt: undefined }, 0, 5), {
      nextSampleAt: undefined,
      nextSendAt: undefined,
      reported: false,
    });
  },
);

t.test('the problems warned about: keys only, bounded in number and length', async (t) => {
  const withoutProblems: WakeState = { ...STATE };
  delete (withoutProblems as { problems?: unknown }).problems;
  const withProblems = (problems: unknown) => parseWakeState({ ...withoutProblems, problems });
  t.same(withProblems(undefined), withoutProblems, 'none: no problems');
  t.same(withProblems(['api']), withoutProblems, 'not the shape this version writes: none');
  t.same(withProblems({ keys: ['api'] }), withoutProblems, 'without what they are about: none');
  t.same(
    withProblems({ scope: '', keys: ['api', 7, '', 'x'.repeat(513), 'x'.repeat(512), null] }),
    { ...withoutProblems, problems: { scope: '', keys: ['api', 'x'.repeat(512)] } },
    'keys that are not strings of 1 to 512 characters are left out',
  );
  const many = Array.from({ length: 300 }, (_, i) => `resource-${i}`);
  t.same(boundedProblemKeys(many), many.slice(0, 64), 'at most 64');
  t.same(
    withProblems({ scope: 'k', keys: many }),
    { ...withoutProblems, problems: { scope: 'k', keys: many.slice(0, 64) } },
    'read back as bounded',
  );
  // The longest key the daemon makes: "resource:" and a plural (63) "." a group (253).
  const longest = `resource:${'p'.repeat(63)}.${'g'.repeat(253)}`;
  const keys = boundedProblemKeys([
    longest,
    ...Array.from({ length: 400 }, (_, i) => `${longest}${i}`),
  ]);
  await writeWakeState(dir, { ...STATE, problems: { scope: 'k', keys } });
  const read = await readWakeState(dir);
  t.equal(read?.problems?.keys.length, 64, 'the most the writer writes is read back whole');
  t.equal(read?.problems?.keys[0], longest, 'the longest key the daemon makes among them');
  t.equal(
    read?.schedule.nextSendAt,
    STATE.schedule.nextSendAt,
    'and the rest of the state with them',
  );
});

t.test('what the problems are about: the kubeconfig and extraResources', async (t) => {
  const config = { kubeconfig: '/k', extraResources: [] };
  const scope = problemScope(config);
  t.equal(problemScope({ ...config }), scope, 'the same config, the same scope');
  t.not(problemScope({ ...config, kubeconfig: '/other' }), scope, 'another kubeconfig, another');
  t.not(
    problemScope({
      ...config,
      extraResources: [{ group: 'example.com', version: 'v1', resource: 'widgets' }],
    }),
    scope,
    'another extraResources, another',
  );
});

t.test("the boot clock and the kernel's boot id", async (t) => {
  const a = bootMonotonicMs();
  const b = bootMonotonicMs();
  t.ok(b >= a, 'monotonic');
  // CLOCK_MONOTONIC counts from boot: /proc/uptime (CLOCK_BOOTTIME) is never behind it.
  const uptimeMs = Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]) * 1000;
  t.ok(a <= uptimeMs + 10, `boot clock ${a} ms, uptime ${uptimeMs} ms`);
  t.match(await readBootId(), /^[0-9a-f-]{36}$/, 'this machine has one');
  const fake = path.join(dir, 'boot_id');
  await writeFile(fake, 'not an id; rm -rf /\n');
  t.equal(await readBootId(fake), undefined, 'a file that is not an id');
  t.equal(await readBootId(path.join(dir, 'none')), undefined, 'no file');
});
