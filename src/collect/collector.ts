import type { MetricPoint } from '../base/model.js';

/**
 * static: read at each send (capacities, versions). dynamic: read at each
 * sampling tick and buffered until a receiver took them (usage).
 */
export type CollectorKind = 'static' | 'dynamic';

export interface CollectContext {
  /** Aborts at the collector's deadline, timeoutMs after it was called. */
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  readonly nowMs: number;
}

export interface Collector {
  readonly name: string;
  readonly kind: CollectorKind;
  /** HELP text of each metric this collector produces, by metric name (what `show` prints). */
  readonly help: Readonly<Record<string, string>>;
  collect(context: CollectContext): Promise<readonly MetricPoint[]>;
}

/** Every metric's HELP text, by name, over these collectors (show prints it, OTLP sends it as the description). */
export function helpTexts(collectors: readonly Collector[]): Record<string, string> {
  const help: Record<string, string> = {};
  for (const collector of collectors) Object.assign(help, collector.help);
  return help;
}
