// The one place that owns timers, the AbortController and shutdown order.
import type { Logger } from '../log.js';
import { every, type Periodic } from './periodic.js';
import { sampleOnce, sendReport, type SendDeps, type SendSummary } from './send-report.js';

export interface AgentSchedule {
  readonly samplingIntervalMs: number;
  readonly sendingIntervalMs: number;
  /** How long the last send at shutdown may take. */
  readonly shutdownSendTimeoutMs: number;
}

export class Agent {
  private controller = new AbortController();
  private sampling: Periodic | undefined;
  private sending: Periodic | undefined;
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
    // The first send happens right after the first sample; the grids start now.
    void first
      .catch((error: unknown) => this.log.error('first report failed', { reason: error instanceof Error ? error.message : String(error) }))
      .finally(() => {
        if (this.stopping) return;
        this.sampling = every(this.schedule.samplingIntervalMs, () => this.track(this.sample()), { name: 'sampling', log: this.log });
        this.sending = every(this.schedule.sendingIntervalMs, () => this.track(this.send()), { name: 'sending', log: this.log });
      });
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
    return sendReport(this.deps, this.controller.signal);
  }

  /** Stop the timers and what runs now; the buffer is left as it is (for a reload). */
  async pause(): Promise<void> {
    this.stopping = true;
    this.sampling?.stop();
    this.sending?.stop();
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
    this.controller.abort(new Error('shutting down'));
    await this.settled();
    let summary: SendSummary | undefined;
    try {
      summary = await sendReport(this.deps, AbortSignal.timeout(this.schedule.shutdownSendTimeoutMs));
    } catch (error) {
      this.log.error('last send failed', { reason: (error as Error).message });
    }
    this.deps.transport.close();
    if (this.deps.buffer.size > 0) {
      this.log.warn('stopped with samples not sent; they are lost with the in-memory buffer', { samples: this.deps.buffer.size });
    }
    return summary;
  }
}
