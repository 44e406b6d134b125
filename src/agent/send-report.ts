// One send: static metrics plus every buffered sample, in as many requests as
// the size limit needs. Samples leave the buffer only when a receiver took them
// (2xx) or refused them for good (4xx other than 429).
import type { Logger } from '../log.js';
import type { Collector } from '../collect/collector.js';
import { runCollectors } from '../collect/run-collectors.js';
import type { AckOutcome, BufferedPoint, SampleBuffer } from '../buffer/sample-buffer.js';
import type { MetricPoint } from '../model.js';
import { rangesWithin } from '../buffer/seq-ranges.js';
import { planDelivery } from '../deliver/plan.js';
import { splitRequest } from '../remote-write/split-request.js';
import { scrubSecrets } from '../remote-write/headers.js';
import type { Clock } from '../timers.js';
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
import type { AuthSource } from './auth-source.js';

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
  /**
   * Called between the steps of a send (after the static collectors, after
   * each batch read from the buffer, before each request): the daemon's
   * minor collection, which keeps a send's garbage from growing V8's young
   * generation (src/heap-shrink.ts). Absent: nothing.
   */
  readonly betweenSteps?: () => void;
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
/** After a request still failed: go on with the next request, or end the send (samples kept). */
type OnFailure = (
  failure: Failure,
  seqs: readonly number[],
  release: (outcome: AckOutcome) => Promise<void>,
) => Promise<'next' | 'stop'>;

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
  const { log, buffer } = deps;
  let requests = 0;
  let delivered = 0;
  let samplesSent = 0;
  let samplesDropped = 0;
  const failed = (failure?: string): SendSummary => ({
    ok: false,
    requests,
    delivered,
    samplesSent,
    samplesDropped,
    samplesKept: buffer.size,
    ...(failure === undefined ? {} : { failure }),
  });
  const identityState = await deps.identity.resolve();
  logIdentityNotice(log, identityState);
  // Nothing can be sent without the id (it is in the bearer and in every series); samples wait in the buffer.
  if (identityState.kind === 'waiting') return failed('the cluster id file does not exist yet');
  const identity = identityState.identity;
  const auth = await deps.resolveAuth(identity.clusterId);
  if (!auth.ok) {
    log.error(
      `cannot send: ${auth.reason}; ${deps.oneShot === true ? 'nothing sent' : 'samples kept for the next send'}`,
    );
    return failed(`cannot send: ${auth.reason}`);
  }
  const { headers, secrets } = auth;
  const reasonOf = (failure: { readonly reason: string }) => scrubSecrets(failure.reason, secrets);

  let lastRequest = { bodyBytes: 0, samples: 0 };
  /** Requests answered 413 and sent again as two halves: neither a delivery nor a failure. */
  let splits = 0;
  /** Set by a final answer that keeps every sample and ends the send (judgeResult logged it). */
  const keptAll: { reason?: string } = {};
  /** One attempt a request while the backlog is being skipped past a request set aside. */
  let skipping = false;
  /**
   * Builds, plans and sends points; what is answered for good leaves the
   * buffer. `onFailure` decides whether a request that still fails ends it.
   * Resolves false when it stopped.
   */
  const sendPoints = async (
    staticPoints: readonly MetricPoint[],
    points: readonly BufferedPoint[],
    onFailure: OnFailure,
  ): Promise<boolean> => {
    const pointSeqs = points.map((entry) => entry.seq);
    const release = (seqs: readonly number[], outcome: AckOutcome) =>
      buffer.acknowledge(rangesWithin(pointSeqs, new Set(seqs)), outcome);
    const plan = planDelivery(staticPoints, points, identity, deps.maxRequestBytes);
    for (const rejected of plan.rejected) {
      log.warn('series dropped, receivers would refuse it', {
        series: formatLabels(rejected.labels),
        reason: rejected.reason,
      });
      await release(rejected.seqs, 'rejected');
      samplesDropped += rejected.seqs.length;
    }
    for (const oversized of plan.oversized) {
      log.warn('series dropped, larger than maxRequestBytes on its own', {
        series: formatLabels(oversized.labels),
      });
      await release(oversized.seqs, 'oversized');
      samplesDropped += oversized.seqs.length;
    }
    // In order; the halves of a request refused as too large (413) go before the rest.
    const queue = [...plan.requests];
    for (let request = queue.shift(); request !== undefined; request = queue.shift()) {
      deps.betweenSteps?.();
      requests++;
      const result = await sendWithRetry(
        (attemptSignal) => deps.transport.post(request.body, headers, attemptSignal),
        skipping ? { ...deps.retry, maxAttempts: 1 } : deps.retry,
        signal,
        (failure, attempt, waitMs) =>
          log.warn('send attempt failed, retrying', {
            attempt,
            reason: reasonOf(failure),
            retryAfterMs: failure.retryAfterMs,
            waitMs,
          }),
        deps.clock === undefined ? {} : { clock: deps.clock },
      );
      if (result.kind === 'retryable') {
        if (
          (await onFailure(result, request.seqs, (outcome) => release(request.seqs, outcome))) ===
          'stop'
        )
          return false;
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
              secrets,
              {},
              'nothing more is delivered by this run (once does not keep samples)',
            )
          : judgeResult(result, facts, log, secrets, { buffered: buffer.size });
      if (action === 'acknowledge') {
        await release(request.seqs, 'delivered');
        delivered++;
        samplesSent += request.sampleCount;
        lastRequest = { bodyBytes: request.body.length, samples: request.sampleCount };
        skipping = false;
        continue;
      }
      if (action === 'drop') {
        // Sending the same bytes again would be refused again (remote-write spec).
        await release(request.seqs, 'rejected');
        // Every sample of the request, the static snapshot's too: what the refusal line says it dropped.
        samplesDropped += request.sampleCount;
        continue;
      }
      if (action === 'split') {
        // judgeResult splits only a request of two samples or more, so there are two halves; a one-sample request is kept.
        splits++;
        queue.unshift(...splitRequest(request).requests);
        continue;
      }
      // Kept: credentials, URL or path (401, 403, 404, 405, 407, 410, 431), a one-sample 413, a failed TLS check, a redirect, or
      // cancelled. Every later request would meet the same.
      keptAll.reason =
        result.kind === 'cancelled'
          ? 'cancelled'
          : result.kind === 'tls'
            ? result.reason
            : `${result.kind}: HTTP ${result.status}`;
      return false;
    }
    return true;
  };
  const keepAll = (failure: Failure): SendSummary => {
    if (deps.oneShot === true) {
      log.error('send failed; nothing more is delivered by this run (once does not keep samples)', {
        attempts: failure.attempts,
        reason: reasonOf(failure),
        delivered,
        requests,
      });
    } else {
      log.warn('send failed; samples kept for the next send', {
        attempts: failure.attempts,
        reason: reasonOf(failure),
        buffered: buffer.size,
      });
    }
    return failed(reasonOf(failure));
  };

  const fresh = await runCollectors(deps.collectors, 'static', {
    timeoutMs: deps.collectTimeoutMs,
    signal,
    log,
  });
  deps.betweenSteps?.();
  let newest: readonly BufferedPoint[];
  /** Set when a network error ended the backlog (the failure callbacks run inside sendPoints). */
  const ended: { by?: Failure } = {};
  let setAsideThisSend = 0;
  /** The first request this send set aside: whether it counts (and is dropped at SET_ASIDE_LIMIT) is known at the end. */
  const aside: {
    firstSeq?: number;
    samples?: number;
    release?: (outcome: AckOutcome) => Promise<void>;
    fields?: Record<string, unknown>;
  } = {};
  /** Counted only when the receiver took another request of this send: then it refuses this one, it is not down. */
  const settleSetAside = async (): Promise<void> => {
    if (aside.firstSeq === undefined || delivered === 0) return;
    const times = deps.setAside.confirm(aside.firstSeq);
    if (times < SET_ASIDE_LIMIT || aside.release === undefined) return;
    await aside.release('rejected');
    samplesDropped += aside.samples ?? 0;
    deps.setAside.clear();
    log.error(
      'backlog request refused at every send while the receiver took the rest; its samples are dropped',
      { ...aside.fields, sends: times },
    );
  };
  const finish = async (summary: () => SendSummary): Promise<SendSummary> => {
    await settleSetAside();
    return summary();
  };
  /** Set when too many backlog requests were set aside in this send: the current values go at once. */
  const skipped: { toCurrent?: true } = {};
  const backlogFailure: OnFailure = async (failure, seqs, release) => {
    if (failure.status === undefined) {
      // A network error: the endpoint cannot be reached; nothing newer would get through either.
      ended.by = failure;
      return 'stop';
    }
    const fields = { samples: seqs.length, status: failure.status, reason: reasonOf(failure) };
    if (setAsideThisSend === 0) {
      const firstSeq = seqs[0] ?? 0;
      Object.assign(aside, { firstSeq, samples: seqs.length, release, fields });
      log.warn('backlog request set aside; the rest goes on, it is tried again at the next send', {
        ...fields,
        sends: deps.setAside.timesBefore(firstSeq) + 1,
      });
    }
    setAsideThisSend++;
    skipping = true;
    if (setAsideThisSend > MAX_SET_ASIDE_PER_SEND) {
      skipped.toCurrent = true;
      return 'stop';
    }
    return 'next';
  };

  let afterSeq = 0;
  let batchPoints = FIRST_BATCH_POINTS;
  for (;;) {
    const batch = await buffer.read({ afterSeq, maxPoints: batchPoints });
    deps.betweenSteps?.();
    const last = batch.done || batch.points.length === 0;
    const split = last ? splitNewestTick(batch.points) : { older: batch.points, newest: [] };
    newest = split.newest;
    const whole = split.older.length === 0 || (await sendPoints([], split.older, backlogFailure));
    if (afterSeq === 0 && setAsideThisSend === 0) deps.setAside.clear();
    if (!whole) {
      if (ended.by !== undefined) return finish(() => keepAll(ended.by as Failure));
      if (keptAll.reason !== undefined) return finish(() => failed(keptAll.reason));
      if (skipped.toCurrent === true) {
        log.warn(
          'backlog requests keep failing; the current values go now, the rest is kept for the next send',
          { setAside: setAsideThisSend },
        );
        if (!last) newest = (await newestTick(buffer, batch.cursor, batchPoints))?.points ?? [];
        break;
      }
    }
    if (last) break;
    batchPoints = nextBatchPoints(deps.maxRequestBytes, lastRequest.bodyBytes, lastRequest.samples);
    afterSeq = batch.cursor;
    if (signal.aborted) {
      log.warn('send stopped before the end of the backlog; the rest is kept for the next send', {
        buffered: buffer.size,
      });
      return finish(() => failed());
    }
  }
  skipping = false;
  const current: { failure?: Failure } = {};
  await sendPoints(fresh.points, newest, async (failure) => {
    current.failure = failure;
    return 'stop';
  });
  await settleSetAside();
  if (current.failure !== undefined) return keepAll(current.failure);
  if (keptAll.reason !== undefined) return failed(keptAll.reason);
  log.info('report sent', {
    requests,
    delivered,
    samples: samplesSent,
    dropped: samplesDropped,
    buffered: buffer.size,
  });
  return {
    ok: delivered === requests - splits,
    requests,
    delivered,
    samplesSent,
    samplesDropped,
    samplesKept: buffer.size,
  };
}
