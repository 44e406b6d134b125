// One send: static metrics plus every buffered sample, in as many requests as
// the size limit needs. Samples leave the buffer only when a receiver took them
// (2xx) or refused them for good (4xx other than 429).
import type { Logger } from '../base/log.js';
import type { MemoryPolicy } from '../base/heap-shrink.js';
import { helpTexts, type Collector } from '../collect/collector.js';
import { runCollectors } from '../collect/run-collectors.js';
import type { AckOutcome, BufferedPoint, SampleBuffer } from '../buffer/sample-buffer.js';
import type { MetricPoint } from '../base/model.js';
import { rangesWithin } from '../buffer/seq-ranges.js';
import { planDelivery } from './plan.js';
import { splitRequest } from './split-request.js';
import { wireProtocol, type WireFormat, type WireProtocol } from './wire-format.js';
import { scrubSecrets } from '../remote-write/headers.js';
import type { Clock } from '../base/timers.js';
import type { Transport } from '../transport/http-transport.js';
import { sendWithRetry, type FinalResult, type RetryPolicy } from '../transport/retry.js';
import { formatLabels } from '../report/exposition.js';
import { logIdentityNotice, type IdentitySource } from './identity-source.js';
import { judgeResult } from './delivery-outcome.js';
import {
  FIRST_BATCH_POINTS,
  nextBatchPoints,
  newestTick,
  splitNewestTick,
} from './backlog-batches.js';
import { MAX_SET_ASIDE_PER_SEND, SET_ASIDE_LIMIT, type SetAsideMemory } from './set-aside.js';
import type { AuthSource } from '../credentials/auth-source.js';
import type { ReportIdentity } from '../report/build-report.js';

export interface SendDeps {
  readonly log: Logger;
  readonly collectors: readonly Collector[];
  readonly buffer: SampleBuffer;
  readonly transport: Transport;
  /** Known, or waiting for a cluster id file that does not exist yet. */
  readonly identity: IdentitySource;
  /** The headers and secrets of this send, credentials read fresh (auth-source.ts). */
  readonly resolveAuth: AuthSource;
  readonly userAgent: string;
  readonly retry: RetryPolicy;
  readonly maxRequestBytes: number;
  readonly collectTimeoutMs: number;
  /** The sampling grid, which bounds a sampling tick (sample-tick.ts). */
  readonly samplingIntervalMs?: number;
  /** Which backlog request the previous sends set aside (kept across sends, not restarts). */
  readonly setAside: SetAsideMemory;
  /** `once`: there is no next send, so a failure says what was not delivered instead of "kept". */
  readonly oneShot?: boolean;
  /** The clock the retry waits run on (the agent's; tests fake it); the system clock when absent. */
  readonly clock?: Clock;
  /** Its betweenSteps runs after the static collectors, after each batch read from the buffer and before each request. */
  readonly memory?: MemoryPolicy;
  /** The destination's protocol (remote-write when absent); its transport reads replies by the same rules. */
  readonly protocol?: WireProtocol;
  /**
   * The static metrics of this send, when several destinations share one
   * reading (the agent collects them once per sending slot); absent, the
   * send runs the static collectors itself.
   */
  readonly staticPoints?: (signal: AbortSignal) => Promise<readonly MetricPoint[]>;
}

export interface SendSummary {
  /** Every request got a 2xx. */
  readonly ok: boolean;
  readonly requests: number;
  readonly delivered: number;
  readonly samplesSent: number;
  readonly samplesDropped: number;
  readonly samplesKept: number;
  /** Why the send did not complete, scrubbed (for `status`). */
  readonly failure?: string;
}

type Failure = FinalResult & { readonly kind: 'retryable' };

/**
 * How sending one batch of points ended; every way but `whole` ends the
 * backlog, and all but `skip-to-current` the send.
 */
type BatchEnd =
  | { readonly kind: 'whole' }
  /** A network error: nothing newer would get through either; everything kept. */
  | { readonly kind: 'unreachable'; readonly failure: Failure }
  /** A final answer that keeps every sample (credentials, URL, TLS, a redirect, cancelled); judgeResult logged it. */
  | { readonly kind: 'kept'; readonly reason: string }
  /** Too many backlog requests set aside in this send: the current values go at once. */
  | { readonly kind: 'skip-to-current' }
  /** The current values' request still failed after its retries. */
  | { readonly kind: 'failed'; readonly failure: Failure };

/** How the send ended: any way a batch ends but skipping to the current values. */
type SendEnd = Exclude<BatchEnd, { readonly kind: 'skip-to-current' }>;

/** The backlog goes first, then the current values (the static snapshot and the newest tick). */
type Phase = 'backlog' | 'current';

/** The first backlog request this send set aside: whether it counts (and is dropped at SET_ASIDE_LIMIT) is known at the end. */
interface SetAsideRequest {
  readonly firstSeq: number;
  readonly samples: number;
  readonly release: (outcome: AckOutcome) => Promise<void>;
  readonly fields: Record<string, unknown>;
}

/**
 * One send, in this order, so that old data never blocks new:
 * 1. the backlog, streamed from the buffer oldest first, one batch at a time,
 *    each batch sized to make about one request, each series in timestamp order;
 * 2. last, in a request of its own, the current values: the static snapshot
 *    (capacities, versions) and the newest tick's samples. Receivers that refuse
 *    old samples refuse a whole request (Prometheus and Mimir: 400), so current
 *    values never share one with the backlog.
 * A request's samples leave the buffer as soon as it is answered for good, as
 * ranges of seqs, so memory does not grow with the backlog and a failure later
 * does not resend what was taken. A refusal (400, 422) drops that request only;
 * 413 sends it again in halves (a one-sample 413 is the path's limit: kept);
 * 401/403/404/405/407/410/431 and 3xx keep everything and end the send
 * (delivery-outcome.ts).
 * A backlog request that still fails with an HTTP 5xx or 429 after its retries
 * (Thanos receive answers 503 for samples outside its window, for ever) is set
 * aside, kept, and the backlog goes on in order, one attempt a request, until a
 * request is taken (then retries again) or MAX_SET_ASIDE_PER_SEND more failed
 * (then the current values go at once). The request set aside first is tried
 * first at the next send, and dropped, counted, once it has been set aside
 * SET_ASIDE_LIMIT sends in a row in which the receiver took other requests; a
 * send in which nothing was taken (an outage: 503 or 429 for everything) does
 * not count. A network error ends the send at once, everything kept.
 */
export async function sendReport(deps: SendDeps, signal: AbortSignal): Promise<SendSummary> {
  const { log } = deps;
  const identityState = await deps.identity.resolve();
  logIdentityNotice(log, identityState);
  // Nothing can be sent without the id (it is in the bearer and in every series); samples wait in the buffer.
  if (identityState.kind === 'waiting')
    return notSent(deps.buffer, 'the cluster id file does not exist yet');
  const auth = await deps.resolveAuth(identityState.identity.clusterId);
  if (!auth.ok) {
    log.error(
      `cannot send: ${auth.reason}; ${deps.oneShot === true ? 'nothing sent' : 'samples kept for the next send'}`,
    );
    return notSent(deps.buffer, `cannot send: ${auth.reason}`);
  }
  return new ReportSend(deps, signal, identityState.identity, auth.headers, auth.secrets).run();
}

/** Each metric's HELP text, as the collectors give it (OTLP's description). */
function helpOf(collectors: readonly Collector[]): (name: string) => string {
  const help = helpTexts(collectors);
  return (name) => help[name] ?? '';
}

/**
 * The static collectors, read once when the first send asks: the sends of one
 * slot (or of `once`) to several destinations share one reading.
 */
export function staticReading(
  deps: Pick<SendDeps, 'collectors' | 'collectTimeoutMs' | 'log' | 'clock'>,
): (signal: AbortSignal) => Promise<readonly MetricPoint[]> {
  let reading: Promise<readonly MetricPoint[]> | undefined;
  return (signal) =>
    (reading ??= runCollectors(deps.collectors, 'static', {
      timeoutMs: deps.collectTimeoutMs,
      signal,
      log: deps.log,
      ...(deps.clock === undefined ? {} : { clock: deps.clock }),
    }).then((result) => result.points));
}

function notSent(buffer: SampleBuffer, failure: string): SendSummary {
  return {
    ok: false,
    requests: 0,
    delivered: 0,
    samplesSent: 0,
    samplesDropped: 0,
    samplesKept: buffer.size,
    failure,
  };
}

/** One send's state: its counts, its phase and what it set aside; `run` is the whole send. */
class ReportSend {
  private requests = 0;
  private delivered = 0;
  private samplesSent = 0;
  private samplesDropped = 0;
  /** Requests answered 413 and sent again as two halves: neither a delivery nor a failure. */
  private splits = 0;
  private lastRequest = { bodyBytes: 0, samples: 0 };
  /** One attempt a request while the backlog is being skipped past a request set aside. */
  private skipping = false;
  private setAsideThisSend = 0;
  private firstSetAside: SetAsideRequest | undefined;
  private readonly protocol: WireProtocol;
  private readonly format: WireFormat;

  constructor(
    private readonly deps: SendDeps,
    private readonly signal: AbortSignal,
    private readonly identity: ReportIdentity,
    private readonly headers: Readonly<Record<string, string>>,
    private readonly secrets: readonly string[],
  ) {
    this.protocol = deps.protocol ?? wireProtocol('remote-write');
    this.format = this.protocol.format(identity, helpOf(deps.collectors));
  }

  async run(): Promise<SendSummary> {
    const { deps, signal } = this;
    const { log, buffer } = deps;
    const fresh = { points: await (deps.staticPoints ?? staticReading(deps))(signal) };
    deps.memory?.betweenSteps();
    let newest: readonly BufferedPoint[];
    let afterSeq = 0;
    let batchPoints = FIRST_BATCH_POINTS;
    for (;;) {
      const batch = await buffer.read({ afterSeq, maxPoints: batchPoints });
      deps.memory?.betweenSteps();
      const last = batch.done || batch.points.length === 0;
      const split = last ? splitNewestTick(batch.points) : { older: batch.points, newest: [] };
      newest = split.newest;
      const end: BatchEnd =
        split.older.length === 0
          ? { kind: 'whole' }
          : await this.sendPoints([], split.older, 'backlog');
      // The first batch went through without setting anything aside: the request set aside before is taken or
      // gone. A batch that reached no receiver, or was refused as a whole (401, cancelled), says nothing of it.
      if (afterSeq === 0 && this.setAsideThisSend === 0 && end.kind === 'whole')
        deps.setAside.clear();
      if (end.kind === 'skip-to-current') {
        log.warn(
          'backlog requests keep failing; the current values go now, the rest is kept for the next send',
          { setAside: this.setAsideThisSend },
        );
        if (!last) newest = (await newestTick(buffer, batch.cursor, batchPoints))?.points ?? [];
        break;
      }
      if (end.kind !== 'whole') return this.finish(end);
      if (last) break;
      batchPoints = nextBatchPoints(
        deps.maxRequestBytes,
        this.lastRequest.bodyBytes,
        this.lastRequest.samples,
      );
      afterSeq = batch.cursor;
      if (signal.aborted) {
        log.warn('send stopped before the end of the backlog; the rest is kept for the next send', {
          buffered: buffer.size,
        });
        await this.settleSetAside();
        return this.summary(
          false,
          'stopped before the end of the backlog; the rest is kept for the next send',
        );
      }
    }
    this.skipping = false;
    return this.finish(await this.sendPoints(fresh.points, newest, 'current'));
  }

  private reasonOf(failure: { readonly reason: string }): string {
    return scrubSecrets(failure.reason, this.secrets);
  }

  private summary(ok: boolean, failure?: string): SendSummary {
    return {
      ok,
      requests: this.requests,
      delivered: this.delivered,
      samplesSent: this.samplesSent,
      samplesDropped: this.samplesDropped,
      samplesKept: this.deps.buffer.size,
      ...(failure === undefined ? {} : { failure }),
    };
  }

  /** The end of the send, whichever way it ended: the set-aside request is settled first, then counted. */
  private async finish(end: SendEnd): Promise<SendSummary> {
    await this.settleSetAside();
    switch (end.kind) {
      case 'unreachable':
      case 'failed':
        return this.keepAll(end.failure);
      case 'kept':
        return this.summary(false, end.reason);
      case 'whole':
        this.deps.log.info('report sent', {
          requests: this.requests,
          delivered: this.delivered,
          samples: this.samplesSent,
          dropped: this.samplesDropped,
          buffered: this.deps.buffer.size,
        });
        return this.delivered === this.requests - this.splits
          ? this.summary(true)
          : this.summary(false, this.setAsideThisSend > 0 ? this.setAsideLine() : undefined);
    }
  }

  private keepAll(failure: Failure): SendSummary {
    const { deps } = this;
    const { log, buffer } = deps;
    if (deps.oneShot === true) {
      log.error('send failed; nothing more is delivered by this run (once does not keep samples)', {
        attempts: failure.attempts,
        reason: this.reasonOf(failure),
        delivered: this.delivered,
        requests: this.requests,
      });
    } else {
      log.warn('send failed; samples kept for the next send', {
        attempts: failure.attempts,
        reason: this.reasonOf(failure),
        buffered: buffer.size,
      });
    }
    return this.summary(false, this.reasonOf(failure));
  }

  /**
   * Builds, plans and sends points; what is answered for good leaves the
   * buffer. A request that still fails after its retries ends the batch,
   * unless it is a backlog request the receiver answered (then it is set aside).
   */
  private async sendPoints(
    staticPoints: readonly MetricPoint[],
    points: readonly BufferedPoint[],
    phase: 'current',
  ): Promise<SendEnd>;
  private async sendPoints(
    staticPoints: readonly MetricPoint[],
    points: readonly BufferedPoint[],
    phase: 'backlog',
  ): Promise<BatchEnd>;
  private async sendPoints(
    staticPoints: readonly MetricPoint[],
    points: readonly BufferedPoint[],
    phase: Phase,
  ): Promise<BatchEnd> {
    const { deps, signal } = this;
    const { log, buffer } = deps;
    const pointSeqs = points.map((entry) => entry.seq);
    const release = (seqs: readonly number[], outcome: AckOutcome) =>
      buffer.acknowledge(rangesWithin(pointSeqs, new Set(seqs)), outcome);
    const plan = planDelivery(
      staticPoints,
      points,
      this.identity,
      deps.maxRequestBytes,
      this.format,
    );
    for (const rejected of plan.rejected) {
      log.warn('series dropped, receivers would refuse it', {
        series: formatLabels(rejected.labels),
        reason: rejected.reason,
      });
      await release(rejected.seqs, 'rejected');
      this.samplesDropped += rejected.seqs.length;
    }
    for (const oversized of plan.oversized) {
      log.warn('series dropped, larger than maxRequestBytes on its own', {
        series: formatLabels(oversized.labels),
      });
      await release(oversized.seqs, 'oversized');
      this.samplesDropped += oversized.seqs.length;
    }
    // In order; the halves of a request refused as too large (413) go before the rest.
    const queue = [...plan.requests];
    for (let request = queue.shift(); request !== undefined; request = queue.shift()) {
      deps.memory?.betweenSteps();
      this.requests++;
      const headers =
        request.contentEncoding === undefined
          ? this.headers
          : { ...this.headers, 'Content-Encoding': request.contentEncoding };
      const result = await sendWithRetry(
        (attemptSignal) => deps.transport.post(request.body, headers, attemptSignal),
        this.skipping ? { ...deps.retry, maxAttempts: 1 } : deps.retry,
        signal,
        (failure, attempt, waitMs) =>
          log.warn('send attempt failed, retrying', {
            attempt,
            reason: this.reasonOf(failure),
            retryAfterMs: failure.retryAfterMs,
            waitMs,
          }),
        deps.clock === undefined ? {} : { clock: deps.clock },
      );
      if (result.kind === 'retryable') {
        if (phase === 'current') return { kind: 'failed', failure: result };
        // A network error: the endpoint cannot be reached; nothing newer would get through either.
        if (result.status === undefined) return { kind: 'unreachable', failure: result };
        this.setAside(result, result.status, request.seqs, (outcome) =>
          release(request.seqs, outcome),
        );
        if (this.setAsideThisSend > MAX_SET_ASIDE_PER_SEND) return { kind: 'skip-to-current' };
        continue;
      }
      const facts = {
        seriesCount: request.seriesCount,
        sampleCount: request.sampleCount,
        bodyBytes: request.body.length,
      };
      const action =
        deps.oneShot === true
          ? judgeResult(
              result,
              facts,
              log,
              this.secrets,
              {},
              'nothing more is delivered by this run (once does not keep samples)',
            )
          : judgeResult(result, facts, log, this.secrets, { buffered: buffer.size });
      switch (action) {
        case 'acknowledge': {
          await release(request.seqs, 'delivered');
          this.delivered++;
          const refused =
            result.kind === 'delivered' ? this.refusedIn(result.body, request.sampleCount) : 0;
          if (refused > 0) {
            await buffer.countRefused(refused);
            this.samplesDropped += refused;
          }
          this.samplesSent += request.sampleCount - refused;
          this.lastRequest = { bodyBytes: request.body.length, samples: request.sampleCount };
          this.skipping = false;
          continue;
        }
        case 'drop':
          // Sending the same bytes again would be refused again (remote-write spec).
          await release(request.seqs, 'rejected');
          // Every sample of the request, the static snapshot's too: what the refusal line says it dropped.
          this.samplesDropped += request.sampleCount;
          continue;
        case 'split':
          // judgeResult splits only a request of two samples or more, so there are two halves; a one-sample request is kept.
          this.splits++;
          queue.unshift(...splitRequest(request, this.format).requests);
          continue;
        case 'keep':
          // Credentials, URL or path (401, 403, 404, 405, 407, 410, 431), a one-sample 413, a failed TLS check, a
          // redirect, or cancelled. Every later request would meet the same.
          return {
            kind: 'kept',
            reason:
              result.kind === 'cancelled'
                ? 'cancelled'
                : result.kind === 'tls'
                  ? result.reason
                  : `${result.kind}: HTTP ${result.status}`,
          };
      }
    }
    return { kind: 'whole' };
  }

  /**
   * How many points of a request the receiver took but refused (OTLP's
   * partial_success, which names a count, not the points): dropped for good,
   * as the specification says, with the receiver's reason in the log line.
   */
  private refusedIn(body: Uint8Array | undefined, samples: number): number {
    if (body === undefined) return 0;
    const partial = this.protocol.partialRejection(body);
    if (partial === undefined) return 0;
    const refused = Math.min(samples, partial.rejectedDataPoints);
    this.deps.log.warn(
      refused > 0
        ? 'receiver took the request but refused some of its points; they are dropped'
        : 'receiver took the request with a warning',
      { refused, reason: scrubSecrets(partial.errorMessage, this.secrets).slice(0, 512) },
    );
    return refused;
  }

  /** A backlog request the receiver still refuses after its retries (5xx, 429): kept, and the backlog goes on. */
  private setAside(
    failure: Failure,
    status: number,
    seqs: readonly number[],
    release: (outcome: AckOutcome) => Promise<void>,
  ): void {
    const fields = { samples: seqs.length, status, reason: this.reasonOf(failure) };
    if (this.setAsideThisSend === 0) {
      const firstSeq = seqs[0] ?? 0;
      this.firstSetAside = { firstSeq, samples: seqs.length, release, fields };
      this.deps.log.warn(
        'backlog request set aside; the rest goes on, it is tried again at the next send',
        { ...fields, sends: this.deps.setAside.timesBefore(firstSeq) + 1 },
      );
    }
    this.setAsideThisSend++;
    this.skipping = true;
  }

  /** Why a send that reached its end did not deliver everything, when requests were set aside (kept, not dropped). */
  private setAsideLine(): string {
    const count = this.setAsideThisSend;
    const status = this.firstSetAside?.fields.status;
    const dropped =
      this.samplesDropped > 0
        ? `; ${this.samplesDropped} samples refused for good and dropped`
        : '';
    return `${count} backlog request${count === 1 ? '' : 's'} set aside (HTTP ${String(status)}), kept for the next send${dropped}`;
  }

  /** Counted only when the receiver took another request of this send: then it refuses this one, it is not down. */
  private async settleSetAside(): Promise<void> {
    const aside = this.firstSetAside;
    if (aside === undefined || this.delivered === 0) return;
    const times = this.deps.setAside.confirm(aside.firstSeq);
    if (times < SET_ASIDE_LIMIT) return;
    await aside.release('rejected');
    this.samplesDropped += aside.samples;
    this.deps.setAside.clear();
    this.deps.log.error(
      'backlog request refused at every send while the receiver took the rest; its samples are dropped',
      { ...aside.fields, sends: times },
    );
  }
}
