import os from 'node:os';
import type { Collector } from '../collector.js';
import { coresInUse, parseProcStat, type CpuTimes } from './proc-stat.js';
import { readHostText, type HostPaths } from './host-paths.js';

export const CPU_USAGE_METRIC = 'cluster:cpu_usage_cores:sum';
const HELP = { [CPU_USAGE_METRIC]: 'CPU cores in use, averaged since the previous sample.' };
/** /proc/stat: a line per CPU and one per interrupt source; a few KiB, tens on a large machine. */
const MAX_PROC_STAT_BYTES = 1024 * 1024;

/**
 * The previous /proc/stat reading. The daemon keeps it in dataDir across the
 * processes of one boot (src/agent/wake-state.ts), so the first sample after
 * a wake averages since the sample before, not since boot.
 */
export interface CpuReadings {
  previous: CpuTimes | undefined;
}

/** Keeps the previous /proc/stat reading so each sample averages since the last one. */
export function cpuUsageCollector(
  host: HostPaths,
  cores: () => number = () => os.cpus().length,
  readings: CpuReadings = { previous: undefined },
): Collector {
  return {
    name: 'host-cpu-usage',
    help: HELP,
    kind: 'dynamic',
    async collect({ nowMs }) {
      const current = parseProcStat(await readHostText(host, '/proc/stat', MAX_PROC_STAT_BYTES));
      const value = coresInUse(readings.previous, current, cores());
      readings.previous = current;
      return [{ name: CPU_USAGE_METRIC, labels: {}, value, timestampMs: nowMs }];
    },
  };
}
