// Pure parsing of /proc/meminfo (proc(5)): the figures `free` reports.

export interface MemInfo {
  readonly totalBytes: number;
  /** MemAvailable: what can be given to new work without swapping (kernel 3.14 and later). */
  readonly availableBytes: number;
}

/** Each "Name:   123 kB" line as bytes. */
function fields(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+):\s+(\d+)( kB)?$/.exec(line.trim());
    if (match?.[1] !== undefined)
      found.set(match[1], Number(match[2]) * (match[3] === undefined ? 1 : 1024));
  }
  return found;
}

export function parseMemInfo(text: string): MemInfo {
  const values = fields(text);
  const totalBytes = values.get('MemTotal');
  if (totalBytes === undefined || !(totalBytes > 0))
    throw new Error('/proc/meminfo has no MemTotal');
  // A kernel older than 3.14 has no MemAvailable: free(1)'s older estimate, free plus buffers and page cache.
  const availableBytes =
    values.get('MemAvailable') ??
    (values.get('MemFree') ?? 0) +
      (values.get('Buffers') ?? 0) +
      (values.get('Cached') ?? 0) +
      (values.get('SReclaimable') ?? 0);
  return { totalBytes, availableBytes: Math.min(totalBytes, availableBytes) };
}
