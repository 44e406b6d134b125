// What the running daemon last did, kept in dataDir/status.json so that
// `edge-telemetry status` can tell an admin while the daemon runs (or after it
// stopped) without talking to it. Written whole to a temporary file and renamed
// over the old one: a reader never sees half a file.
import { replaceFile } from '../base/durable-file.js';
import path from 'node:path';
import { FILE_READ_TIMEOUT_MS, readBoundedFile } from '../base/bounded-file.js';
import type { Logger } from '../base/log.js';
import type { BufferStats, SampleBuffer } from '../buffer/sample-buffer.js';
import type { SendSummary } from '../deliver/send-report.js';
import { isDaemonStatus } from './status-shape.js';

export const STATUS_FILE = 'status.json';
/** Far larger than any status this daemon writes: a bigger file is not ours. */
const MAX_STATUS_BYTES = 64 * 1024;

export interface DaemonStatus {
  readonly format: 1;
  readonly pid: number;
  readonly startedAtMs: number;
  readonly updatedAtMs: number;
  readonly endpoint: string;
  readonly lastSuccess:
    { readonly atMs: number; readonly requests: number; readonly samples: number } | undefined;
  /** Already scrubbed of secrets by whoever recorded it. */
  readonly lastError: { readonly atMs: number; readonly reason: string } | undefined;
  readonly nextSendAtMs: number | undefined;
  /** The primary destination's view of the buffer (what it has still to take), as before destinations. */
  readonly buffer: BufferStats;
  /** Every destination, the primary first (absent in files of releases before destinations). */
  readonly destinations?: readonly DestinationStatus[];
  /**
   * waiting: Node.js exited until wakeAtMs and the launcher (launcherPid, the
   * unit's MainPID) waits to start it again; running (or absent, in files of
   * earlier releases): the daemon at pid runs; disabled: telemetry.status is
   * Disabled, nothing is sampled or sent (pid, or launcherPid while waiting,
   * is the service that reads the config again at a reload).
   */
  readonly phase?: 'running' | 'waiting' | 'disabled';
  readonly wakeAtMs?: number;
  readonly launcherPid?: number;
}

/** One destination's part of the status: what it last did and how far behind it is. */
export interface DestinationStatus {
  readonly name: string;
  /** Redacted (redactUrl). */
  readonly endpoint: string;
  readonly protocol: string;
  readonly lastSuccess: DaemonStatus['lastSuccess'];
  readonly lastError: DaemonStatus['lastError'];
  /** Its backlog (samples, oldest) and its drops by reason. */
  readonly buffer: BufferStats;
}

/** What the recorder needs of each destination: how to name it, and its stats (exact per destination). */
export interface StatusDestination {
  readonly name: string;
  readonly endpoint: string;
  readonly protocol: string;
  stats(): Promise<BufferStats> | BufferStats;
}

export async function writeStatus(dataDir: string, status: DaemonStatus): Promise<void> {
  // Atomic but not synced: it is rewritten after every tick and send, so a power cut costs at most the last version.
  await replaceFile(path.join(dataDir, STATUS_FILE), [JSON.stringify(status) + '\n'], 0o644, {
    durable: false,
  });
}

export type StatusRead =
  | { readonly kind: 'ok'; readonly status: DaemonStatus }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unreadable'; readonly reason: string };

/** Never hangs on a FIFO and never reads more than MAX_STATUS_BYTES (readBoundedFile). */
export async function readStatus(dataDir: string): Promise<StatusRead> {
  const file = path.join(dataDir, STATUS_FILE);
  const read = await readBoundedFile(file, {
    maxBytes: MAX_STATUS_BYTES,
    timeoutMs: FILE_READ_TIMEOUT_MS,
  });
  if (!read.ok)
    return read.error.code === 'ENOENT'
      ? { kind: 'missing' }
      : { kind: 'unreadable', reason: read.error.message };
  const text = read.text;
  try {
    const parsed: unknown = JSON.parse(text);
    return isDaemonStatus(parsed)
      ? { kind: 'ok', status: parsed }
      : { kind: 'unreadable', reason: `${file}: not a status this version writes` };
  } catch {
    return { kind: 'unreadable', reason: `${file}: not JSON` };
  }
}

/**
 * telemetry.status: Disabled read by a daemon, a wake or a reload: the status
 * says so (with what each destination last did), so that `status` is not left
 * saying "next send in 5m". True when this is news (the file said otherwise,
 * or there is none to say it): the caller's one journal line. Never fails:
 * an unwritable dataDir leaves the status as it was.
 */
export async function markDisabled(
  dataDir: string,
  service: { readonly pid: number; readonly launcherPid: number | undefined },
  nowMs: number,
): Promise<boolean> {
  const read = await readStatus(dataDir);
  if (read.kind !== 'ok') return true;
  if (read.status.phase === 'disabled') return false;
  const status: DaemonStatus = {
    ...read.status,
    wakeAtMs: undefined,
    pid: service.pid,
    // Waiting, the launcher is what stays of the service (`status` looks for it).
    launcherPid: service.launcherPid,
    updatedAtMs: nowMs,
    nextSendAtMs: undefined,
    phase: 'disabled',
  };
  await writeStatus(dataDir, status).catch(() => undefined);
  return true;
}

/**
 * Keeps status.json up to date: after each send and each sampling tick. A
 * failed write is logged once and never stops the daemon (the status is a
 * convenience; the buffer is what matters).
 */
export class StatusRecorder {
  private startedAtMs: number;
  private lastSuccess: DaemonStatus['lastSuccess'][] = [];
  private lastError: DaemonStatus['lastError'][] = [];
  private destinations: readonly StatusDestination[];
  private writeFailed = false;

  /** The last write failed and was warned about; a wake carries it on, so that it warns once, not at each wake. */
  get unwritable(): boolean {
    return this.writeFailed;
  }

  /** The process before this one warned of a failed write: warn again only after one succeeded. */
  carryUnwritable(): void {
    this.writeFailed = true;
  }

  /** `destinations` (or one buffer: the primary alone, remote-write) in the agent's order, the primary first. */
  constructor(
    private readonly dataDir: string,
    endpoint: string,
    destinations: SampleBuffer | readonly StatusDestination[],
    private readonly log: Logger,
    private readonly wallClock: () => number = Date.now,
    /** The launcher supervising this daemon, when one does (launcher-wake.ts). */
    private readonly launcherPid?: number,
  ) {
    this.startedAtMs = wallClock();
    this.destinations = asDestinations(endpoint, destinations);
  }

  /** A send to destination `index` ended: its outcome, and when the next one is due (wall clock ms). */
  async sent(summary: SendSummary, nextSendAtMs: number | undefined, index = 0): Promise<void> {
    const atMs = this.wallClock();
    if (summary.ok)
      this.lastSuccess[index] = { atMs, requests: summary.requests, samples: summary.samplesSent };
    else
      this.lastError[index] = {
        atMs,
        reason:
          summary.failure ??
          `the receiver refused ${summary.samplesDropped} samples for good; they were dropped`,
      };
    await this.write(nextSendAtMs);
  }

  /**
   * A reload changed the destinations (endpoints redacted): the next write
   * says the new ones; a destination kept by name keeps what it last did.
   */
  destinationsChanged(
    endpoint: string,
    destinations: SampleBuffer | readonly StatusDestination[],
  ): void {
    const next = asDestinations(endpoint, destinations);
    const carry = <T>(list: T[]) =>
      next.map((destination) => {
        const before = this.destinations.findIndex((old) => old.name === destination.name);
        return before < 0 ? undefined : list[before];
      }) as T[];
    this.lastSuccess = carry(this.lastSuccess);
    this.lastError = carry(this.lastError);
    this.destinations = next;
  }

  /**
   * The process before this one in the same service (it exited to wait, or
   * was killed) wrote `previous`: its start and what each destination last
   * did go on, by destination name, so that a wake does not forget them.
   */
  carryFrom(previous: DaemonStatus): void {
    this.startedAtMs = previous.startedAtMs;
    const before = previous.destinations ?? [];
    for (const [index, destination] of this.destinations.entries()) {
      const old = before.find((entry) => entry.name === destination.name);
      if (old === undefined) continue;
      this.lastSuccess[index] ??= old.lastSuccess;
      this.lastError[index] ??= old.lastError;
    }
  }

  async sampled(nextSendAtMs: number | undefined): Promise<void> {
    await this.write(nextSendAtMs);
  }

  /**
   * Node.js exits until `wakeAtMs` (wall clock); the status says so until the
   * next process writes it, with the next send as the schedule has it (a
   * process that carried on and had nothing due before its wait wrote none).
   */
  async waiting(wakeAtMs: number, nextSendAtMs: number | undefined): Promise<void> {
    this.wakeAtMs = wakeAtMs;
    await this.write(nextSendAtMs);
  }

  private wakeAtMs: number | undefined;
  private nextSendAtMs: number | undefined;

  /** One write at a time: the sends of several destinations end together, and each write replaces the file. */
  private writing: Promise<void> = Promise.resolve();

  private write(nextSendAtMs: number | undefined): Promise<void> {
    this.nextSendAtMs = nextSendAtMs;
    this.writing = this.writing.then(() => this.writeNow(nextSendAtMs));
    return this.writing;
  }

  private async writeNow(nextSendAtMs: number | undefined): Promise<void> {
    try {
      const destinations: DestinationStatus[] = [];
      for (const [index, destination] of this.destinations.entries())
        destinations.push({
          name: destination.name,
          endpoint: destination.endpoint,
          protocol: destination.protocol,
          lastSuccess: this.lastSuccess[index],
          lastError: this.lastError[index],
          buffer: await destination.stats(),
        });
      const primary = destinations[0] as DestinationStatus;
      await writeStatus(this.dataDir, {
        format: 1,
        pid: process.pid,
        startedAtMs: this.startedAtMs,
        updatedAtMs: this.wallClock(),
        endpoint: primary.endpoint,
        lastSuccess: primary.lastSuccess,
        lastError: primary.lastError,
        nextSendAtMs,
        buffer: primary.buffer,
        destinations,
        phase: this.wakeAtMs === undefined ? 'running' : 'waiting',
        ...(this.wakeAtMs === undefined ? {} : { wakeAtMs: this.wakeAtMs }),
        ...(this.launcherPid === undefined ? {} : { launcherPid: this.launcherPid }),
      });
      this.writeFailed = false;
    } catch (error) {
      if (!this.writeFailed)
        this.log.warn('cannot write the status file; edge-telemetry status will be stale', {
          dir: this.dataDir,
          reason: (error as NodeJS.ErrnoException).code ?? String(error),
        });
      this.writeFailed = true;
    }
  }
}

function asDestinations(
  endpoint: string,
  destinations: SampleBuffer | readonly StatusDestination[],
): readonly StatusDestination[] {
  if (!Array.isArray(destinations)) {
    const buffer = destinations as SampleBuffer;
    return [{ name: 'primary', endpoint, protocol: 'remote-write', stats: () => buffer.stats() }];
  }
  if (destinations.length === 0) throw new Error('a status needs a destination');
  return destinations as readonly StatusDestination[];
}
