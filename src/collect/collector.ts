import type { MetricPoint } from '../model.js';

/**
 * static: read at each send (capacities, versions). dynamic: read at each
 * sampling tick and buffered until a receiver took them (usage).
 */
export type CollectorKind = 'static' | 'dynamic';

export interface CollectContext {
  readonly signal: AbortSignal;
  readonly nowMs: number;
}

export interface Collector {
  readonly name: string;
  readonly kind: CollectorKind;
  /** HELP text of each metric this collector produces, by metric name (what `show` prints). */
  readonly help: Readonly<Record<string, string>>;
  collect(context: CollectContext): Promise<readonly MetricPoint[]>;
}
