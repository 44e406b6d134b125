import type { Logger } from '../base/log.js';
import type { MetricPoint } from '../base/model.js';
import type { Collector, CollectorKind } from './collector.js';
import { linkedSignal } from '../base/abort.js';
import { systemClock, type Clock } from '../base/timers.js';

export interface CollectionResult {
  readonly points: readonly MetricPoint[];
  readonly failed: readonly string[];
}

/**
 * Calls a collector has not finished yet, past their deadline included. A call
 * that ignores its signal (a statfs on a dead NFS mount sits in a libuv thread
 * until the kernel gives up) is not started again while it runs: each new call
 * would hold one more of libuv's four threads, and the buffer's writes and DNS
 * need them too. Keyed by the collector object, so it is forgotten with it.
 */
const unfinished = new WeakMap<Collector, Promise<unknown>>();

/**
 * Collectors failing now: one that fails says so once, then once again when
 * it works, not at every tick (an API down for a day would be thousands of
 * lines). Later failures, whatever their reason, are debug lines.
 */
const failing = new WeakSet<Collector>();

function noteFailure(collector: Collector, reason: string, log: Logger): void {
  const fields = { collector: collector.name, reason };
  if (failing.has(collector))
    return log.debug('collector failed again; its series are left out of this round', fields);
  failing.add(collector);
  log.warn('collector failed; its series are left out until it works again (said once)', fields);
}

function noteSuccess(collector: Collector, log: Logger): void {
  if (!failing.delete(collector)) return;
  log.info('collector works again; its series are back', { collector: collector.name });
}

/**
 * Runs every collector of one kind side by side, each under its own deadline.
 * One failing or hanging collector costs only its own series.
 */
export async function runCollectors(
  collectors: readonly Collector[],
  kind: CollectorKind,
  options: { timeoutMs: number; signal: AbortSignal; log: Logger; nowMs?: number; clock?: Clock },
): Promise<CollectionResult> {
  // Timestamps are wall time; `clock` runs only the deadlines (a test's virtual clock has no date).
  const nowMs = options.nowMs ?? Date.now();
  const chosen = collectors.filter((collector) => collector.kind === kind);
  const outcomes = await Promise.all(
    chosen.map(async (collector) => {
      if (unfinished.has(collector)) {
        noteFailure(
          collector,
          'its previous call has not returned yet; not started again',
          options.log,
        );
        return undefined;
      }
      const linked = linkedSignal(
        options.signal,
        options.timeoutMs,
        () => new Error('collector deadline'),
        options.clock ?? systemClock,
      );
      const signal = linked.signal;
      try {
        const call = collector.collect({ signal, timeoutMs: options.timeoutMs, nowMs });
        unfinished.set(collector, call);
        const forget = () => unfinished.delete(collector);
        call.then(forget, forget);
        const points = await untilAborted(call, signal);
        noteSuccess(collector, options.log);
        return points;
      } catch (error) {
        // Cancelled by the caller (a stop, a reload): not the collector's failure.
        if (options.signal.aborted) return undefined;
        const reason = signal.aborted
          ? `timed out after ${options.timeoutMs} ms`
          : errorText(error);
        noteFailure(collector, reason, options.log);
        return undefined;
      } finally {
        linked.dispose();
      }
    }),
  );
  const points: MetricPoint[] = [];
  const failed: string[] = [];
  outcomes.forEach((outcome, index) => {
    if (outcome === undefined) failed.push((chosen[index] as Collector).name);
    else points.push(...outcome);
  });
  return { points, failed };
}

/** Collectors are given the signal; this stops us waiting on one that ignores it. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  // The reason is whatever the caller aborted with (lib.dom types it `any`).
  const reason = (): unknown => signal.reason;
  if (signal.aborted) return Promise.reject(reason());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(reason());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== undefined && !error.message.includes(code)
      ? `${code}: ${error.message}`
      : error.message;
  }
  return String(error);
}
