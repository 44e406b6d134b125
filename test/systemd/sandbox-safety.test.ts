// The systemd sandbox must leave the host exactly as it was: its /tmp (the
// trap: systemd-tmpfiles --remove empties it), its units (none may start), its
// /etc, /usr/local and /var, its mounts and its cgroups. Needs root and
// namespaces; skips with the reason elsewhere.
import t from 'tap';
import { existsSync } from 'node:fs';
import { lstat, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SystemdSandbox, isRunning, sandboxUnavailable } from '../helpers/systemd-sandbox.js';

/** path, type, size and mtime of every entry below `root` (nothing when it does not exist). */
async function snapshot(root: string): Promise<string[]> {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      const stat = await lstat(file);
      out.push(`${file} ${stat.mode.toString(8)} ${stat.size} ${stat.mtimeMs}`);
      if (entry.isDirectory()) await walk(file);
    }
  };
  await walk(root);
  return out.sort();
}

/** Units the host has enabled (its *.wants directories) that run something: each would start at a plain boot. */
async function hostEnabledUnits(): Promise<string[]> {
  const units = new Set<string>();
  for (const entry of await readdir('/etc/systemd/system', { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.endsWith('.wants')) continue;
    // Targets run nothing and stay unmasked (a service's default dependencies need them).
    for (const unit of await readdir(path.join('/etc/systemd/system', entry.name)))
      if (!unit.endsWith('.target')) units.add(unit);
  }
  return [...units].sort();
}

const unavailable = await sandboxUnavailable();
if (unavailable !== undefined) {
  t.plan(0, `systemd sandbox tests need root and namespaces: ${unavailable}`);
} else {
  t.test('a sandbox boot leaves the host as it was', async (t) => {
    const markerDir = await mkdtemp(path.join('/tmp', 'edge-telemetry-marker-'));
    t.teardown(() => rm(markerDir, { recursive: true, force: true }));
    const marker = path.join(markerDir, 'marker');
    await writeFile(marker, 'still here\n');
    // Every path, mode, size and mtime below what a boot or an install writes.
    const watched = [
      '/etc/systemd/system',
      '/etc/edge-telemetry',
      '/usr/local',
      '/var/lib',
      '/var/log/journal',
    ];
    const before = await Promise.all(watched.map(snapshot));

    const sandbox = await SystemdSandbox.boot();
    t.teardown(() => sandbox.shutdown());

    // Only journald runs: no host service, socket, timer or path unit is active.
    const active = await sandbox.systemctl(
      'list-units',
      '--all',
      '--plain',
      '--no-legend',
      '--state=active,activating,reloading,deactivating',
      '--type=service,socket,timer,path,swap,automount',
    );
    t.equal(active.code, 0, active.stderr);
    t.same(
      active.stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.split(/\s+/)[0])
        .sort(),
      ['systemd-journald-dev-log.socket', 'systemd-journald.service', 'systemd-journald.socket'],
      'only journald and its sockets are active',
    );
    const enabled = await hostEnabledUnits();
    t.ok(enabled.length > 0, `the host has enabled units: ${enabled.join(' ')}`);
    for (const unit of enabled)
      t.equal(await sandbox.property(unit, 'LoadState'), 'masked', `${unit} is masked`);
    const start = await sandbox.systemctl('start', enabled[0]!);
    t.not(start.code, 0, `starting ${enabled[0]} is refused`);
    t.match(start.stderr, /masked/);
    t.same(
      (await sandbox.run(['ls', '/run/systemd'])).stdout
        .split('\n')
        .filter((name) => name.startsWith('generator')),
      [],
      'no generator ran',
    );

    // The trap itself, exactly as systemd-tmpfiles-setup.service runs it: it empties the sandbox's /tmp only.
    await sandbox.run(['touch', '/tmp/sandbox-probe']);
    const tmpfiles = await sandbox.run([
      'systemd-tmpfiles',
      '--create',
      '--remove',
      '--boot',
      '--exclude-prefix=/dev',
    ]);
    t.comment(`systemd-tmpfiles exit ${String(tmpfiles.code)} (entries for read-only paths fail)`);
    t.equal(
      (await sandbox.run(['test', '-e', '/tmp/sandbox-probe'])).code,
      1,
      'tmpfiles emptied the sandbox /tmp',
    );
    t.equal(
      await readFile(marker, 'utf8'),
      'still here\n',
      'the host /tmp marker survived tmpfiles --remove',
    );
    t.equal(
      (await sandbox.run(['test', '-e', marker])).code,
      1,
      'the host /tmp is not visible inside',
    );

    // Writes to the overlaid trees land in the sandbox only; everything else is read-only.
    const probes = [
      '/etc/systemd/system/sandbox-probe.service',
      '/usr/local/bin/sandbox-probe',
      '/var/lib/sandbox-probe',
      '/root/sandbox-probe',
    ];
    for (const probe of probes) {
      const write = await sandbox.run(['sh', '-c', 'echo probe >"$1" && cat "$1"', 'sh', probe]);
      t.equal(write.stdout, 'probe\n', `${probe} is writable inside`);
      t.notOk(existsSync(probe), `${probe} is not on the host`);
    }
    for (const readOnly of [
      '/usr/bin/sandbox-probe',
      '/opt/sandbox-probe',
      '/home/sandbox-probe',
    ]) {
      const write = await sandbox.run(['touch', readOnly]);
      t.not(write.code, 0, `${readOnly} cannot be written`);
      t.match(write.stderr, /Read-only file system/);
    }
    const shared = path.join(sandbox.shareDir, 'from-inside');
    t.equal((await sandbox.run(['sh', '-c', 'echo shared >"$1"', 'sh', shared])).code, 0);
    t.equal(
      await readFile(shared, 'utf8'),
      'shared\n',
      'share/ is the same directory inside and out',
    );

    // systemd's cgroups are below the sandbox's own directory.
    t.equal(
      (await sandbox.run(['cat', '/proc/1/cgroup'])).stdout
        .split('\n')
        .find((line) => line.startsWith('0::')),
      '0::/init.scope',
    );
    t.ok(
      existsSync(path.join(sandbox.cgroupDir, 'init.scope')),
      'init.scope is inside the sandbox cgroup on the host',
    );
    t.ok(
      existsSync(path.join(sandbox.cgroupDir, 'system.slice', 'systemd-journald.service')),
      'so is journald',
    );
    const journald = await sandbox.hostPid(await sandbox.mainPid('systemd-journald.service'));
    t.equal(
      (await readFile(`/proc/${journald}/comm`, 'utf8')).trim(),
      'systemd-journal',
      'hostPid maps a MainPID to the host PID',
    );
    const journal = await sandbox.journal('systemd-journald.service');
    t.ok(journal.length > 0, 'the journal can be read');

    const { pid, cgroupDir, dir } = sandbox;
    await sandbox.shutdown();
    t.notOk(isRunning(pid), 'PID 1 is gone');
    t.notOk(existsSync(cgroupDir), 'the cgroup directory is removed');
    t.notOk(existsSync(dir), 'the temp directory is removed');
    t.notMatch(
      await readFile('/proc/self/mountinfo', 'utf8'),
      dir,
      'no mount of the sandbox is left on the host',
    );
    t.equal(await readFile(marker, 'utf8'), 'still here\n', 'the host /tmp marker is still there');
    const after = await Promise.all(watched.map(snapshot));
    watched.forEach((root, index) => t.same(after[index], before[index], `${root} unchanged`));
    await sandbox.shutdown(); // twice is fine
  });

  t.test(
    'when unshare dies (its parent-death signal fires when the test process dies), PID 1 dies',
    async (t) => {
      // The parent-death signal chain (setpriv → unshare --kill-child) kills PID 1
      // when the process that booted the sandbox is killed before shutdown().
      const sandbox = await SystemdSandbox.boot();
      t.teardown(() => sandbox.shutdown());
      const pid = sandbox.pid;
      t.ok(pid > 0);
      // unshare's parent is the test process; its parent-death signal is KILL (setpriv).
      const unsharePid = Number(
        (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ')[1],
      );
      process.kill(unsharePid, 'SIGKILL');
      await sandbox.waitFor(
        'PID 1 to die with unshare',
        async () => (isRunning(pid) ? undefined : true),
        10_000,
      );
      t.pass('PID 1 died with its parent');
    },
  );
}
