// The daemon's side of the launcher's contract (packaging/launcher.sh), when
// the launcher supervises `run`: it starts Node.js with EDGE_TELEMETRY_WAKE
// saying why (the service started, work is due, a reload or a stop came while
// no Node.js ran) and EDGE_TELEMETRY_WAKE_FILE naming where the daemon writes
// how long to wait before the launcher starts it again. A daemon that exits 0
// having written it has saved everything in dataDir (wake-state.ts) and wants
// to be started in that many seconds; one that exits without writing it has
// stopped (a stop, status: Disabled), and one that fails has failed. The
// wait's second line names the dataDir whose lock the launcher then holds; it
// gives it back as EDGE_TELEMETRY_DATA_DIR to the next Node.js, which keeps
// that one when the config names another (a dataDir edit takes effect at the
// next start, as at a resident daemon's reload).
import { writeFile } from '../base/fs-async.js';
import type { Config } from '../config/schema.js';

export type WakeReason = 'start' | 'wake' | 'reload' | 'stop';

export interface LaunchContext {
  readonly reason: WakeReason;
  /** Where to write the wait; absent: not supervised, Node.js stays resident. */
  readonly waitFile?: string;
  /** The launcher's pid (the unit's MainPID), which `status` looks for while no Node.js runs. */
  readonly launcherPid?: number;
  /** When the daemon may exit to wait. */
  readonly policy: WaitPolicy;
  /** The dataDir the service holds (its buffer, its lock), said by the process before this one; never at a start. */
  readonly heldDataDir?: string;
}

export interface WaitPolicy {
  /** A samplingInterval shorter than this keeps Node.js resident: a wake each time would cost more than it saves. */
  readonly minSamplingIntervalMs: number;
  /** The next work must be at least this far away for the daemon to exit until then. */
  readonly minWaitMs: number;
  /** The launcher starts Node.js this long before the work is due; it starts, reads its state and waits the rest. */
  readonly leadMs: number;
}

/** One minute, as the issue of record asks ("while the next due work is at least a minute away"). */
export const WAIT_POLICY: WaitPolicy = {
  minSamplingIntervalMs: 60_000,
  minWaitMs: 30_000,
  // A wake's start (Node.js, the program, the config, the buffer) takes 0.2 to 0.4 s here; one that comes late
  // runs its tick at once, on the grid's phase. Each second more is a second of 50 MB resident.
  leadMs: 1_000,
};

const REASONS: readonly WakeReason[] = ['start', 'wake', 'reload', 'stop'];

/**
 * From the launcher's environment. EDGE_TELEMETRY_TEST_WAIT (tests only:
 * "minSamplingIntervalMs,minWaitMs,leadMs") lowers the policy so that a test
 * under systemd sees several wakes in seconds instead of minutes.
 */
export function launchContext(env: NodeJS.ProcessEnv): LaunchContext {
  const reason = REASONS.find((candidate) => candidate === env.EDGE_TELEMETRY_WAKE) ?? 'start';
  const pid = Number(env.EDGE_TELEMETRY_LAUNCHER_PID);
  const waitFile = env.EDGE_TELEMETRY_WAKE_FILE;
  const test = (env.EDGE_TELEMETRY_TEST_WAIT ?? '').split(',').map(Number);
  const policy =
    test.length === 3 && test.every((value) => Number.isSafeInteger(value) && value >= 0)
      ? {
          minSamplingIntervalMs: test[0] as number,
          minWaitMs: test[1] as number,
          leadMs: test[2] as number,
        }
      : WAIT_POLICY;
  const held = env.EDGE_TELEMETRY_DATA_DIR;
  return {
    reason,
    ...(waitFile === undefined || waitFile === '' ? {} : { waitFile }),
    ...(Number.isSafeInteger(pid) && pid > 1 ? { launcherPid: pid } : {}),
    policy,
    ...(reason !== 'start' && held !== undefined && sayable(held) ? { heldDataDir: held } : {}),
  };
}

/** A dataDir the wait file can carry on its own line: absolute (config.ts resolves it), one line, bounded. */
function sayable(dataDir: string): boolean {
  return dataDir.startsWith('/') && !/[\n\r\0]/.test(dataDir) && dataDir.length <= 4000;
}

/** The wait's lines: the seconds, then the dataDir the launcher holds for the next process (when it can say it). */
function waitLines(first: string, heldDataDir: string | undefined): string {
  return heldDataDir !== undefined && sayable(heldDataDir)
    ? `${first}\n${heldDataDir}\n`
    : `${first}\n`;
}

/** How long the launcher waits: until `leadMs` before the work, in seconds with milliseconds (GNU sleep takes them). */
export function waitSeconds(waitMs: number, policy: WaitPolicy): string {
  return (Math.max(0, waitMs - policy.leadMs) / 1000).toFixed(3);
}

export async function requestWait(
  file: string,
  seconds: string,
  heldDataDir: string | undefined,
): Promise<void> {
  await writeFile(file, waitLines(seconds, heldDataDir));
}

/** Asks the launcher to give way: it execs Node.js in its own place (packaging/launcher.sh, "resident"). */
export async function requestResident(
  file: string,
  heldDataDir: string | undefined,
): Promise<void> {
  await writeFile(file, waitLines('resident', heldDataDir));
}

/** Never able to exit to wait: sampling under the policy's minimum, or a buffer in memory (nothing carries it across processes). */
export function neverWaits(
  config: Pick<Config, 'samplingIntervalMs' | 'buffer'>,
  policy: WaitPolicy,
): boolean {
  return config.buffer === 'memory' || config.samplingIntervalMs < policy.minSamplingIntervalMs;
}

/**
 * A daemon that never waits has the launcher exec it instead of staying
 * beside it: the unit then holds Node.js alone, as with
 * EDGE_TELEMETRY_RESIDENT=yes. Not for a stop, whose last send ends the
 * process anyway.
 */
export function residentForGood(
  config: Pick<Config, 'samplingIntervalMs' | 'buffer'>,
  launch: LaunchContext,
): launch is LaunchContext & { readonly waitFile: string } {
  return (
    launch.waitFile !== undefined && launch.reason !== 'stop' && neverWaits(config, launch.policy)
  );
}
