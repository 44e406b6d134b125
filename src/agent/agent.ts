// The one place that owns the daemon's work timers (sampling, sending, waiting for
// the cluster id), the AbortController and shutdown order.
import type { Logger } from '../base/log.js';
import type { MemoryPolicy } from '../base/heap-shrink.js';
import { every, type Periodic } from './periodic.js';
import {
  deadlineSignal,
  longTimeout,
  systemClock,
  wallTimeOf,
  type Clock,
  type LongTimer,
} from '../base/timers.js';
import {
  sendReport,
  staticReading,
  type SendDeps,
  type SendSummary,
} from '../deliver/send-report.js';
import { sampleOnce } from './sample-tick.js';
import { logIdentityNotice } from '../deliver/identity-source.js';
import type { StatusRecorder } from './status-file.js';
import { firstRunsInMs, nextDueAt, sendJitterMs, type GridAnchor } from './schedule.js';

export interface AgentSchedule {
  readonly samplingIntervalMs: number;
  readonly sendingIntervalMs: number;
  /** How long the last send at shutdown may take. */
  readonly shutdownSendTimeoutMs: number;
  /**
   * While the cluster id file does not exist yet, how often to look for it.
   * Sending as soon as it appears, not at the next sendingInterval (24 h by
   * default), is what makes a first boot report within seconds of MicroShift's
   * first start; a look is one open() that fails.
   */
  readonly identityPollMs?: number;
  /** Tests pass a fake clock; every timer of the agent runs on it. */
  readonly clock?: Clock;
  /** At start (not after a reload), how long the first send waits: the splay drawn for this start. Sampling starts at once. */
  readonly firstSendDelayMs?: number;
  /**
   * Each send after the first waits a random part of this fraction of
   * sendingInterval past its slot (0.1: up to 10 %), drawn per slot, so a
   * fleet started together spreads over that window instead of sending in
   * step for ever. 0 in tests.
   */
  readonly sendJitter?: number;
  /** The random source of the jitter (tests fix it). */
  readonly random?: () => number;
  /** Keeps dataDir/status.json current for `edge-telemetry status` (none with buffer: memory). */
  readonly status?: StatusRecorder;
  /** Its afterWork runs after each sampling tick and each send, when the work that made the garbage is done. */
  readonly memory?: MemoryPolicy;
  /**
   * Called whenever a piece of work ends (a tick, a send, a jitter drawn, the
   * cluster id found) with where the schedule stands then (what `pause`
   * would return), and, when nothing runs and the first report of this start
   * has gone, when the next work is due: the daemon keeps the first in
   * dataDir and may exit until the second (src/agent/wake-state.ts).
   */
  readonly onSettled?: (standing: ScheduleAnchor, idleUntil: number | undefined) => void;
}

export const IDENTITY_POLL_MS = 15_000;

/** Where the schedule of a paused agent stood, so that a reload neither samples nor sends early, nor puts either off. */
export type ScheduleAnchor = GridAnchor;

export class Agent {
  private controller = new AbortController();
  private sampling: Periodic | undefined;
  private sending: Periodic | undefined;
  private identityPoll: Periodic | undefined;
  /**
   * Each destination's send that runs now: a send asked for while one runs
   * joins it instead of sending the same samples twice, and a destination
   * still sending (down, slow, retrying) is left to it while the others send
   * on their grid.
   */
  private readonly sendsInFlight = new Map<number, Promise<SendSummary>>();
  /** What runs now; each entry leaves when it settles, so nothing accumulates over weeks. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopping = false;
  /** Sampling ticks running now (0 or 1: ticks never overlap). */
  private samplingNow = 0;
  /** Sending slots running now, waiting for the first sample included. */
  private sendingNow = 0;
  private readonly clock: Clock;

  /** One per destination, the primary first; sampling goes through the first (all share one buffer). */
  private readonly sends: readonly SendDeps[];
  private readonly log: Logger;
  private releaseFirstSend: () => void = () => {};
  private firstSample: Promise<void> = Promise.resolve();
  /** A send owed off the grid (a slot's jitter being waited out), by the agent's clock. */
  private owedSend: { readonly atMs: number; readonly timer: LongTimer } | undefined;
  /** This start's first report went: every later slot is jittered. */
  private reported = false;
  /** Until the first look at the cluster id file found it there (or found it needs no waiting). */
  private identityWaiting = true;

  constructor(
    sends: SendDeps | readonly SendDeps[],
    private readonly schedule: AgentSchedule,
    log?: Logger,
  ) {
    this.clock = schedule.clock ?? systemClock;
    const list = Array.isArray(sends) ? (sends as readonly SendDeps[]) : [sends as SendDeps];
    if (list.length === 0) throw new Error('an agent needs a destination');
    // Retry waits on the agent's clock too, so an agent on a virtual clock never waits in real time.
    this.sends = list.map((deps) => ({ ...deps, clock: this.clock }));
    this.log = log ?? (this.sends[0] as SendDeps).log;
  }

  /** The primary's: sampling and the cluster id are the same for every destination. */
  private get deps(): SendDeps {
    return this.sends[0] as SendDeps;
  }

  /**
   * Samples at once and sends once the splay has passed (never before that
   * first sample), then each on its own grid (schedule.ts). The grids are
   * independent: a send stuck in retries, or an endpoint unreachable at start,
   * never delays a sampling tick.
   * Given the anchor of the agent a reload replaced, the grids carry on where
   * that one's stood instead (no extra sample, no extra report).
   */
  start(anchor?: ScheduleAnchor): void {
    const { samplingIntervalMs, sendingIntervalMs } = this.schedule;
    // At start: sampling now, sending after the splay. After a reload or a wake: where the old grids stood (schedule.ts).
    const firstRuns = firstRunsInMs(this.clock.now(), this.schedule, anchor);
    this.reported = anchor?.reported ?? false;
    let firstSampled: () => void = () => {};
    this.firstSample =
      anchor === undefined
        ? new Promise<void>((resolve) => (firstSampled = resolve))
        : Promise.resolve();
    let firstSent: () => void = () => {};
    const firstSend =
      anchor === undefined
        ? new Promise<void>((resolve) => (firstSent = resolve))
        : Promise.resolve();
    // Stopped or paused before the first send slot (during the splay): nothing waits for a send that will not come.
    this.releaseFirstSend = firstSent;
    this.sampling = every(
      samplingIntervalMs,
      () => this.track(this.sample()).finally(firstSampled),
      {
        name: 'sampling',
        log: this.log,
        clock: this.clock,
        firstRunInMs: firstRuns.samplingInMs,
      },
    );
    // A send owed by the agent before (before the grid, whose overdue slot runs at once and would draw a new
    // jitter instead), never further off than one interval: a jitter drawn for a longer sendingInterval
    // must not hold back the sends of a shorter one.
    if (anchor?.sendDueAt !== undefined)
      this.oweSend(Math.min(anchor.sendDueAt, this.clock.now() + sendingIntervalMs));
    // Slot k of this start's grid; the first report of a start is not jittered, every later one is.
    let sendSlots = this.reported ? 1 : 0;
    this.sending = every(
      sendingIntervalMs,
      async () => {
        const jitterMs = sendJitterMs(
          sendSlots++,
          sendingIntervalMs,
          this.schedule.sendJitter ?? 0,
          this.schedule.random ?? Math.random,
        );
        // Owed, not slept on: the jitter may be hours, which the daemon may spend exited.
        if (jitterMs > 0) this.oweSend(this.clock.now() + jitterMs);
        else await this.sendSlot().finally(firstSent);
      },
      {
        name: 'sending',
        log: this.log,
        clock: this.clock,
        firstRunInMs: firstRuns.sendingInMs,
      },
    );
    // While the cluster id file does not exist yet, look for it on its own grid.
    const known = this.deps.identity.knownAtStart;
    void this.track(firstSend.then(() => (this.stopping || known ? false : this.pollIdentity())))
      .then((waiting) => {
        if (!waiting || this.stopping) {
          this.identityWaiting = false;
          this.settle();
          return;
        }
        this.identityPoll = every(
          this.schedule.identityPollMs ?? IDENTITY_POLL_MS,
          () => this.track(this.pollIdentity()),
          {
            name: 'cluster id',
            log: this.log,
            clock: this.clock,
          },
        );
      })
      .catch((error: unknown) =>
        this.log.error('cluster id check failed', {
          reason: error instanceof Error ? error.message : String(error),
        }),
      );
  }

  /** The next send on the wall clock, for the status file (the grids run on a monotonic clock). */
  private nextSendWallMs(): number | undefined {
    const next = this.sending?.nextRunAt();
    return next === undefined ? undefined : wallTimeOf(next, this.clock);
  }

  /**
   * Where the schedule stands now, for the agent that replaces this one (a
   * reload, a wake, a restart): the grids' next slots, and a sample or send
   * running now or a jittered send not yet made counted as owed.
   */
  anchor(): ScheduleAnchor {
    const now = this.clock.now();
    const sending = this.sendingNow > 0 || this.sendsInFlight.size > 0;
    const sendDueAt = sending ? now : this.owedSend?.atMs;
    return {
      nextSampleAt: this.samplingNow > 0 ? now : this.sampling?.nextRunAt(),
      nextSendAt: this.sending?.nextRunAt(),
      ...(sendDueAt === undefined ? {} : { sendDueAt }),
      reported: this.reported,
    };
  }

  /** A send at `atMs` (at once when past), outside the grid; one owed already stands (it sends all there is). */
  private oweSend(atMs: number): void {
    if (this.owedSend !== undefined || this.stopping) return;
    if (atMs <= this.clock.now()) {
      void this.sendSlot();
      return;
    }
    const timer = longTimeout(
      () => {
        this.owedSend = undefined;
        void this.sendSlot();
      },
      atMs - this.clock.now(),
      this.clock,
    );
    this.owedSend = { atMs, timer };
    this.settle();
  }

  /** A send slot's work: after the first sample of this start, a send to every destination, not awaited. */
  private async sendSlot(): Promise<void> {
    this.sendingNow++;
    try {
      await this.track(this.firstSample);
      if (this.stopping) return;
      this.reported = true;
      // Started, not awaited: a destination that takes long must not cost the others their next slot.
      this.send().catch((error: unknown) =>
        this.log.error('send failed', {
          reason: error instanceof Error ? error.message : String(error),
        }),
      );
    } finally {
      this.sendingNow--;
    }
  }

  /** Tells the daemon where the schedule stands, and when the next work is due if nothing runs now. */
  private settle(): void {
    const onSettled = this.schedule.onSettled;
    if (onSettled === undefined || this.stopping) return;
    const idle =
      this.samplingNow === 0 &&
      this.sendingNow === 0 &&
      this.sendsInFlight.size === 0 &&
      this.reported &&
      !this.identityWaiting;
    // Idle, nothing is running, so the anchor's times are the grids' next slots and the owed send.
    const standing = this.anchor();
    onSettled(standing, idle ? nextDueAt(standing) : undefined);
  }

  /** Sends as soon as the cluster id file appears, then stops looking. True while still waiting. */
  private async pollIdentity(): Promise<boolean> {
    const state = await this.deps.identity.resolve();
    logIdentityNotice(this.log, state);
    if (state.kind === 'waiting') return true;
    this.identityPoll?.stop();
    this.identityPoll = undefined;
    if (state.found === true && !this.stopping) await this.send();
    return false;
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    const forget = () => this.inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }

  private async settled(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private async sample(): Promise<number> {
    this.samplingNow++;
    try {
      const points = await sampleOnce(this.deps, this.controller.signal);
      await this.schedule.status?.sampled(this.nextSendWallMs());
      return points;
    } finally {
      this.samplingNow--;
      // Settled first: a daemon that exits to wait now has no use for a collection (the daemon's policy skips it).
      this.settle();
      this.schedule.memory?.afterWork();
    }
  }

  /**
   * A send to every destination not already sending, concurrently, each
   * within its own retries and deadlines; they share one reading of the
   * static metrics. Resolves with each destination's outcome.
   */
  private send(signal: AbortSignal = this.controller.signal, last = false): Promise<SendSummary[]> {
    const staticPoints =
      this.sends.length > 1 ? staticReading({ ...this.deps, log: this.log }) : undefined;
    return Promise.all(
      this.sends.map((deps, index) => {
        let running = this.sendsInFlight.get(index);
        if (running === undefined) {
          running = this.track(
            sendReport(staticPoints === undefined ? deps : { ...deps, staticPoints }, signal)
              .then(async (summary) => {
                await this.schedule.status?.sent(summary, this.nextSendWallMs(), index);
                return summary;
              })
              .finally(() => {
                this.sendsInFlight.delete(index);
                // Not after the last send at stop: the process exits.
                this.settle();
                if (!last) this.schedule.memory?.afterWork();
              }),
          );
          this.sendsInFlight.set(index, running);
        }
        return running;
      }),
    );
  }

  /** Stop the timers and what runs now; the buffer is left as it is (for a reload). Says where the schedule stood. */
  async pause(): Promise<ScheduleAnchor> {
    // A sample or a send cut short here is owed: the agent that takes over does it at once.
    const anchor = this.anchor();
    this.stopping = true;
    this.sampling?.stop();
    this.sending?.stop();
    this.identityPoll?.stop();
    this.owedSend?.timer.cancel();
    this.owedSend = undefined;
    this.releaseFirstSend();
    this.controller.abort(new Error('shutting down'));
    await this.settled();
    for (const deps of this.sends) deps.transport.close();
    return anchor;
  }

  /** Stop the timers, let one last send run within its deadline, say what was not sent. */
  async stop(): Promise<SendSummary | undefined> {
    if (this.stopping) return undefined;
    this.stopping = true;
    this.sampling?.stop();
    this.sending?.stop();
    this.identityPoll?.stop();
    this.owedSend?.timer.cancel();
    this.owedSend = undefined;
    this.releaseFirstSend();
    this.controller.abort(new Error('shutting down'));
    await this.settled();
    let summaries: SendSummary[] | undefined;
    const deadline = deadlineSignal(
      this.schedule.shutdownSendTimeoutMs,
      () => new Error('shutdown deadline'),
      this.clock,
    );
    try {
      summaries = await this.send(deadline.signal, true);
    } catch (error) {
      this.log.error('last send failed', { reason: (error as Error).message });
    } finally {
      deadline.dispose();
    }
    for (const deps of this.sends) deps.transport.close();
    // What the destination furthest behind still lacks: the samples the buffer keeps.
    const unsent = Math.max(...this.sends.map((deps) => deps.buffer.size));
    if (unsent > 0 && this.deps.buffer.kind === 'memory') {
      this.log.warn('stopped with samples not sent; they are lost with the in-memory buffer', {
        samples: unsent,
      });
    } else if (unsent > 0) {
      this.log.info(
        'stopped with samples not sent; they stay in dataDir and go with the next start',
        { samples: unsent },
      );
    }
    const summary = summaries?.[0];
    return summary;
  }
}
