// One send: static metrics plus every buffered sample, in as many requests as
// the size limit needs. Samples leave the buffer only when a receiver took them
// (2xx) or refused them for good (4xx other than 429).
import type { Logger } from '../log.js';
import type { Collector } from '../collect/collector.js';
import { runCollectors } from '../collect/run-collectors.js';
import type { SampleBuffer } from '../buffer/sample-buffer.js';
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

export async function sendReport(deps: SendDeps, signal: AbortSignal): Promise<SendSummary> {
  const { log, buffer } = deps;
  const failed = (requests = 0, delivered = 0, samplesSent = 0, samplesDropped = 0): SendSummary => ({
    ok: false, requests, delivered, samplesSent, samplesDropped, samplesKept: buffer.size,
  });
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

  const fresh = await runCollectors(deps.collectors, 'static', { timeoutMs: deps.collectTimeoutMs, signal, log });
  const report = buildReport(fresh.points, await buffer.pending(), identity);
  let samplesDropped = 0;
  const forget = new Set<number>();
  for (const rejected of report.rejected) {
    log.warn('series dropped, receivers would refuse it', { series: formatLabels(rejected.labels), reason: rejected.reason });
    rejected.seqs.forEach((seq) => forget.add(seq));
    samplesDropped += rejected.seqs.length;
  }
  const plan = planRequests(report.series, deps.maxRequestBytes);
  for (const oversized of plan.oversized) {
    log.warn('series dropped, larger than maxRequestBytes on its own', { series: formatLabels(oversized.labels) });
    oversized.seqs.forEach((seq) => forget.add(seq));
    samplesDropped += oversized.seqs.length;
  }
  await buffer.remove(forget);

  const headers = remoteWriteHeaders(bearer, deps.userAgent);
  let delivered = 0;
  let samplesSent = 0;
  for (const [index, request] of plan.requests.entries()) {
    const result = await sendWithRetry(
      (attemptSignal) => deps.transport.post(request.body, headers, attemptSignal),
      deps.retry,
      signal,
      (failure, attempt, retryAfterMs) =>
        log.warn('send attempt failed, retrying', {
          attempt, reason: scrubSecrets(failure.reason, secrets), retryAfterMs,
        }),
    );
    const acknowledged = new Set(request.seqs);
    if (result.kind === 'delivered') {
      await buffer.remove(acknowledged);
      delivered++;
      samplesSent += request.sampleCount;
      continue;
    }
    if (result.kind === 'rejected') {
      // Sending the same bytes again would be refused again (remote-write spec).
      await buffer.remove(acknowledged);
      samplesDropped += acknowledged.size;
      log.error('receiver refused the request; its samples are dropped', {
        status: result.status, series: request.seriesCount, samples: request.sampleCount, body: scrubSecrets(result.body, secrets),
        hint: result.status === 413 ? 'lower telemetry.maxRequestBytes' : result.status === 401 ? 'check the pull secret' : undefined,
      });
      continue;
    }
    log.warn('send failed; samples kept for the next send', {
      attempts: result.attempts, reason: scrubSecrets(result.reason, secrets), unsentRequests: plan.requests.length - index,
    });
    return failed(plan.requests.length, delivered, samplesSent, samplesDropped);
  }
  const ok = delivered === plan.requests.length;
  log.info('report sent', { requests: plan.requests.length, delivered, samples: samplesSent, dropped: samplesDropped, buffered: buffer.size });
  return { ok, requests: plan.requests.length, delivered, samplesSent, samplesDropped, samplesKept: buffer.size };
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
    points: result.points.length, failed: result.failed.length, buffered: deps.buffer.size, rssBytes: memory.rss, heapUsedBytes: memory.heapUsed,
  });
  if (dropped > 0) {
    deps.log.warn('sample buffer full; oldest samples dropped', { dropped, capacity: deps.buffer.capacity, droppedTotal: deps.buffer.droppedTotal });
  }
  return result.points.length;
}
