import { readFile } from 'node:fs/promises';
import type { Collector } from '../collector.js';
import { hostFile, type HostPaths } from './host-paths.js';
import { parseMemInfo } from './meminfo.js';

export const MEMORY_USAGE_METRIC = 'cluster:memory_usage_bytes:sum';
const HELP = { [MEMORY_USAGE_METRIC]: 'Memory in use in bytes (total minus available).' };

/**
 * Bytes in use: total minus what the kernel says is available (MemAvailable),
 * which is what "used" means to free(1). MicroShift sends a 0-1 ratio under
 * this name; see docs/metrics.md.
 */
export function memoryUsageCollector(host: HostPaths): Collector {
  return {
    name: 'host-memory-usage',
    help: HELP,
    kind: 'dynamic',
    async collect({ signal, nowMs }) {
      const memory = parseMemInfo(await readFile(hostFile(host, '/proc/meminfo'), { encoding: 'utf8', signal }));
      return [{ name: MEMORY_USAGE_METRIC, labels: {}, value: memory.totalBytes - memory.availableBytes, timestampMs: nowMs }];
    },
  };
}
