// Pure: a report as Prometheus text exposition (0.0.4), what `show` prints.
import { METRIC_NAME_LABEL, type Label } from '../model.js';
import type { ReportSeries } from './build-report.js';

const HELP: Readonly<Record<string, string>> = {
  'cluster:capacity_cpu_cores:sum': 'CPU cores of the node.',
  'cluster:capacity_memory_bytes:sum': 'Memory of the node in bytes.',
  'cluster:cpu_usage_cores:sum': 'CPU cores in use, averaged since the previous sample.',
  'cluster:memory_usage_bytes:sum': 'Memory in use in bytes (total minus available).',
  'cluster:capacity_disk_bytes:sum': 'Size in bytes of the filesystems holding the node data.',
  'cluster:disk_usage_bytes:sum': 'Bytes used on the filesystems holding the node data.',
  microshift_version: 'MicroShift version, OS version and deployment type, always 1.',
  'cluster:usage:resources:sum': 'Number of Kubernetes objects by resource.',
  'cluster:usage:containers:sum': 'Running containers.',
  'cluster:usage:container_images:sum': 'Container images stored on the node.',
  'instance:etcd_object_counts:sum': 'Objects stored by the API server.',
};

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

export function toExposition(series: readonly ReportSeries[]): string {
  const byName = new Map<string, ReportSeries[]>();
  for (const item of series) {
    const name = item.series.labels.find((label) => label.name === METRIC_NAME_LABEL)?.value ?? '';
    byName.set(name, [...(byName.get(name) ?? []), item]);
  }
  const lines: string[] = [];
  for (const name of [...byName.keys()].sort()) {
    lines.push(`# HELP ${name} ${HELP[name] ?? 'Collected by edge-telemetry.'}`, `# TYPE ${name} gauge`);
    for (const item of byName.get(name) ?? []) {
      const labels = formatLabels(item.series.labels);
      for (const sample of item.series.samples) lines.push(`${labels} ${formatValue(sample.value)} ${sample.timestampMs}`);
    }
  }
  return lines.join('\n') + '\n';
}
