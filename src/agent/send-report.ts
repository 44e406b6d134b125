// One send: static metrics plus every buffered sample, in as many requests as
// the size limit needs. Samples leave the buffer only when a receiver took them
// (2xx) or refused them for good (4xx other than 429).
import type { Logger } from '../log.js';
import type { Collector } from '../collect/collector.js';
import { runCollectors } from '../collect/run-collectors.js';
import type { AckOutcome, SampleBuffer } from '../buffer/sample-buffer.js';
import { rangesWithin } from '../buffer/seq-ranges.js';
import { buildReport } from '../report/build-report.js';
import { planRequests } from '../remote-write/plan-requests.js';
import { remoteWriteHeaders, scrubSecrets, telemeterBearer } from '../remote-write/headers.js';
import type { Transport } from '../transport/http-transport.js';
import { sendWithRetry, type RetryPolicy } from '../transport/retry.js';
import { formatLabels } from '../report/exposition.js';
import type { IdentitySource, IdentityState } from './identity-source.js';

export interface SendDeps {
  readonly log: Logger;
  readonly collectors: readonly Collector[];
  readonly buffer: SampleBuffer;
  readonly transport: Transport;
  /** Known, or waiting for a cluster id file that does not exist yet. */
  readonly identity: IdentitySource;
  readonly readToken: () => Promise<string>;
  readonly userAgent: string;
  readonly retry: RetryPolicy;
  readonly maxRequestBytes: number;
  readonly collectTimeoutMs: number;
}

export interface SendSummary {
  /** Every request got a 2xx. */
  readonly ok: boolean;
  readonly requests: number;
  readonly delivered: number;
  readonly samplesSent: number;
  readonly samplesDropped: number;
  readonly samplesKept: number;
}

/** Backlog points read for the first request of a send; later batches follow what the requests measured. */
export const FIRST_BATCH_POINTS = 2048;
/** However well samples compress, a batch never holds more (bounds the heap while sending). */
export const MAX_BATCH_POINTS = 16_384;
const MIN_BATCH_POINTS = 256;

/** Points that should fill about 80 % of maxRequestBytes, at the bytes per sample a request just took. */
export function nextBatchPoints(maxRequestBytes: number, bodyBytes: number, samples: number): number {
  if (samples === 0 || bodyBytes === 0) return FIRST_BATCH_POINTS;
  const fitting = Math.floor((maxRequestBytes * 0.8) / (bodyBytes / samples));
  return Math.max(MIN_BATCH_POINTS, Math.min(MAX_BATCH_POINTS, fitting));
}

/**
 * The backlog is streamed from the buffer oldest first, one batch at a time,
 * each batch sized to make about one request; the static metrics ride with the
 * first. A request's samples leave the buffer as soon as it is answered for
 * good, as ranges of seqs, so memory does not grow with the backlog and a
 * failure later in the send does not resend what was taken.
 */
export async function sendReport(deps: SendDeps, signal: AbortSignal): Promise<SendSummary> {
  const { log, buffer } = deps;
  let requests = 0;
  let delivered = 0;
  let samplesSent = 0;
  let samplesDropped = 0;
  const failed = (): SendSummary => ({ ok: false, requests, delivered, samplesSent, samplesDropped, samplesKept: buffer.size });
  const identityState = await deps.identity.resolve();
  logIdentityNotice(log, identityState);
  // Nothing can be sent without the id (it is in the bearer and in every series); samples wait in the buffer.
  if (identityState.kind === 'waiting') return failed();
  const identity = identityState.identity;
  let token: string;
  try {
    token = await deps.readToken();
  } catch (error) {
    log.error(`cannot send: ${(error as Error).message}; samples kept for the next send`);
    return failed();
  }
  const bearer = telemeterBearer(token, identity.clusterId);
  const secrets = [token, bearer];
  const headers = remoteWriteHeaders(bearer, deps.userAgent);

  const fresh = await runCollectors(deps.collectors, 'static', { timeoutMs: deps.collectTimeoutMs, signal, log });
  let staticPoints = fresh.points;
  let afterSeq = 0;
  let batchPoints = FIRST_BATCH_POINTS;
  for (;;) {
    const batch = await buffer.read({ afterSeq, maxPoints: batchPoints });
    const batchSeqs = batch.points.map((entry) => entry.seq);
    const release = (seqs: readonly number[], outcome: AckOutcome) => buffer.acknowledge(rangesWithin(batchSeqs, new Set(seqs)), outcome);
    const report = buildReport(staticPoints, batch.points, identity);
    staticPoints = [];
    for (const rejected of report.rejected) {
      log.warn('series dropped, receivers would refuse it', { series: formatLabels(rejected.labels), reason: rejected.reason });
      await release(rejected.seqs, 'rejected');
      samplesDropped += rejected.seqs.length;
    }
    const plan = planRequests(report.series, deps.maxRequestBytes);
    for (const oversized of plan.oversized) {
      log.warn('series dropped, larger than maxRequestBytes on its own', { series: formatLabels(oversized.labels) });
      await release(oversized.seqs, 'oversized');
      samplesDropped += oversized.seqs.length;
    }
    for (const [index, request] of plan.requests.entries()) {
      requests++;
      const result = await sendWithRetry(
        (attemptSignal) => deps.transport.post(request.body, headers, attemptSignal),
        deps.retry,
        signal,
        (failure, attempt, retryAfterMs) =>
          log.warn('send attempt failed, retrying', {
            attempt, reason: scrubSecrets(failure.reason, secrets), retryAfterMs,
          }),
      );
      if (result.kind === 'delivered') {
        await release(request.seqs, 'delivered');
        delivered++;
        samplesSent += request.sampleCount;
        batchPoints = nextBatchPoints(deps.maxRequestBytes, request.body.length, request.sampleCount);
        continue;
      }
      if (result.kind === 'rejected') {
        // Sending the same bytes again would be refused again (remote-write spec).
        await release(request.seqs, 'rejected');
        samplesDropped += request.seqs.length;
        log.error('receiver refused the request; its samples are dropped', {
          status: result.status, series: request.seriesCount, samples: request.sampleCount, body: scrubSecrets(result.body, secrets),
          hint: result.status === 413 ? 'lower telemetry.maxRequestBytes' : result.status === 401 ? 'check the pull secret' : undefined,
        });
        continue;
      }
      log.warn('send failed; samples kept for the next send', {
        attempts: result.attempts, reason: scrubSecrets(result.reason, secrets), unsentRequestsOfBatch: plan.requests.length - index, buffered: buffer.size,
      });
      return failed();
    }
    afterSeq = batch.cursor;
    if (batch.done || batch.points.length === 0) break;
    if (signal.aborted) {
      log.warn('send stopped before the end of the backlog; the rest is kept for the next send', { buffered: buffer.size });
      return failed();
    }
  }
  log.info('report sent', { requests, delivered, samples: samplesSent, dropped: samplesDropped, buffered: buffer.size });
  return { ok: delivered === requests, requests, delivered, samplesSent, samplesDropped, samplesKept: buffer.size };
}

/** A change in the identity's state (first wait, the id found), once each. */
export function logIdentityNotice(log: Logger, state: IdentityState): void {
  if (state.notice !== undefined) log[state.notice.level](state.notice.message);
}

/** One sampling tick: dynamic collectors into the buffer. */
export async function sampleOnce(
  deps: Pick<SendDeps, 'log' | 'collectors' | 'buffer' | 'collectTimeoutMs'>,
  signal: AbortSignal,
): Promise<number> {
  const result = await runCollectors(deps.collectors, 'dynamic', { timeoutMs: deps.collectTimeoutMs, signal, log: deps.log });
  const { dropped } = await deps.buffer.append(result.points);
  const memory = process.memoryUsage();
  deps.log.debug('sampled', {
    points: result.points.length, timestampMs: result.points[0]?.timestampMs, failed: result.failed.length, buffered: deps.buffer.size, rssBytes: memory.rss, heapUsedBytes: memory.heapUsed,
  });
  if ((dropped.full ?? 0) > 0 || (dropped.age ?? 0) > 0) {
    // One line a tick, with the counts: the bound that was hit and how many of the oldest went.
    deps.log.warn('sample buffer bound reached; oldest samples dropped', {
      full: dropped.full, age: dropped.age, maxBufferedSamples: deps.buffer.bounds.maxSamples, maxBufferedAgeMs: deps.buffer.bounds.maxAgeMs, buffered: deps.buffer.size,
    });
  }
  return result.points.length;
}
