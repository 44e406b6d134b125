// Pure: sums of one metric out of Prometheus text exposition lines.

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A reader of one metric's samples: given a line, its value when the line is
 * a sample of `metric` whose labels include every pair in `match`.
 * The label patterns are built once; /metrics bodies run to tens of thousands of lines.
 */
export function sampleReader(
  metric: string,
  match: Readonly<Record<string, string>> = {},
): (line: string) => number | undefined {
  const labelPatterns = Object.entries(match).map(
    ([name, value]) => new RegExp(`(?:^|,)\\s*${name}="${escapeRegExp(value)}"`),
  );
  return (line) => {
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
    for (const pattern of labelPatterns) if (!pattern.test(labels)) return undefined;
    const number = Number(valuePart.trim().split(/\s+/)[0]);
    return Number.isFinite(number) ? number : undefined;
  };
}

export function sampleValue(
  line: string,
  metric: string,
  match: Readonly<Record<string, string>> = {},
): number | undefined {
  return sampleReader(metric, match)(line);
}

/** Accumulates the sum of a metric over lines fed one at a time. */
export function metricSummer(
  metric: string,
  match: Readonly<Record<string, string>> = {},
): { readonly add: (line: string) => void; readonly sum: number; readonly seen: number } {
  const read = sampleReader(metric, match);
  let sum = 0;
  let seen = 0;
  return {
    add: (line) => {
      const value = read(line);
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
