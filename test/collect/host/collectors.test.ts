import t from 'tap';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { coresInUse, parseProcStat } from '../../../src/collect/host/proc-stat.js';
import { kubernetesArch, parseOsRelease } from '../../../src/collect/host/os-release.js';
import { sumDistinctFilesystems } from '../../../src/collect/host/disk.js';
import { cpuUsageCollector } from '../../../src/collect/host/cpu.js';
import { memoryUsageCollector } from '../../../src/collect/host/memory.js';
import { parseMemInfo } from '../../../src/collect/host/meminfo.js';
import { versionCollector, parseMicroShiftVersion } from '../../../src/collect/host/version.js';
import { runCollectors } from '../../../src/collect/run-collectors.js';
import { silentLogger } from '../../../src/base/log.js';
import { tempDir } from '../../helpers/files.js';
import { mkfifo } from '../../helpers/fifo.js';

t.test('/proc/stat parsing and cores in use', async (t) => {
  const first = parseProcStat('cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3 4\n');
  t.same(first, { busy: 200, total: 1000 });
  t.equal(coresInUse(undefined, first, 4), 0.8, 'first sample: average since boot, not 0');
  const second = parseProcStat('cpu  300 0 200 900 100 0 0 0 0 0\n');
  t.equal(coresInUse(first, second, 4), 2.4, '300 busy of 500 jiffies on 4 cores');
  t.equal(coresInUse(second, second, 4), 0, 'no time passed');
  t.throws(() => parseProcStat('intr 1 2 3'), { message: '/proc/stat has no aggregate cpu line' });
});

t.test('cpu collector on a fake host root, then on this machine', async (t) => {
  const root = await tempDir();
  await mkdir(path.join(root, 'proc'));
  await writeFile(path.join(root, 'proc', 'stat'), 'cpu  100 0 100 700 100 0 0 0 0 0\n');
  const collector = cpuUsageCollector({ root }, () => 4);
  const signal = AbortSignal.timeout(5000);
  t.equal((await collector.collect({ signal, timeoutMs: 10_000, nowMs: 1 }))[0]?.value, 0.8);
  await writeFile(path.join(root, 'proc', 'stat'), 'cpu  300 0 200 900 100 0 0 0 0 0\n');
  t.equal((await collector.collect({ signal, timeoutMs: 10_000, nowMs: 2 }))[0]?.value, 2.4);
  const real = cpuUsageCollector({ root: '' });
  const value = (await real.collect({ signal, timeoutMs: 10_000, nowMs: 3 }))[0]?.value ?? -1;
  t.ok(value > 0 && value <= os.cpus().length, `this machine: ${value} cores in use since boot`);
});

t.test(
  '/proc/meminfo parsing: total and available in bytes; the older estimate without MemAvailable',
  async (t) => {
    const meminfo = [
      'MemTotal:        8000000 kB',
      'MemFree:         1000000 kB',
      'MemAvailable:    5000000 kB',
      'Buffers:          200000 kB',
      'Cached:          2000000 kB',
      'Active(anon):     300000 kB',
      'SReclaimable:     100000 kB',
      'HugePages_Total:       0',
      'Hugepagesize:       2048 kB',
      '',
    ].join('\n');
    t.same(parseMemInfo(meminfo), {
      totalBytes: 8_000_000 * 1024,
      availableBytes: 5_000_000 * 1024,
    });
    const before314 = meminfo.replace(/^MemAvailable:.*\n/m, '');
    t.same(
      parseMemInfo(before314),
      {
        totalBytes: 8_000_000 * 1024,
        availableBytes: (1_000_000 + 200_000 + 2_000_000 + 100_000) * 1024,
      },
      'free + buffers + cache',
    );
    t.throws(() => parseMemInfo('MemFree: 1 kB\n'), { message: '/proc/meminfo has no MemTotal' });
    t.throws(() => parseMemInfo(''), { message: '/proc/meminfo has no MemTotal' });
  },
);

t.test(
  'memory collector on a fake host root (exact), then on this machine (agrees with /proc/meminfo)',
  async (t) => {
    const root = await tempDir();
    await mkdir(path.join(root, 'proc'));
    await writeFile(
      path.join(root, 'proc', 'meminfo'),
      'MemTotal:        8000000 kB\nMemFree:  1 kB\nMemAvailable:    5000000 kB\n',
    );
    const signal = AbortSignal.timeout(5000);
    t.same(await memoryUsageCollector({ root }).collect({ signal, timeoutMs: 10_000, nowMs: 7 }), [
      {
        name: 'cluster:memory_usage_bytes:sum',
        labels: {},
        value: 3_000_000 * 1024,
        timestampMs: 7,
      },
    ]);
    await writeFile(path.join(root, 'proc', 'meminfo'), 'MemFree: 1 kB\n');
    await t.rejects(
      memoryUsageCollector({ root }).collect({ signal, timeoutMs: 10_000, nowMs: 8 }),
      { message: '/proc/meminfo has no MemTotal' },
    );

    const value =
      (await memoryUsageCollector({ root: '' }).collect({ signal, timeoutMs: 10_000, nowMs: 1 }))[0]
        ?.value ?? -1;
    const meminfo = await readFile('/proc/meminfo', 'utf8');
    const field = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(meminfo)?.[1]) * 1024;
    const expected = field('MemTotal') - field('MemAvailable');
    t.ok(
      value > 0 && Math.abs(value - expected) < 0.05 * field('MemTotal'),
      `${value} ~ ${expected}`,
    );
  },
);

t.test(
  '/proc and /etc files are read bounded: a FIFO fails at once, an oversized file is refused, each in one line',
  async (t) => {
    const root = await tempDir();
    await mkdir(path.join(root, 'proc'));
    await mkdir(path.join(root, 'etc'));
    // A FIFO with no writer: a plain read would block a pool thread for ever.
    await mkfifo(path.join(root, 'proc', 'meminfo'));
    const signal = AbortSignal.timeout(60_000);
    await t.rejects(
      memoryUsageCollector({ root }).collect({ signal, timeoutMs: 10_000, nowMs: 1 }),
      {
        name: 'FileReadError',
        code: 'ENOTREG',
        message: `${path.join(root, 'proc', 'meminfo')}: not a regular file (a FIFO)`,
      },
    );
    const hugeStat = `cpu  1 2 3 4 5 6 7 8 0 0\n${'x'.repeat(1024 * 1024)}\n`;
    await writeFile(path.join(root, 'proc', 'stat'), hugeStat);
    await t.rejects(
      cpuUsageCollector({ root }, () => 1).collect({ signal, timeoutMs: 10_000, nowMs: 1 }),
      {
        code: 'EFBIG',
        message: `${path.join(root, 'proc', 'stat')}: larger than 1 MiB (${hugeStat.length} bytes)`,
      },
    );
    // os-release is optional: an unreadable one leaves its labels out.
    await writeFile(path.join(root, 'etc', 'os-release'), `ID=rhel\n${'#'.repeat(64 * 1024)}\n`);
    const [point] = await versionCollector(
      { root },
      { deploymentType: async () => 'rpm', version: async () => '4.18.0' },
    ).collect({
      signal,
      timeoutMs: 10_000,
      nowMs: 1,
    });
    t.same(
      point?.labels,
      { version: '4.18.0', deployment_type: 'rpm' },
      'no os_version_id from an oversized os-release',
    );
  },
);

t.test('os-release, arch, disks, version', async (t) => {
  t.same(
    parseOsRelease('NAME="Red Hat Enterprise Linux"\nID="rhel"\nVERSION_ID="9.4"\n# comment\n'),
    {
      NAME: 'Red Hat Enterprise Linux',
      ID: 'rhel',
      VERSION_ID: '9.4',
    },
  );
  t.equal(kubernetesArch('x64'), 'amd64');
  t.equal(kubernetesArch('arm64'), 'arm64');
  t.same(
    sumDistinctFilesystems([
      { device: 1, capacityBytes: 10, usedBytes: 5 },
      { device: 1, capacityBytes: 10, usedBytes: 5 },
      { device: 2, capacityBytes: 3, usedBytes: 1 },
    ]),
    { capacityBytes: 13, usedBytes: 6 },
  );
  t.equal(
    parseMicroShiftVersion('{"major":"4","minor":"18","gitVersion":"v4.18.0-202501"}'),
    '4.18.0-202501',
  );
  t.equal(parseMicroShiftVersion('MicroShift Version: 4.18'), undefined);
  const root = await tempDir();
  await mkdir(path.join(root, 'etc'));
  await writeFile(path.join(root, 'etc', 'os-release'), 'ID=rhel\nVERSION_ID=9.4\n');
  const points = await versionCollector(
    { root },
    { deploymentType: async () => 'microshift-ostree', version: async () => '4.18.3' },
  ).collect({
    signal: AbortSignal.timeout(1000),
    timeoutMs: 1000,
    nowMs: 5,
  });
  t.same(points, [
    {
      name: 'microshift_version',
      labels: { version: '4.18.3', deployment_type: 'microshift-ostree', os_version_id: '9.4' },
      value: 1,
      timestampMs: 5,
    },
  ]);
});

t.test('a hanging or failing collector costs only its own series', async (t) => {
  const result = await runCollectors(
    [
      { name: 'hangs', kind: 'dynamic', help: {}, collect: () => new Promise(() => {}) },
      {
        name: 'throws',
        kind: 'dynamic',
        help: {},
        collect: async () => {
          throw new Error('boom');
        },
      },
      {
        name: 'fine',
        kind: 'dynamic',
        help: {},
        collect: async ({ nowMs }) => [{ name: 'm', labels: {}, value: 1, timestampMs: nowMs }],
      },
    ],
    'dynamic',
    { timeoutMs: 200, signal: new AbortController().signal, log: silentLogger, nowMs: 9 },
  );
  t.same(result.failed, ['hangs', 'throws']);
  t.same(result.points, [{ name: 'm', labels: {}, value: 1, timestampMs: 9 }]);
});

t.test(
  'a hanging filesystem probe is joined, and at most MAX_HANGING_PROBES paths may hang',
  async (t) => {
    const { probeFilesystem, MAX_HANGING_PROBES, PROBE_HANGING_MS } =
      await import('../../../src/collect/host/disk.js');
    t.equal(MAX_HANGING_PROBES, 2);
    const releases: Array<() => void> = [];
    let reads = 0;
    let now = 1_000_000;
    const clock = () => now;
    const hang = () => {
      reads++;
      return new Promise<undefined>((resolve) => releases.push(() => resolve(undefined)));
    };
    const first = probeFilesystem('/dead/nfs-a', hang, clock);
    t.equal(
      probeFilesystem('/dead/nfs-a', hang, clock),
      first,
      'the same running probe, not a second one',
    );
    const second = probeFilesystem('/dead/nfs-b', hang, clock);
    const third = probeFilesystem('/slow/c', hang, clock);
    t.equal(
      reads,
      3,
      'probes merely running do not count as hanging: the default four paths all go',
    );
    now += PROBE_HANGING_MS;
    await t.rejects(
      probeFilesystem('/dead/nfs-d', hang, clock),
      { code: 'EPROBESHANGING' },
      'a fourth path is not probed while three hang',
    );
    t.equal(reads, 3, 'no libuv call added');
    releases.forEach((release) => release());
    await Promise.all([first, second, third]);
    const again = await probeFilesystem('/');
    t.ok(
      again !== undefined && again.capacityBytes > 0,
      'probes run again once the stuck ones returned',
    );
  },
);

t.test('the default four disk paths are all probed in one tick', async (t) => {
  const { diskCollector } = await import('../../../src/collect/host/disk.js');
  for (const kind of ['static', 'dynamic'] as const) {
    const points = await diskCollector(
      ['/var/lib/microshift', '/var/lib/containers', '/var', '/'],
      kind,
    ).collect({
      signal: AbortSignal.timeout(5000),
      timeoutMs: 5000,
      nowMs: 7,
    });
    t.equal(points.length, 1, `${kind}: one point`);
    t.ok((points[0]?.value ?? 0) > 0, `${kind}: bytes`);
  }
});
