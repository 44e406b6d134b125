// The one place that owns timers, the AbortController and shutdown order.
import type { Logger } from '../log.js';
import { every, type Periodic } from './periodic.js';
import { logIdentityNotice, sampleOnce, sendReport, type SendDeps, type SendSummary } from './send-report.js';

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
}

export const IDENTITY_POLL_MS = 15_000;

export class Agent {
  private controller = new AbortController();
  private sampling: Periodic | undefined;
  private sending: Periodic | undefined;
  private identityPoll: Periodic | undefined;
  /** The send that runs now: a send asked for while one runs joins it instead of sending the same samples twice. */
  private sendInFlight: Promise<SendSummary> | undefined;
  /** What runs now; each entry leaves when it settles, so nothing accumulates over weeks. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(
    private readonly deps: SendDeps,
    private readonly schedule: AgentSchedule,
    private readonly log: Logger = deps.log,
  ) {}

  /** Samples and sends at once, then on the configured intervals. */
  start(): void {
    const first = this.track(this.sample().then(() => this.send()));
    let waitingForIdentity = false;
    // The first send happens right after the first sample; the grids start now.
    void first
      .then(async () => {
        waitingForIdentity = await this.track(this.pollIdentity());
      })
      .catch((error: unknown) => this.log.error('first report failed', { reason: error instanceof Error ? error.message : String(error) }))
      .finally(() => {
        if (this.stopping) return;
        this.sampling = every(this.schedule.samplingIntervalMs, () => this.track(this.sample()), { name: 'sampling', log: this.log });
        this.sending = every(this.schedule.sendingIntervalMs, () => this.track(this.send()), { name: 'sending', log: this.log });
        if (waitingForIdentity) {
          this.identityPoll = every(this.schedule.identityPollMs ?? IDENTITY_POLL_MS, () => this.track(this.pollIdentity()), { name: 'cluster id', log: this.log });
        }
      });
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

  private sample(): Promise<number> {
    return sampleOnce(this.deps, this.controller.signal);
  }

  private send(): Promise<SendSummary> {
    this.sendInFlight ??= sendReport(this.deps, this.controller.signal).finally(() => {
      this.sendInFlight = undefined;
    });
    return this.sendInFlight;
  }

  /** Stop the timers and what runs now; the buffer is left as it is (for a reload). */
  async pause(): Promise<void> {
    this.stopping = true;
    this.sampling?.stop();
    this.sending?.stop();
    this.identityPoll?.stop();
    this.controller.abort(new Error('shutting down'));
    await this.settled();
    this.deps.transport.close();
  }

  /** Stop the timers, let one last send run within its deadline, say what was not sent. */
  async stop(): Promise<SendSummary | undefined> {
    if (this.stopping) return undefined;
    this.stopping = true;
    this.sampling?.stop();
    this.sending?.stop();
    this.identityPoll?.stop();
    this.controller.abort(new Error('shutting down'));
    await this.settled();
    let summary: SendSummary | undefined;
    try {
      summary = await sendReport(this.deps, AbortSignal.timeout(this.schedule.shutdownSendTimeoutMs));
    } catch (error) {
      this.log.error('last send failed', { reason: (error as Error).message });
    }
    this.deps.transport.close();
    if (this.deps.buffer.size > 0 && this.deps.buffer.kind === 'memory') {
      this.log.warn('stopped with samples not sent; they are lost with the in-memory buffer', { samples: this.deps.buffer.size });
    } else if (this.deps.buffer.size > 0) {
      this.log.info('stopped with samples not sent; they stay in dataDir and go with the next start', { samples: this.deps.buffer.size });
    }
    return summary;
  }
}
