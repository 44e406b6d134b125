// What the daemon knew between ticks, kept in dataDir/wake.json so that the
// next process of the same boot carries on exactly where this one stood: after
// a wait with no Node.js resident (the launcher starts a new one when work is
// due, docs/architecture.md "Waiting without Node.js"), a reload at a wake, or
// a restart after a crash. Written whole and durably after every piece of work
// (a tick, a send) and before each exit to wait, so a SIGKILL or a power cut at
// any moment leaves the state of the last completed work.
//
// Times are on the boot's monotonic clock (CLOCK_MONOTONIC, which
// process.hrtime reads in every process alike), not the wall clock: a clock
// step moves no tick. They mean nothing in another boot, so the kernel's boot
// id goes with them, and a start in a new boot starts afresh.
import path from 'node:path';
import { FILE_READ_TIMEOUT_MS, readBoundedFile } from '../base/bounded-file.js';
import { replaceFile } from '../base/durable-file.js';
import type { CpuTimes } from '../collect/host/proc-stat.js';
import type { SetAsideSnapshot } from '../deliver/set-aside.js';
import type { GridAnchor } from './schedule.js';
import type { Config } from '../config/schema.js';
import { crc32 } from '../buffer/crc32.js';

export const WAKE_STATE_FILE = 'wake.json';
/** A few hundred bytes per destination; a bigger file is not ours. */
const MAX_WAKE_STATE_BYTES = 64 * 1024;
/**
 * Problem keys are the code's own names ("kubeconfig", "api", "resource:" and
 * a resource's plural.group, up to 317 characters). Bounded where they are
 * written and where they are read alike (boundedProblemKeys), so that the file
 * stays far under its 64 KiB (64 × 512 bytes at most): a problem beyond the
 * bound is warned again at each wake, and nothing else is lost.
 */
const MAX_PROBLEMS = 64;
const MAX_PROBLEM_KEY_LENGTH = 512;

export interface KeptProblems {
  /**
   * What they are about (problemScope: the kubeconfig and extraResources). An
   * edit of either, read at a wake, warns afresh, as a resident daemon's reload does.
   */
  readonly scope: string;
  /** Their keys (never their messages: nothing a server said is kept). */
  readonly keys: readonly string[];
}

export interface WakeState {
  readonly format: 1;
  /** The kernel's boot id when written. */
  readonly bootId: string;
  /** The splay of this boot's first send, drawn once per boot. */
  readonly splayMs: number;
  /** Where the schedule stood, on the boot's monotonic clock. */
  readonly schedule: GridAnchor;
  /** The previous /proc/stat reading, for cluster:cpu_usage_cores:sum. */
  readonly cpu?: CpuTimes | undefined;
  /** Each destination's set-aside memory, by name. */
  readonly setAside: Readonly<Record<string, SetAsideSnapshot>>;
  /** The cluster problems already warned about (kube/notices.ts): one warning per problem, not per wake. */
  readonly problems?: KeptProblems;
  /**
   * The daemon stopped cleanly (a stop with its last send): the next start is
   * a start, sampling at once and reporting after the splay. Absent: it was
   * waiting or it died (a crash, a SIGKILL), and the next process carries on.
   */
  readonly stopped?: boolean;
  /**
   * status.json could not be written, and the journal was told: the next
   * process tells it again only after a write of its succeeded, not at each wake.
   */
  readonly statusUnwritable?: boolean;
}

/** CLOCK_MONOTONIC in milliseconds: the same in every process of a boot. */
export function bootMonotonicMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

/** `anchor` on another clock, given both clocks' readings at one instant. */
export function shiftAnchor(anchor: GridAnchor, fromNow: number, toNow: number): GridAnchor {
  const shift = (at: number | undefined) => (at === undefined ? undefined : at - fromNow + toNow);
  const sendDueAt = shift(anchor.sendDueAt);
  return {
    nextSampleAt: shift(anchor.nextSampleAt),
    nextSendAt: shift(anchor.nextSendAt),
    ...(sendDueAt === undefined ? {} : { sendDueAt }),
    reported: anchor.reported ?? false,
  };
}

/**
 * The CRC-32 of a state's JSON text, kept in the file as its last key `crc`.
 * The atomic rename keeps a write whole, but a byte the disk flips inside a
 * valid state would move the schedule (a send days late) or the CPU reading
 * unseen; JSON.parse and JSON.stringify give back the text as written, so
 * any changed value changes the text the check is made over.
 */
function checksumOf(stateText: string): string {
  return crc32(Buffer.from(stateText, 'utf8')).toString(16).padStart(8, '0');
}

export async function writeWakeState(dataDir: string, state: WakeState): Promise<void> {
  const text = JSON.stringify(state);
  const withChecksum = `${text.slice(0, -1)},"crc":"${checksumOf(text)}"}`;
  await replaceFile(path.join(dataDir, WAKE_STATE_FILE), [withChecksum + '\n'], 0o600, {
    durable: true,
  });
}

/** The state without its `crc`, or undefined when the CRC does not match; a file without one (an earlier release's) as it is. */
function checkedState(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !('crc' in value)) return value;
  const { crc, ...state } = value as Record<string, unknown>;
  return crc === checksumOf(JSON.stringify(state)) ? state : undefined;
}

/**
 * Marks the state a clean stop's (`stopped`), as the stop's own last write
 * does, for a stop that could not make its last send (a config error, a file
 * gone bad, Disabled): the next start is then a start, not a restart after a
 * crash. Never fails: without a state, or with a dataDir that refuses, the
 * next start decides as it can.
 */
export async function markWakeStopped(dataDir: string): Promise<void> {
  const state = await readWakeState(dataDir);
  if (state === undefined || state.stopped === true) return;
  await writeWakeState(dataDir, { ...state, stopped: true }).catch(() => undefined);
}

/** The state as written, or undefined when missing or not one this version writes (then the process starts afresh). */
export async function readWakeState(dataDir: string): Promise<WakeState | undefined> {
  const read = await readBoundedFile(path.join(dataDir, WAKE_STATE_FILE), {
    maxBytes: MAX_WAKE_STATE_BYTES,
    timeoutMs: FILE_READ_TIMEOUT_MS,
  });
  if (!read.ok) return undefined;
  try {
    return parseWakeState(checkedState(JSON.parse(read.text) as unknown));
  } catch {
    return undefined;
  }
}

const isTime = (value: unknown) => value === undefined || Number.isFinite(value);
const isCount = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;

export function parseWakeState(value: unknown): WakeState | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const state = value as Record<string, unknown>;
  const schedule = state.schedule as Record<string, unknown> | null | undefined;
  if (
    state.format !== 1 ||
    typeof state.bootId !== 'string' ||
    !isCount(state.splayMs) ||
    typeof schedule !== 'object' ||
    schedule === null ||
    !isTime(schedule.nextSampleAt) ||
    !isTime(schedule.nextSendAt) ||
    !isTime(schedule.sendDueAt)
  )
    return undefined;
  const cpu = state.cpu as Record<string, unknown> | null | undefined;
  const cpuOk =
    cpu === undefined ||
    (typeof cpu === 'object' &&
      cpu !== null &&
      Number.isFinite(cpu.busy) &&
      Number.isFinite(cpu.total));
  const setAside: Record<string, SetAsideSnapshot> = {};
  const entries =
    typeof state.setAside === 'object' && state.setAside !== null
      ? Object.entries(state.setAside as Record<string, unknown>)
      : [];
  for (const [name, entry] of entries) {
    const memory = entry as Record<string, unknown> | null;
    if (memory !== null && isCount(memory.firstSeq) && isCount(memory.times))
      setAside[name] = { firstSeq: memory.firstSeq as number, times: memory.times as number };
  }
  const problems = parseProblems(state.problems);
  const time = (at: unknown) => at as number | undefined;
  const sendDueAt = time(schedule.sendDueAt);
  return {
    format: 1,
    bootId: state.bootId,
    splayMs: state.splayMs as number,
    schedule: {
      nextSampleAt: time(schedule.nextSampleAt),
      nextSendAt: time(schedule.nextSendAt),
      ...(sendDueAt === undefined ? {} : { sendDueAt }),
      reported: schedule.reported === true,
    },
    ...(cpuOk && cpu !== undefined
      ? { cpu: { busy: cpu.busy as number, total: cpu.total as number } }
      : {}),
    setAside,
    ...(problems === undefined ? {} : { problems }),
    ...(state.stopped === true ? { stopped: true } : {}),
    ...(state.statusUnwritable === true ? { statusUnwritable: true } : {}),
  };
}

/** The keys a state file holds, written or read: strings of 1 to 512 characters, at most 64. */
export function boundedProblemKeys(keys: Iterable<unknown>): string[] {
  return [...keys]
    .filter(
      (key): key is string =>
        typeof key === 'string' && key.length > 0 && key.length <= MAX_PROBLEM_KEY_LENGTH,
    )
    .slice(0, MAX_PROBLEMS);
}

/** What a set of cluster problems is about: the config's kubeconfig and extraResources, as one short string. */
export function problemScope(config: Pick<Config, 'kubeconfig' | 'extraResources'>): string {
  const about = JSON.stringify([config.kubeconfig, config.extraResources]);
  return crc32(Buffer.from(about, 'utf8')).toString(16);
}

function parseProblems(value: unknown): KeptProblems | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { scope, keys } = value as Record<string, unknown>;
  if (typeof scope !== 'string' || !Array.isArray(keys)) return undefined;
  return { scope, keys: boundedProblemKeys(keys) };
}
