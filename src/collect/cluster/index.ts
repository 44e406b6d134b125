// The table of cluster collectors.
import type { Collector } from '../collector.js';
import type { KubeConnection } from '../../kube/connection.js';
import { containerCountCollector } from './container-count.js';
import { imageCountCollector } from './image-count.js';
import { objectCountCollector } from './object-count.js';
import { resourceCountCollector } from './resource-count.js';
import type { ExtraResource } from './resources.js';

export { nodeCapacitySource } from './nodes.js';

export interface ClusterCollectorOptions {
  readonly extraResources: readonly ExtraResource[];
  readonly imagesFile?: string;
}

export function clusterCollectors(
  connection: KubeConnection,
  options: ClusterCollectorOptions,
): Collector[] {
  return [
    resourceCountCollector(connection, options.extraResources),
    containerCountCollector(connection),
    objectCountCollector(connection),
    imageCountCollector(connection, options.imagesFile),
  ];
}
