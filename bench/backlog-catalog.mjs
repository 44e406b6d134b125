// The backlog bench:backlog measures: 30 days of 1-minute sampling of the full
// dynamic catalog of a 300-pod MicroShift node (docs/metrics.md): CPU, memory
// and disk use, running containers, and the six resource counts. Values move
// the way a node's do (slowly, with noise), so they compress like real ones.
export const DAYS = 30;
export const TICKS = DAYS * 24 * 60;
export const BACKLOG_BOUNDS = { maxSamples: 10_000_000, maxAgeMs: (DAYS + 1) * 86_400_000 };
const START = Date.UTC(2026, 9, 1);
export const backlogStart = () => START;

const RESOURCES = [
  'pods',
  'namespaces',
  'services',
  'ingresses.networking.k8s.io',
  'routes.route.openshift.io',
  'customresourcedefinitions.apiextensions.k8s.io',
];
const BASE = {
  pods: 300,
  namespaces: 42,
  services: 120,
  'ingresses.networking.k8s.io': 8,
  'routes.route.openshift.io': 25,
  'customresourcedefinitions.apiextensions.k8s.io': 96,
};

export function catalogTick(tick) {
  const timestampMs = START + tick * 60_000;
  const wave = Math.sin(tick / 240);
  const point = (name, labels, value) => ({ name, labels, value, timestampMs });
  return [
    point('cluster:cpu_usage_cores:sum', {}, 1.2 + 0.6 * wave + ((tick * 7919) % 97) / 1000),
    point(
      'cluster:memory_usage_bytes:sum',
      {},
      6_000_000_000 + Math.round(400_000_000 * wave) + ((tick * 104_729) % 4096) * 1024,
    ),
    point('cluster:disk_usage_bytes:sum', {}, 40_000_000_000 + tick * 12_288),
    point('cluster:usage:containers:sum', {}, 340 + (tick % 17 === 0 ? 1 : 0)),
    ...RESOURCES.map((resource) =>
      point(
        'cluster:usage:resources:sum',
        { resource },
        BASE[resource] + (resource === 'pods' && tick % 31 === 0 ? 1 : 0),
      ),
    ),
  ];
}
