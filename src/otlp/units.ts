// The UCUM unit OTLP carries on each metric (OpenTelemetry's semantic
// conventions: `By` for bytes, a curly-brace annotation for a count of things,
// `1` for a dimensionless value). One row per metric name the collectors
// define; test/otlp/units.test.ts fails when a collector's metric has none.
export const METRIC_UNITS: Readonly<Record<string, string>> = {
  'cluster:capacity_cpu_cores:sum': '{core}',
  'cluster:capacity_memory_bytes:sum': 'By',
  'cluster:cpu_usage_cores:sum': '{core}',
  'cluster:memory_usage_bytes:sum': 'By',
  'cluster:capacity_disk_bytes:sum': 'By',
  'cluster:disk_usage_bytes:sum': 'By',
  microshift_version: '1',
  'cluster:usage:resources:sum': '{object}',
  'cluster:usage:containers:sum': '{container}',
  'cluster:usage:container_images:sum': '{image}',
  'instance:etcd_object_counts:sum': '{object}',
};

/** A metric without a row (none today) goes out as dimensionless: OTLP's unit is optional. */
export function unitOf(name: string): string {
  return METRIC_UNITS[name] ?? '1';
}
