// Pure parsing of /proc/stat's aggregate "cpu" line (proc(5)).

export interface CpuTimes {
  /** Jiffies spent doing work: user, nice, system, irq, softirq, steal. */
  readonly busy: number;
  /** busy plus idle and iowait. */
  readonly total: number;
}

export function parseProcStat(text: string): CpuTimes {
  const line = text.split('\n').find((candidate) => candidate.startsWith('cpu '));
  if (line === undefined) throw new Error('/proc/stat has no aggregate cpu line');
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  if (fields.length < 4 || fields.some((value) => !Number.isFinite(value)))
    throw new Error('/proc/stat cpu line is malformed');
  // guest and guest_nice (fields 9, 10) are already counted in user and nice.
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] =
    fields;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/**
 * Cores in use on average between two readings. With no previous reading the
 * average since boot: a real figure, never a made-up 0.
 */
export function coresInUse(
  previous: CpuTimes | undefined,
  current: CpuTimes,
  cores: number,
): number {
  const base = previous ?? { busy: 0, total: 0 };
  const totalDelta = current.total - base.total;
  if (totalDelta <= 0) return 0;
  const share = (current.busy - base.busy) / totalDelta;
  return Math.min(cores, Math.max(0, share * cores));
}
