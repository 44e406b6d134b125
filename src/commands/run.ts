import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { redactUrl } from '../config/redact.js';
import { ConfigError } from '../config/errors.js';
import { IdentityError } from '../identity/errors.js';
import { checkClusterIdFile } from '../identity/cluster-id.js';
import type { Logger } from '../base/log.js';
import { openBuffer } from '../buffer/open-buffer.js';
import type { BufferBounds, DropCounts, SampleBuffer } from '../buffer/sample-buffer.js';
import { createDestinationSends, destinationEntries } from '../agent/pipeline.js';
import {
  markDisabled,
  readStatus,
  StatusRecorder,
  type StatusDestination,
} from '../agent/status-file.js';
import { DestinationBuffers } from '../buffer/destination-buffers.js';
import type { CursorStore } from '../buffer/cursor-files.js';
import { destinationsOf } from '../config/schema.js';
import { Agent, IDENTITY_POLL_MS, type ScheduleAnchor } from '../agent/agent.js';
import { drawSplayMs, nextDueAt, nextSendDueAt } from '../agent/schedule.js';
import { systemClock, wallTimeOf } from '../base/timers.js';
import { readBootId } from '../base/boot-id.js';
import type { CpuReadings } from '../collect/host/cpu.js';
import { SetAsideMemory } from '../deliver/set-aside.js';
import {
  bootMonotonicMs,
  markWakeStopped,
  readWakeState,
  boundedProblemKeys,
  problemScope,
  shiftAnchor,
  writeWakeState,
  type WakeState,
} from '../agent/wake-state.js';
import {
  launchContext,
  requestResident,
  requestWait,
  neverWaits,
  residentForGood,
  waitSeconds,
  type LaunchContext,
} from '../agent/launcher-wake.js';
import { holdUntilStopped, onStopSignals, takeOverHangups } from '../process-guards.js';
import { heapShrink } from '../base/heap-shrink.js';
import { crc32 } from '../buffer/crc32.js';
import { coalescing, type Coalesced } from './coalesce.js';
import { checkSendFiles } from './send-checks.js';

export interface Notices {
  disabledNotice(log: Logger, config: Config): void;
  optOutNotice(log: Logger, config: Config): void;
}

const SHUTDOWN_SEND_TIMEOUT_MS = 10_000;
/** Each later send up to 10 % of sendingInterval past its slot: a fleet booted together drifts apart. */
const SEND_JITTER = 0.1;

function boundsOf(config: Config): BufferBounds {
  return { maxSamples: config.maxBufferedSamples, maxAgeMs: config.maxBufferedAgeMs };
}

/** The durable buffer, or the in-memory one when asked; a dataDir that cannot be used is a config error. */
async function startBuffer(
  config: Config,
  log: Logger,
  quiet: boolean,
  launcherPid: number | undefined,
): Promise<{
  readonly buffer: SampleBuffer;
  readonly cursors: CursorStore;
  readonly release: (handTo?: number) => Promise<void>;
}> {
  const opened = await openBuffer(
    config.buffer,
    config.dataDir,
    boundsOf(config),
    log,
    launcherPid,
  );
  if (opened.kind === 'busy') {
    throw new ConfigError(
      config.setIn.dataDir,
      'telemetry.dataDir',
      `${config.dataDir} is in use by another edge-telemetry daemon (pid ${opened.pid}); one daemon per dataDir`,
    );
  }
  if (opened.kind === 'unwritable') {
    throw new ConfigError(
      config.setIn.dataDir,
      'telemetry.dataDir',
      `${config.dataDir} cannot be written (${opened.code}); the buffer needs it (or set telemetry.buffer: memory)`,
    );
  }
  const stats = opened.buffer.stats();
  if (quiet) return opened;
  if (stats.kind === 'memory') {
    log.info(
      'buffer: memory; samples not yet sent are lost at a restart (telemetry.buffer: disk keeps them in dataDir)',
    );
  } else {
    log.info('buffer: on disk', {
      dir: config.dataDir,
      samples: stats.samples,
      bytes: stats.bytesOnDisk,
      oldest:
        stats.oldestSampleMs === undefined
          ? undefined
          : new Date(stats.oldestSampleMs).toISOString(),
    });
  }
  return opened;
}

/** What status.json says of each destination: its name, redacted endpoint, protocol and its own view of the buffer. */
function statusDestinations(config: Config, buffers: DestinationBuffers): StatusDestination[] {
  return destinationsOf(config).map((destination) => ({
    name: destination.name,
    endpoint: redactUrl(destination.endpoint),
    protocol: destination.protocol,
    stats: () => buffers.stats(destination.name),
  }));
}

const sameNames = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((name, index) => name === b[index]);

function logDrops(log: Logger, dropped: DropCounts, why: string): void {
  if (Object.keys(dropped).length > 0) log.warn(`${why}; oldest samples dropped`, { ...dropped });
}

/** What a process of this boot carries over from the one before it (wake-state.ts). */
interface KeptState {
  readonly bootId: string | undefined;
  /** Where the schedule stood, on this process' clock; undefined: start afresh. */
  readonly anchor: ScheduleAnchor | undefined;
  /** Drawn once per boot. */
  readonly splayMs: number;
  readonly cpu: CpuReadings;
  readonly setAside: ReadonlyMap<string, SetAsideMemory>;
  /** The cluster problems already warned about (kube/notices.ts). */
  readonly openProblems: Set<string>;
  /** status.json could not be written, as the previous process warned. */
  readonly statusUnwritable: boolean;
}

/**
 * The state the previous process of this boot left. A wake trusts it (the
 * launcher that started it has lived through the wait); a start only when it
 * is of this boot: its times are on this boot's monotonic clock.
 */
async function keptState(
  config: Config,
  buffer: SampleBuffer,
  launch: LaunchContext,
): Promise<KeptState> {
  const bootId = await readBootId();
  const saved = buffer.kind === 'disk' ? await readWakeState(config.dataDir) : undefined;
  const sameBoot = saved !== undefined && bootId !== undefined && saved.bootId === bootId;
  // A start after a clean stop starts afresh; after a crash it carries on (no extra sample, no flood of reports).
  const carry =
    saved !== undefined &&
    (launch.reason === 'start'
      ? sameBoot && saved.stopped !== true
      : sameBoot || bootId === undefined);
  // Never more than the config's splay: one lowered since, or a flipped byte in the file, must not put off the first report.
  const splayMs = sameBoot
    ? Math.min(saved.splayMs, config.splayMs)
    : drawSplayMs(config.splayMs, Math.random);
  if (!carry)
    return {
      bootId,
      anchor: undefined,
      splayMs,
      cpu: { previous: undefined },
      setAside: new Map(),
      openProblems: new Set(),
      statusUnwritable: false,
    };
  return {
    bootId,
    anchor: shiftAnchor(saved.schedule, bootMonotonicMs(), systemClock.now()),
    splayMs,
    cpu: { previous: saved.cpu },
    setAside: new Map(
      Object.entries(saved.setAside).map(([name, memory]) => [name, new SetAsideMemory(memory)]),
    ),
    // A reload warns afresh, as a resident daemon's reload does: the admin who edited the config wants to see what is
    // still wrong; so does an edit of the kubeconfig or extraResources read at a wake. A wake, or a restart after
    // a crash, warns only of what is new.
    openProblems: new Set(
      launch.reason !== 'reload' && saved.problems?.scope === problemScope(config)
        ? saved.problems.keys
        : [],
    ),
    statusUnwritable: saved.statusUnwritable === true,
  };
}

/** Where the daemon is; a SIGHUP means something different in each. */
type Phase = 'starting' | 'running' | 'stopping' | 'done';

/**
 * The daemon. Resolves when SIGTERM/SIGINT has been handled. SIGHUP reloads
 * the config, and is never a death: one during start-up is one reload once the
 * daemon runs (the config may have been read before the edit), a burst is one
 * reload or two (one running, one queued behind it; a reload itself takes
 * a moment, so a long burst may see one more), and one while stopping is ignored.
 */
export async function runDaemon(
  configFile: string,
  log: Logger,
  notices: Notices,
  launch: LaunchContext = launchContext(process.env),
): Promise<void> {
  const hangups = new Hangups(log);
  // A wake is the same daemon carrying on: no line unless something happens.
  const quiet = launch.reason !== 'start';
  let exitedToWait = false;
  // Hangups before this line came before the config is read: nothing to reload. The handler stays until the process ends.
  takeOverHangups(() => hangups.received());
  try {
    const loaded = await loadConfig(configFile);
    // The service's dataDir stays until the next start, as at a resident daemon's reload: its lock, its buffer.
    // Its line then names the main file: the file that set the held one may have changed since.
    const config =
      launch.heldDataDir === undefined || launch.heldDataDir === loaded.dataDir
        ? loaded
        : {
            ...loaded,
            dataDir: launch.heldDataDir,
            setIn: { ...loaded.setIn, dataDir: loaded.file },
          };
    if (config.status === 'Disabled') {
      // Disabled by an edit read at a wake or a reload while waiting: the service stays, waiting, as a resident
      // daemon disabled by a reload does, so that a reload back to Enabled resumes. A start disabled ends.
      if (
        launch.waitFile !== undefined &&
        (launch.reason === 'wake' || launch.reason === 'reload')
      ) {
        // An edit read at a wake is news once: its line then, none at the daily look after it.
        const news = await markDisabled(
          config.dataDir,
          { pid: process.pid, launcherPid: launch.launcherPid },
          Date.now(),
        );
        if (launch.reason === 'reload' || news) notices.disabledNotice(log, config);
        await requestWait(launch.waitFile, DISABLED_WAIT_SECONDS, launch.heldDataDir);
        return;
      }
      notices.disabledNotice(log, config);
      return;
    }
    if (residentForGood(config, launch)) {
      // Nothing read but the config, nothing written: the Node.js the launcher execs does all, for this one's reason.
      try {
        await requestResident(launch.waitFile, launch.heldDataDir);
        return;
      } catch (error) {
        // The wake file refused (a full /tmp): this process runs on beside the launcher, as before the hand-over.
        log.warn('cannot ask the launcher to give way; Node.js runs beside it', {
          reason: (error as NodeJS.ErrnoException).code ?? String(error),
        });
      }
    }
    // Before any other line: a broken id file, a TLS file that cannot be used, or a credentials file missing, empty or
    // open to others is a config error (exit 2, its one line only); the daemon would only fail every send.
    await checkClusterIdFile(config.clusterIdFile);
    await checkSendFiles(config);
    if (!quiet) notices.optOutNotice(log, config);
    const { buffer, cursors, release } = await startBuffer(config, log, quiet, launch.launcherPid);
    try {
      const buffers = await DestinationBuffers.open(
        buffer,
        destinationEntries(config),
        cursors,
        log,
      );
      const kept = await keptState(config, buffer, launch);
      noteHeldDataDir(log, loaded, config, kept.openProblems);
      const daemon = new Daemon(configFile, config, buffers, cursors, log, notices, kept, launch);
      void daemon.waited.then(() => (exitedToWait = true));
      if (launch.reason === 'stop') {
        // Stopped while no Node.js ran: the last send is all there is to do. systemd signals the unit's whole
        // cgroup and looks again for processes forked meanwhile, so this process may get the stop's SIGTERM too:
        // the send it is making is that stop's answer, bounded by its own deadline (and TimeoutStopSec).
        const release = onStopSignals(() => undefined);
        try {
          log.info('stopping while waiting: sending once more');
          await daemon.lastSend();
          await daemon.keepStopped();
        } finally {
          release();
        }
        return;
      }
      await daemon.start();
      if (launch.reason === 'reload') log.info('config reloaded', { file: config.file });
      hangups.running(daemon);
      await holdUntilStopped(async (signal) => {
        hangups.stopping();
        // Exiting to wait: the launcher, which got the signal too, starts Node.js for the last send.
        if (await daemon.exitingToWait()) return;
        log.info(`received ${signal}, sending once more and stopping`);
        await daemon.stop();
        await daemon.keepStopped();
      }, daemon.waited);
    } finally {
      // Exited to wait: the launcher holds dataDir until the next Node.js, so no other daemon takes it meanwhile.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by a callback
      await release(exitedToWait ? launch.launcherPid : undefined);
    }
    // Exited to wait: everything is in dataDir and the launcher waits for this process to end. A socket or timer
    // something left open (a keep-alive connection, a library's timer) must not hold it, resident and doing nothing.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the callback above
    if (exitedToWait) setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
  } finally {
    // A stop is a stop however it ended: its config broken meanwhile, a credentials or cluster id file gone bad,
    // Disabled (the samples stay for the next start's send). Without the mark, the start after the fix would carry
    // on as after a crash, not sampling until the next slot. A stop that made its last send has marked it already.
    if (launch.reason === 'stop' && launch.heldDataDir !== undefined)
      await markWakeStopped(launch.heldDataDir);
    hangups.done();
  }
}

/**
 * A dataDir edited while the service waits between ticks: the service keeps
 * the one it holds until the next start (runDaemon). Said once, as a kept
 * problem is (a reload, which starts the kept problems afresh, says it again),
 * not at every wake; an edit back forgets it.
 */
function noteHeldDataDir(log: Logger, loaded: Config, running: Config, warned: Set<string>): void {
  const key = `dataDir ${crc32(Buffer.from(loaded.dataDir, 'utf8')).toString(16)}`;
  for (const open of [...warned])
    if (open.startsWith('dataDir ') && (open !== key || loaded === running)) warned.delete(open);
  if (loaded === running || warned.has(key)) return;
  warned.add(key);
  log.warn(
    'telemetry.dataDir takes effect at the next start (systemctl restart edge-telemetry); the running buffer is kept',
    { dataDir: running.dataDir, configured: loaded.dataDir },
  );
}

/** While disabled and waiting, a look at the config a day (a reload looks at once). */
const DISABLED_WAIT_SECONDS = '86400.000';

/** How long an exit to wait may take to drain before the process ends anyway. */
const EXIT_GRACE_MS = 1000;

/** What a SIGHUP means in each phase: remembered while starting, a reload while running, nothing after. */
class Hangups {
  private phase: Phase = 'starting';
  private whileStarting = false;
  private daemon: Daemon | undefined;

  constructor(private readonly log: Logger) {}

  received(): void {
    if (this.phase === 'starting') this.whileStarting = true;
    else if (this.phase === 'running') this.daemon?.requestReload();
    else if (this.phase === 'stopping') this.log.info('SIGHUP ignored: stopping');
  }

  /** One hangup or more while starting is one reload now: the config may have been read before the edit. */
  running(daemon: Daemon): void {
    this.phase = 'running';
    this.daemon = daemon;
    if (this.whileStarting) daemon.requestReload();
  }

  stopping(): void {
    this.phase = 'stopping';
  }

  done(): void {
    this.phase = 'done';
    this.daemon = undefined;
  }
}

/** The running daemon: its config, its agent (none while Disabled by a reload), and the reloads of both. */
class Daemon {
  private agent: Agent | undefined;
  private readonly reloads: Coalesced;
  /** buffer: memory means nothing written to dataDir, the status file included. */
  private readonly status: StatusRecorder | undefined;
  /** With --expose-gc (the unit): a full GC after each tick and send, a minor one between the steps of a send; otherwise nothing. */
  private readonly memory = heapShrink();
  /** Set once the daemon has decided to exit until its next work (launcher-wake.ts); it never goes back. */
  private exiting: Promise<boolean> | undefined;
  private resolveWaited: () => void = () => {};
  /** Resolves when the daemon has saved everything and asked the launcher to wait: the process ends. */
  readonly waited = new Promise<void>((resolve) => (this.resolveWaited = resolve));
  private stateWrites: Promise<void> = Promise.resolve();
  /** An exit to wait failed: this process stays resident. */
  private cannotWait = false;
  /** Where the schedule stood at the last work that ended. */
  private standing: ScheduleAnchor | undefined;
  private stateWriteFailed = false;

  constructor(
    private readonly configFile: string,
    private config: Config,
    /** Each destination's view of the one buffer; replaced when a reload changes the destinations. */
    private buffers: DestinationBuffers,
    private readonly cursors: CursorStore,
    private readonly log: Logger,
    private readonly notices: Notices,
    private readonly kept: KeptState,
    private readonly launch: LaunchContext,
  ) {
    this.status =
      buffers.shared.kind === 'disk'
        ? new StatusRecorder(
            config.dataDir,
            redactUrl(config.endpoint),
            statusDestinations(config, buffers),
            log,
            Date.now,
            launch.launcherPid,
          )
        : undefined;
    this.reloads = coalescing(
      () => this.reload(),
      (error) =>
        log.error(`reload failed: ${error instanceof Error ? error.message : String(error)}`),
    );
  }

  /** At start afresh, or where the previous process of this boot left the schedule (and its status). */
  async start(): Promise<void> {
    await this.carryStatus();
    this.agent = await this.startAgent(this.config, this.kept.anchor);
  }

  requestReload(): void {
    const waitFile = this.launch.waitFile;
    if (this.exiting === undefined || waitFile === undefined) {
      this.reloads.request();
      return;
    }
    // Exiting to wait, the config read before the edit: no wait, the next Node.js (at once) reads it.
    void this.exiting
      .then((exited) =>
        exited
          ? requestWait(waitFile, waitSeconds(0, this.launch.policy), this.config.dataDir)
          : this.reloads.request(),
      )
      .catch(() => undefined);
  }

  /** After the reload running or asked for, if any: the agent's last send, then nothing is left running. */
  async stop(): Promise<void> {
    await this.reloads.idle();
    await this.agent?.stop();
  }

  /** What the process before this one said of each destination, when this one carries its schedule on. */
  private async carryStatus(): Promise<void> {
    if (this.kept.anchor === undefined || this.status === undefined) return;
    if (this.kept.statusUnwritable) this.status.carryUnwritable();
    const previous = await readStatus(this.config.dataDir);
    if (previous.kind === 'ok') this.status.carryFrom(previous.status);
  }

  /** Started to stop while no Node.js ran: one send of all there is, within the stop's deadline. */
  async lastSend(): Promise<void> {
    if (this.config.status === 'Disabled') return;
    await this.carryStatus();
    await (await this.createAgent(this.config)).stop();
  }

  /** After the last send: the next start in this boot is a start (wake-state.ts). */
  async keepStopped(): Promise<void> {
    await this.keep(this.standing ?? this.kept.anchor, { stopped: true });
  }

  /** True when the daemon is exiting to wait (a stop signal then is the launcher's to answer). */
  async exitingToWait(): Promise<boolean> {
    return this.exiting === undefined ? false : await this.exiting;
  }

  private async startAgent(current: Config, anchor?: ScheduleAnchor): Promise<Agent> {
    const agent = await this.createAgent(current);
    agent.start(anchor);
    return agent;
  }

  /**
   * Each piece of work ended: where the schedule stands goes to dataDir, and,
   * when nothing runs and the next work is far enough away, the daemon exits
   * until then (the launcher starts it again).
   */
  private settled(agent: Agent, standing: ScheduleAnchor, idleUntil: number | undefined): void {
    if (agent !== this.agent || this.exiting !== undefined) return;
    this.standing = standing;
    void this.keep(standing);
    const { policy, waitFile } = this.launch;
    if (
      idleUntil === undefined ||
      waitFile === undefined ||
      this.cannotWait ||
      this.status === undefined ||
      this.config.samplingIntervalMs < policy.minSamplingIntervalMs ||
      idleUntil - systemClock.now() < policy.minWaitMs ||
      this.reloads.busy()
    )
      return;
    this.exiting = this.exitToWait(agent, waitFile);
    void this.exiting.then((exited) => {
      if (exited) this.resolveWaited();
      else this.exiting = undefined;
    });
  }

  /** Pauses the agent, saves where it stood, tells the launcher how long to wait. False: it could not, and runs on. */
  private async exitToWait(agent: Agent, waitFile: string): Promise<boolean> {
    const anchor = await agent.pause();
    // Defined: the agent said when its next work is due before it was paused.
    const waitMs = (nextDueAt(anchor) ?? systemClock.now()) - systemClock.now();
    try {
      await this.keep(anchor, { mustWrite: true });
      const unwritableKept = this.status?.unwritable;
      await requestWait(waitFile, waitSeconds(waitMs, this.launch.policy), this.config.dataDir);
      // After the wait is asked for: a status never says "waiting" of a process that stays.
      const sendAt = nextSendDueAt(anchor);
      await this.status?.waiting(
        Date.now() + waitMs,
        sendAt === undefined ? undefined : wallTimeOf(sendAt, systemClock),
      );
      // That write may have changed what wake.json says of the status file (one refused, then taken, or the reverse).
      if (this.status !== undefined && this.status.unwritable !== unwritableKept)
        await this.keep(anchor);
      this.agent = undefined;
      return true;
    } catch (error) {
      // Resident it is, for the rest of this process (a disk that refused once would refuse at every tick), where
      // the schedule stood: nothing is lost but the memory.
      this.cannotWait = true;
      this.log.warn('cannot exit to wait; staying resident until the next start', {
        reason: (error as NodeJS.ErrnoException).code ?? String(error),
      });
      this.agent = await this.startAgent(this.config, anchor);
      return false;
    }
  }

  /** dataDir/wake.json: where the schedule stood, the CPU reading, the set-aside memories. One write at a time. */
  private keep(
    anchor: ScheduleAnchor | undefined,
    options: { readonly mustWrite?: boolean; readonly stopped?: boolean } = {},
  ): Promise<void> {
    if (this.buffers.shared.kind !== 'disk' || anchor === undefined) return Promise.resolve();
    const state: WakeState = {
      format: 1,
      bootId: this.kept.bootId ?? '',
      splayMs: this.kept.splayMs,
      schedule: shiftAnchor(anchor, systemClock.now(), bootMonotonicMs()),
      cpu: this.kept.cpu.previous,
      setAside: Object.fromEntries(
        [...this.kept.setAside].flatMap(([name, memory]) => {
          const snapshot = memory.snapshot();
          return snapshot === undefined ? [] : [[name, snapshot]];
        }),
      ),
      ...(this.kept.openProblems.size === 0
        ? {}
        : {
            problems: {
              scope: problemScope(this.config),
              keys: boundedProblemKeys(this.kept.openProblems),
            },
          }),
      ...(options.stopped === true ? { stopped: true } : {}),
      ...(this.status?.unwritable === true ? { statusUnwritable: true } : {}),
    };
    const write = this.stateWrites.then(() => writeWakeState(this.config.dataDir, state));
    this.stateWrites = write.then(
      () => {
        this.stateWriteFailed = false;
      },
      (error: unknown) => {
        if (!this.stateWriteFailed)
          this.log.warn('cannot write the schedule to dataDir; a restart starts it afresh', {
            dir: this.config.dataDir,
            reason: (error as NodeJS.ErrnoException).code ?? String(error),
          });
        this.stateWriteFailed = true;
      },
    );
    return options.mustWrite === true ? write : this.stateWrites;
  }

  /** The agent for `current`, not started; its set-aside memories and CPU reading are the ones kept in dataDir. */
  private async createAgent(current: Config): Promise<Agent> {
    const setAside = (name: string) => {
      let memory = this.kept.setAside.get(name);
      if (memory === undefined) {
        memory = new SetAsideMemory();
        (this.kept.setAside as Map<string, SetAsideMemory>).set(name, memory);
      }
      return memory;
    };
    const agent: Agent = new Agent(
      await createDestinationSends(current, this.log, this.buffers, {
        memory: this.memory,
        cpu: this.kept.cpu,
        setAside,
        openProblems: this.kept.openProblems,
        // `buffer: memory` writes nothing to dataDir, and without a boot id nothing is kept for one: asked at each send.
        ...(this.buffers.shared.kind === 'disk' && this.kept.bootId !== undefined
          ? { keepAnswers: { dir: current.dataDir, bootId: this.kept.bootId } }
          : {}),
      }),
      {
        samplingIntervalMs: current.samplingIntervalMs,
        sendingIntervalMs: current.sendingIntervalMs,
        shutdownSendTimeoutMs: Math.min(SHUTDOWN_SEND_TIMEOUT_MS, current.requestTimeoutMs),
        // Look for a cluster id file not there yet every 15 s, or every samplingInterval if shorter.
        identityPollMs: Math.min(IDENTITY_POLL_MS, current.samplingIntervalMs),
        // Drawn once per boot, uniformly: a fleet that boots together spreads its first reports over the splay.
        firstSendDelayMs: this.kept.splayMs,
        sendJitter: SEND_JITTER,
        ...(this.status === undefined ? {} : { status: this.status }),
        // No collection for a process about to exit to wait: it would only cost the wake CPU.
        memory: {
          afterWork: () => {
            if (this.exiting === undefined) this.memory.afterWork();
          },
          betweenSteps: () => this.memory.betweenSteps(),
        },
        onSettled: (standing, idleUntil) => this.settled(agent, standing, idleUntil),
      },
      // Untagged: the agent's own lines (sampling, stop) are about the daemon, not one destination.
      this.log,
    );
    return agent;
  }

  private async reload(): Promise<void> {
    const { log } = this;
    let next: Config;
    try {
      next = await loadConfig(this.configFile);
      // Refused like a config error, before the running agent is paused: a broken id file must not leave nothing running.
      if (next.status === 'Enabled') {
        await checkClusterIdFile(next.clusterIdFile);
        await checkSendFiles(next);
      }
    } catch (error) {
      log.error(
        `reload refused, keeping the running config: ${error instanceof ConfigError || error instanceof IdentityError ? error.message : String(error)}`,
      );
      return;
    }
    // Buffered samples carry over; a stop here would send them early, so only timers and wiring are replaced,
    // and the new timers carry on where the old ones stood: a reload is not a report.
    const anchor = await this.agent?.pause();
    this.agent = undefined;
    // The new config's problems are warned afresh (see keptState).
    this.kept.openProblems.clear();
    if (next.buffer !== this.config.buffer || next.dataDir !== this.config.dataDir) {
      log.warn(
        'telemetry.buffer and telemetry.dataDir take effect at the next start; the running buffer is kept',
        { buffer: this.config.buffer, dataDir: this.config.dataDir },
      );
      // What runs goes on saying where it is: the schedule, the status and the next wait are the running buffer's.
      next = { ...next, buffer: this.config.buffer, dataDir: this.config.dataDir };
    }
    // Given way to by the launcher (resident for good): no launcher is left to wait in, until the next start.
    const givenWayTo =
      this.launch.waitFile === undefined && this.launch.launcherPid === process.pid;
    const { policy } = this.launch;
    if (givenWayTo && neverWaits(this.config, policy) && !neverWaits(next, policy))
      log.info(
        'Node.js stays resident until the next start (systemctl restart edge-telemetry), which waits between ticks',
      );
    const previous = this.config;
    this.config = next;
    try {
      // Destinations added or removed: their cursors are made or forgotten, and what only a removed one lacked leaves.
      const names = destinationEntries(next).map((entry) => entry.name);
      if (!sameNames(this.buffers.names, names))
        this.buffers = await DestinationBuffers.open(
          this.buffers.shared,
          destinationEntries(next),
          this.cursors,
          log,
        );
    } catch (error) {
      // Never nothing running: the config before the reload goes on, with the cursors it had.
      log.error(
        `reload failed, keeping the running config: ${error instanceof Error ? error.message : String(error)}`,
      );
      this.config = previous;
      this.agent = await this.startAgent(previous, anchor);
      return;
    }
    this.status?.destinationsChanged(
      redactUrl(next.endpoint),
      statusDestinations(next, this.buffers),
    );
    if (next.status === 'Disabled') {
      this.notices.disabledNotice(log, next);
      await markDisabled(next.dataDir, { pid: process.pid, launcherPid: undefined }, Date.now());
      log.info(
        this.buffers.shared.kind === 'disk'
          ? 'buffered samples stay in dataDir and are sent when telemetry is enabled again'
          : 'buffered samples stay in memory until the daemon stops, and are lost then',
        { samples: this.buffers.shared.size },
      );
      return;
    }
    logDrops(
      log,
      (await this.buffers.setBounds(boundsOf(next))).dropped,
      'reload tightened the buffer bounds',
    );
    try {
      this.agent = await this.startAgent(next, anchor);
      log.info('config reloaded', { file: next.file });
    } catch (error) {
      log.error(`reload failed: ${(error as Error).message}`);
      // Something must run: the config before the reload, when its destinations still have their cursors.
      if (
        sameNames(
          this.buffers.names,
          destinationEntries(previous).map((entry) => entry.name),
        )
      ) {
        this.config = previous;
        this.agent = await this.startAgent(previous, anchor).catch(() => undefined);
      }
    }
  }
}
