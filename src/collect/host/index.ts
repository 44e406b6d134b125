import type { Collector } from '../collector.js';
import { capacityCollector } from './capacity.js';
import type { NodeCapacitySource } from '../node-capacity.js';
import { cpuUsageCollector, type CpuReadings } from './cpu.js';
import { diskCollector } from './disk.js';
import { memoryUsageCollector } from './memory.js';
import { versionCollector } from './version.js';
import type { HostPaths } from './host-paths.js';

export interface HostCollectorOptions {
  readonly host: HostPaths;
  readonly diskPaths: readonly string[];
  /** MicroShift's deployment type (rpm, ostree, bootc), found by the caller. */
  readonly deploymentType: () => Promise<string>;
  readonly cluster?: NodeCapacitySource;
  readonly version?: (signal: AbortSignal) => Promise<string | undefined>;
  /** The previous /proc/stat reading, kept by the caller (across a wake). */
  readonly cpu?: CpuReadings;
}

/** The table of host collectors. */
export function hostCollectors(options: HostCollectorOptions): Collector[] {
  return [
    capacityCollector(options.host, options.cluster),
    diskCollector(options.diskPaths, 'static'),
    versionCollector(options.host, {
      deploymentType: options.deploymentType,
      version: options.version,
    }),
    cpuUsageCollector(options.host, undefined, options.cpu),
    memoryUsageCollector(options.host),
    diskCollector(options.diskPaths, 'dynamic'),
  ];
}
