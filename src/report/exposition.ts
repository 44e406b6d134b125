// Pure: a report as Prometheus text exposition (0.0.4), what `show` prints.
import { METRIC_NAME_LABEL, type Label, type Series } from '../base/model.js';

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** `{a="1",b="2"}` without __name__; used in logs too. */
export function formatLabels(labels: readonly Label[]): string {
  const name = labels.find((label) => label.name === METRIC_NAME_LABEL)?.value ?? '';
  const rest = labels.filter((label) => label.name !== METRIC_NAME_LABEL);
  return `${name}{${rest.map((label) => `${label.name}="${escapeLabelValue(label.value)}"`).join(',')}}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** `help`: HELP text by metric name, from the collectors that made the series. */
export function toExposition(
  series: readonly Series[],
  help: Readonly<Record<string, string>>,
): string {
  const byName = new Map<string, Series[]>();
  for (const item of series) {
    const name = item.labels.find((label) => label.name === METRIC_NAME_LABEL)?.value ?? '';
    byName.set(name, [...(byName.get(name) ?? []), item]);
  }
  const lines: string[] = [];
  for (const name of [...byName.keys()].sort()) {
    lines.push(
      `# HELP ${name} ${help[name] ?? 'Collected by edge-telemetry.'}`,
      `# TYPE ${name} gauge`,
    );
    for (const item of byName.get(name) ?? []) {
      const labels = formatLabels(item.labels);
      for (const sample of item.samples)
        lines.push(`${labels} ${formatValue(sample.value)} ${sample.timestampMs}`);
    }
  }
  return lines.join('\n') + '\n';
}
