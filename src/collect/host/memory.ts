import type { Collector } from '../collector.js';
import { readHostText, type HostPaths } from './host-paths.js';
import { parseMemInfo } from './meminfo.js';

export const MEMORY_USAGE_METRIC = 'cluster:memory_usage_bytes:sum';
const HELP = { [MEMORY_USAGE_METRIC]: 'Memory in use in bytes (total minus available).' };
/** /proc/meminfo is ~1.5 KiB. */
const MAX_MEMINFO_BYTES = 64 * 1024;

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
    async collect({ nowMs }) {
      const memory = parseMemInfo(await readHostText(host, '/proc/meminfo', MAX_MEMINFO_BYTES));
      return [
        {
          name: MEMORY_USAGE_METRIC,
          labels: {},
          value: memory.totalBytes - memory.availableBytes,
          timestampMs: nowMs,
        },
      ];
    },
  };
}
