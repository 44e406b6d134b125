// Pure: sums of one metric out of Prometheus text exposition lines.

/**
 * The value of `line` when it is a sample of `metric` whose labels include
 * every pair in `match`; undefined otherwise.
 */
export function sampleValue(line: string, metric: string, match: Readonly<Record<string, string>> = {}): number | undefined {
  if (!line.startsWith(metric)) return undefined;
  const rest = line.slice(metric.length);
  let labels = '';
  let valuePart: string;
  if (rest.startsWith('{')) {
    const close = rest.lastIndexOf('}');
    if (close < 0) return undefined;
    labels = rest.slice(1, close);
    valuePart = rest.slice(close + 1);
  } else if (rest.startsWith(' ') || rest.startsWith('\t')) {
    valuePart = rest;
  } else {
    return undefined; // another metric sharing the prefix
  }
  for (const [name, value] of Object.entries(match)) {
    if (!new RegExp(`(?:^|,)\\s*${name}="${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`).test(labels)) return undefined;
  }
  const number = Number(valuePart.trim().split(/\s+/)[0]);
  return Number.isFinite(number) ? number : undefined;
}

/** Accumulates the sum of a metric over lines fed one at a time. */
export function metricSummer(metric: string, match: Readonly<Record<string, string>> = {}): { add(line: string): void; readonly sum: number; readonly seen: number } {
  let sum = 0;
  let seen = 0;
  return {
    add(line) {
      const value = sampleValue(line, metric, match);
      if (value !== undefined) {
        sum += value;
        seen++;
      }
    },
    get sum() {
      return sum;
    },
    get seen() {
      return seen;
    },
  };
}
