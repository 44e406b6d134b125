// Every metric a collector defines has its UCUM unit for OTLP (src/otlp/units.ts).
import t from 'tap';
import { hostCollectors } from '../../src/collect/host/index.js';
import { clusterCollectors, nodeCapacitySource } from '../../src/collect/cluster/index.js';
import { METRIC_UNITS } from '../../src/otlp/units.js';

t.test('every metric name a collector gives HELP for has a unit', async (t) => {
  const names = new Set<string>();
  const connection = {} as never;
  for (const collector of [
    ...hostCollectors({
      host: { root: '' },
      diskPaths: ['/'],
      deploymentType: async () => 'microshift-rpm',
      cluster: nodeCapacitySource(connection),
    }),
    ...clusterCollectors(connection, { extraResources: [] }),
  ])
    for (const name of Object.keys(collector.help)) names.add(name);
  t.ok(names.size >= 10, `${names.size} metric names`);
  t.same(
    [...names].filter((name) => METRIC_UNITS[name] === undefined),
    [],
  );
});
