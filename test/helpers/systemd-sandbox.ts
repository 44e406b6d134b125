// Debian's real systemd as PID 1 of private namespaces, for tests and benches
// that must see the unit run the way a node runs it.
//
// Safety first (two traps a plain boot falls into: systemd-tmpfiles --remove
// empties the host's /tmp, and every enabled host service starts). The init
// script (systemd-sandbox-init.sh) runs as PID 1 of fresh PID, mount, UTS and
// cgroup namespaces with private mount propagation and, before systemd starts:
// private tmpfs on /run, /tmp and /dev; overlays whose upper layers live in the
// sandbox's temp directory over /etc, /var, /usr/local and /root; everything
// else of / read-only, /proc/sys and /sys read-only; every host unit masked
// except journald; no generators. The sandbox's cgroup is a directory of its
// own under ours, removed at shutdown. The network namespace is the host's:
// a receiver on the host's 127.0.0.1 is reachable from inside.
//
// Only share/ (sandbox.shareDir, same path inside and out) is writable by both.
//
// From a bench (plain .mjs), import '../test/helpers/systemd-sandbox.ts' and run
// node with --import=./node_modules/@tapjs/typescript/dist/esm/import.mjs.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  readlink,
  realpath,
  rm,
  rmdir,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const INIT_SCRIPT = fileURLToPath(new URL('./systemd-sandbox-init.sh', import.meta.url));
const SYSTEMD = '/lib/systemd/systemd';
const TARGET = 'edge-telemetry-sandbox.target';
/** Host paths the sandbox overlays: its temp dir must not be inside one (overlayfs refuses an upper inside its lower). */
const OVERLAID = ['/etc', '/var', '/usr/local', '/root'];
const OUTPUT_LIMIT_BYTES = 16 * 1024 * 1024;
const INSIDE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Passed through to commands run inside, so npm reaches its registry the way it does on the host. */
const PASSED_ENV =
  /^(https?_proxy|no_proxy|HTTPS?_PROXY|NO_PROXY|npm_config_registry|NPM_CONFIG_REGISTRY)$/;

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Working directory inside the sandbox. Default /. */
  readonly cwd?: string;
  /** Added to the clean environment commands get inside (PATH, HOME=/root, LANG, proxy variables). */
  readonly env?: Readonly<Record<string, string>>;
  /** The whole process group is killed after this. Default 60 s. */
  readonly timeoutMs?: number;
  readonly input?: string;
}

export interface SandboxOptions {
  /** Host units to leave unmasked besides journald (a name the host already has and the test installs). */
  readonly allowUnits?: readonly string[];
  readonly bootTimeoutMs?: number;
}

/** Why a sandbox cannot run here (not root, no unshare, namespaces refused…), or undefined when it can. */
export async function sandboxUnavailable(): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'needs Linux namespaces';
  if (process.getuid?.() !== 0) return 'needs root (it mounts and creates namespaces and cgroups)';
  for (const binary of [SYSTEMD, '/usr/bin/unshare', '/usr/bin/nsenter', '/usr/bin/setpriv']) {
    if (!existsSync(binary)) return `needs ${binary}`;
  }
  if ((await cgroup2Mount()) === undefined) return 'needs a cgroup2 hierarchy';
  // The namespaces, a tmpfs and an overlay, all inside a throwaway mount namespace.
  const mounts =
    'mount -t tmpfs tmpfs /mnt && mkdir /mnt/l /mnt/u /mnt/w /mnt/m && mount -t overlay overlay -o lowerdir=/mnt/l,upperdir=/mnt/u,workdir=/mnt/w /mnt/m';
  const probe = await collect(
    spawn(
      'unshare',
      [
        '--pid',
        '--fork',
        '--mount',
        '--uts',
        '--cgroup',
        '--propagation',
        'private',
        '--',
        'sh',
        '-c',
        mounts,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    ),
    10_000,
  );
  if (probe.code !== 0)
    return `namespaces or mounts refused here: ${probe.stderr.trim() || `exit ${String(probe.code)}`}`;
  return undefined;
}

/** The cgroup2 hierarchy's mount point: /sys/fs/cgroup on a unified host, /sys/fs/cgroup/unified on a hybrid one. */
async function cgroup2Mount(): Promise<string | undefined> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    if (after?.split(' ')[0] === 'cgroup2') return before?.split(' ')[4];
  }
  return undefined;
}

/** Our own cgroup2 path ("0::/path" in /proc/self/cgroup). */
async function ownCgroup(): Promise<string> {
  const line = (await readFile('/proc/self/cgroup', 'utf8'))
    .split('\n')
    .find((entry) => entry.startsWith('0::'));
  if (line === undefined) throw new Error('no cgroup2 line in /proc/self/cgroup');
  return line.slice(3);
}

/** Host mount points at or below `dir`: none may exist before the directory is removed. */
async function mountsUnder(dir: string): Promise<string[]> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  return mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((mountPoint) => mountPoint === dir || mountPoint.startsWith(dir + '/'));
}

function collect(child: ChildProcess, timeoutMs: number, input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const append = (current: string, chunk: Buffer) =>
      current.length < OUTPUT_LIMIT_BYTES ? current + chunk.toString() : current;
    child.stdout?.on('data', (chunk: Buffer) => (stdout = append(stdout, chunk)));
    child.stderr?.on('data', (chunk: Buffer) => (stderr = append(stderr, chunk)));
    // A detached child leads its own process group: the kill reaches what it started inside too.
    const timer = setTimeout(() => killGroup(child), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/** Whether `pid` is a live process: a zombie (killed, not yet reaped) is not. */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export class SystemdSandbox {
  private stopped = false;
  private readonly exited: Promise<void>;
  private readonly onExit = () => this.killNow();

  private constructor(
    /** The host's mktemp directory of this sandbox (overlay layers, console log, share/). */
    readonly dir: string,
    /** The cgroup2 directory the sandbox lives in (host path). */
    readonly cgroupDir: string,
    private readonly unshare: ChildProcess,
    /** Host PID of the namespace's PID 1 (systemd); 0 until known. */
    public pid: number,
  ) {
    this.exited = new Promise((resolve) => unshare.once('close', () => resolve()));
    process.once('exit', this.onExit);
  }

  /** A directory with the same path on the host and inside, writable by both. */
  get shareDir(): string {
    return path.join(this.dir, 'share');
  }

  /** Boots systemd and resolves once its boot target is reached. Throws (after tearing down) with systemd's console output when it is not. */
  static async boot(options: SandboxOptions = {}): Promise<SystemdSandbox> {
    const unavailable = await sandboxUnavailable();
    if (unavailable !== undefined) throw new Error(`systemd sandbox unavailable: ${unavailable}`);
    const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'edge-telemetry-sandbox-')));
    for (const overlaid of OVERLAID) {
      if (dir.startsWith(overlaid + '/'))
        throw new Error(
          `the sandbox directory ${dir} is under ${overlaid}, which the sandbox overlays; set TMPDIR elsewhere`,
        );
    }
    await mkdir(path.join(dir, 'share'));
    const mount = await cgroup2Mount();
    if (mount === undefined) throw new Error('no cgroup2 hierarchy');
    const cgroupDir = path.join(mount, await ownCgroup(), path.basename(dir));
    await mkdir(cgroupDir);
    // The shell moves itself into the sandbox's cgroup, then becomes unshare, so
    // the new cgroup namespace is rooted there. setpriv's parent-death signal
    // and unshare's --kill-child make the namespace die with this test process
    // even when it is killed before shutdown() runs.
    const unshare = spawn(
      'bash',
      [
        '-c',
        'echo $$ >"$0/cgroup.procs" && exec setpriv --pdeathsig KILL unshare --pid --fork --mount --uts --cgroup --propagation private --kill-child -- bash "$@"',
        cgroupDir,
        INIT_SCRIPT,
        dir,
        await readlink('/proc/self/ns/mnt'),
        TARGET,
        ...(options.allowUnits ?? []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    // What the init script (and unshare) printed, kept for a failed boot's error; bounded.
    let earlyOutput = '';
    const keep = (chunk: Buffer) => (earlyOutput = (earlyOutput + chunk.toString()).slice(-65_536));
    unshare.stdout.on('data', keep);
    unshare.stderr.on('data', keep);
    const sandbox = new SystemdSandbox(dir, cgroupDir, unshare, 0);
    try {
      await sandbox.waitForBoot(options.bootTimeoutMs ?? 60_000, () => earlyOutput);
    } catch (error) {
      await sandbox.shutdown();
      throw error;
    }
    return sandbox;
  }

  private async waitForBoot(timeoutMs: number, output: () => string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const failure = async (what: string) => {
      const console = await readFile(path.join(this.dir, 'console.log'), 'utf8').catch(() => '');
      return new Error(
        `systemd sandbox ${what}\n--- init/unshare output:\n${output()}\n--- systemd console:\n${console}`,
      );
    };
    while (this.pid === 0) {
      if (this.unshare.exitCode !== null || this.unshare.signalCode !== null)
        throw await failure('exited before systemd started');
      if (Date.now() > deadline) throw await failure('did not start');
      const unsharePid = this.unshare.pid ?? 0;
      const children = await readFile(
        `/proc/${unsharePid}/task/${unsharePid}/children`,
        'utf8',
      ).catch(() => '');
      const child = Number(children.trim().split(' ')[0]);
      // Only once PID 1 is systemd (the init script has exec'd it) is there something to talk to.
      if (
        child > 0 &&
        (await readFile(`/proc/${child}/comm`, 'utf8').catch(() => '')).trim() === 'systemd'
      )
        this.pid = child;
      else await sleep(50);
    }
    for (;;) {
      if (this.unshare.exitCode !== null || this.unshare.signalCode !== null)
        throw await failure('exited during boot');
      const state = await this.run(['systemctl', 'is-system-running'], { timeoutMs: 10_000 }).catch(
        () => undefined,
      );
      const text = state?.stdout.trim();
      if (text === 'running') return;
      // degraded: a unit failed during boot; nothing should, so it is a broken sandbox, not a slow one.
      if (text === 'degraded') {
        const failed = await this.systemctl('list-units', '--failed', '--plain', '--no-legend');
        throw await failure(`booted degraded:\n${failed.stdout}`);
      }
      if (Date.now() > deadline)
        throw await failure(`not running after ${timeoutMs} ms (state: ${text ?? 'no answer'})`);
      await sleep(100);
    }
  }

  /** Runs `command` as root inside every namespace of the sandbox, with a clean environment. Never rejects for a non-zero exit. */
  run(command: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    if (this.stopped || this.pid === 0)
      return Promise.reject(new Error('the sandbox is not running'));
    const env: Record<string, string> = {
      PATH: INSIDE_PATH,
      HOME: '/root',
      LANG: 'C.UTF-8',
      SYSTEMD_PAGER: '',
      SYSTEMD_COLORS: '0',
    };
    for (const [key, value] of Object.entries(process.env))
      if (PASSED_ENV.test(key) && value !== undefined) env[key] = value;
    Object.assign(env, options.env);
    const child = spawn(
      'nsenter',
      [
        '-t',
        String(this.pid),
        '-a',
        '--',
        '/usr/bin/env',
        '-i',
        ...Object.entries(env).map(([key, value]) => `${key}=${value}`),
        '/bin/sh',
        '-c',
        'cd -- "$0" && exec "$@"',
        options.cwd ?? '/',
        ...command,
      ],
      { stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], detached: true },
    );
    return collect(child, options.timeoutMs ?? 60_000, options.input);
  }

  /** `bash -c script` inside. */
  bash(script: string, options: RunOptions = {}): Promise<RunResult> {
    return this.run(['bash', '-c', script], options);
  }

  systemctl(...args: string[]): Promise<RunResult> {
    return this.run(['systemctl', '--no-pager', ...args]);
  }

  /** One property of a unit (`systemctl show -P`). */
  async property(unit: string, name: string): Promise<string> {
    const result = await this.systemctl('show', '-P', name, unit);
    if (result.code !== 0) throw new Error(`systemctl show ${unit} ${name}: ${result.stderr}`);
    return result.stdout.trim();
  }

  async mainPid(unit: string): Promise<number> {
    return Number(await this.property(unit, 'MainPID'));
  }

  /** Polls `check` every 100 ms until it returns a value other than undefined; throws with `what` after `timeoutMs`. */
  async waitFor<T>(
    what: string,
    check: () => Promise<T | undefined>,
    timeoutMs = 60_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(100);
    }
  }

  /** Waits until the unit's ActiveState is `state` (active, inactive, failed…). */
  waitForState(unit: string, state: string, timeoutMs = 60_000): Promise<true> {
    return this.waitFor(
      `${unit} to be ${state}`,
      async () => ((await this.property(unit, 'ActiveState')) === state ? true : undefined),
      timeoutMs,
    );
  }

  /** A unit's journal, one message per line (`journalctl -u UNIT -o cat`). */
  journal(unit: string): Promise<string[]> {
    return this.journalMatching(['-u', unit]);
  }

  /** Journal messages for journalctl arguments or matches, e.g. `_SYSTEMD_INVOCATION_ID=…`. */
  async journalMatching(args: readonly string[]): Promise<string[]> {
    const result = await this.run(['journalctl', '--no-pager', '-q', '-o', 'cat', ...args]);
    if (result.code !== 0) throw new Error(`journalctl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout.split('\n').filter((line) => line !== '');
  }

  /** The host's PID of a process the sandbox knows as `pid` (a MainPID), e.g. to read its /proc/PID/status from outside. */
  async hostPid(pid: number): Promise<number> {
    const namespace = await readlink(`/proc/${this.pid}/ns/pid`);
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
      const ids = /^NSpid:\s+(.+)$/m.exec(status)?.[1]?.trim().split(/\s+/);
      if (ids?.at(-1) !== String(pid)) continue;
      if ((await readlink(`/proc/${entry}/ns/pid`).catch(() => '')) === namespace)
        return Number(entry);
    }
    throw new Error(`no process ${pid} in the sandbox`);
  }

  /** Writes a file inside the sandbox (through its mount namespace), creating parent directories. */
  async writeFile(file: string, content: string, mode = '0644'): Promise<void> {
    const result = await this.run(
      [
        'sh',
        '-c',
        'mkdir -p -- "$(dirname -- "$1")" && cat >"$1" && chmod "$2" "$1"',
        'sh',
        file,
        mode,
      ],
      { input: content },
    );
    if (result.code !== 0) throw new Error(`writing ${file} in the sandbox: ${result.stderr}`);
  }

  /**
   * Makes `binary` the sandbox's /usr/bin/node, as an admin's Node.js package
   * would: a copy in share/ bind-mounted over it in the sandbox's mount
   * namespace (the host's /usr/bin/node is untouched; services started after
   * this see it). Returns what `/usr/bin/node --version` then says inside.
   */
  async useNode(binary: string): Promise<string> {
    const copy = path.join(this.shareDir, 'node');
    await copyFile(binary, copy);
    await chmod(copy, 0o755);
    const mounted = await this.run(['mount', '--bind', copy, '/usr/bin/node']);
    if (mounted.code !== 0)
      throw new Error(`bind-mounting ${binary} over /usr/bin/node: ${mounted.stderr}`);
    return (await this.run(['/usr/bin/node', '--version'])).stdout.trim();
  }

  /** SIGKILL to PID 1 (unshare then reaps it and exits), or to unshare while PID 1 is not known yet. */
  private killNow(): void {
    if (this.pid > 0 && isRunning(this.pid)) process.kill(this.pid, 'SIGKILL');
    else killGroup(this.unshare);
  }

  /**
   * Kills the namespace's PID 1 (the kernel then kills everything in it, and the
   * private mounts go with the mount namespace), removes the cgroup directories
   * and the temp directory. Safe to call twice and after a failed boot.
   */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    process.off('exit', this.onExit);
    this.killNow();
    await settlesWithin(this.exited, 30_000);
    if (this.pid > 0 && isRunning(this.pid))
      throw new Error(`sandbox PID 1 (${this.pid}) still running after SIGKILL`);
    killGroup(this.unshare);
    await this.exited;
    await removeCgroupTree(this.cgroupDir);
    const leftover = await mountsUnder(this.dir);
    // Never delete through a mount point: that would delete what it shows.
    if (leftover.length > 0)
      throw new Error(`mounts still under ${this.dir}: ${leftover.join(', ')}; not removing it`);
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Waits for `promise` at most `ms`; the timer is cleared so it never holds the process open. */
async function settlesWithin(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** rmdir, deepest first; a cgroup whose last process is still exiting answers EBUSY for a moment. */
async function removeCgroupTree(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries)
    if (entry.isDirectory()) await removeCgroupTree(path.join(dir, entry.name));
  for (let attempt = 0; ; attempt++) {
    try {
      await rmdir(dir);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EBUSY' || attempt >= 100) throw error;
      await sleep(100);
    }
  }
}
