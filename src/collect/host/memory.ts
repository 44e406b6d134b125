// Only systeminformation's memory module: the whole package costs ~2 MB of RSS for one call.
import { mem } from 'systeminformation/lib/memory.js';
import type { Collector } from '../collector.js';

export const MEMORY_USAGE_METRIC = 'cluster:memory_usage_bytes:sum';
const HELP = { [MEMORY_USAGE_METRIC]: 'Memory in use in bytes (total minus available).' };

/**
 * Bytes in use: total minus what the kernel says is available (MemAvailable),
 * which is what "used" means to free(1). MicroShift sends a 0-1 ratio under
 * this name; see docs/metrics.md.
 */
export function memoryUsageCollector(): Collector {
  return {
    name: 'host-memory-usage',
    help: HELP,
    kind: 'dynamic',
    async collect({ nowMs }) {
      const memory = await mem();
      const used = memory.total - memory.available;
      if (!(memory.total > 0) || !Number.isFinite(used)) throw new Error('memory figures unavailable');
      return [{ name: MEMORY_USAGE_METRIC, labels: {}, value: Math.max(0, used), timestampMs: nowMs }];
    },
  };
}
