import { stat, statfs } from '../../base/fs-async.js';
import type { MetricPoint } from '../../base/model.js';
import { monotonicMs } from '../../base/timers.js';
import type { Collector, CollectorKind } from '../collector.js';

export const DISK_CAPACITY_METRIC = 'cluster:capacity_disk_bytes:sum';
export const DISK_USAGE_METRIC = 'cluster:disk_usage_bytes:sum';
const HELP = {
  [DISK_CAPACITY_METRIC]: 'Size in bytes of the filesystems holding the node data.',
  [DISK_USAGE_METRIC]: 'Bytes used on the filesystems holding the node data.',
};

export interface FilesystemFigures {
  readonly device: number;
  readonly capacityBytes: number;
  readonly usedBytes: number;
}

/** Sums each filesystem once, however many of the paths it holds. */
export function sumDistinctFilesystems(filesystems: readonly FilesystemFigures[]): {
  capacityBytes: number;
  usedBytes: number;
} {
  const seen = new Set<number>();
  let capacityBytes = 0;
  let usedBytes = 0;
  for (const filesystem of filesystems) {
    if (seen.has(filesystem.device)) continue;
    seen.add(filesystem.device);
    capacityBytes += filesystem.capacityBytes;
    usedBytes += filesystem.usedBytes;
  }
  return { capacityBytes, usedBytes };
}

async function readFilesystem(path: string): Promise<FilesystemFigures | undefined> {
  try {
    // One after the other: a dead mount then holds one libuv thread, not two.
    const fs = await statfs(path);
    const info = await stat(path);
    // Used as df(1) counts it: blocks not free, reserved blocks included.
    return {
      device: info.dev,
      capacityBytes: fs.blocks * fs.bsize,
      usedBytes: (fs.blocks - fs.bfree) * fs.bsize,
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * libuv runs every file call and DNS lookup on four threads. A statfs on a dead
 * NFS mount holds one until the kernel gives up, and a timeout on our side does
 * not free it. So a probe still running is joined, never started again, and at
 * most MAX_HANGING_PROBES paths may hang at once (running longer than
 * PROBE_HANGING_MS): the buffer's writes and DNS keep the other threads.
 */
export const MAX_HANGING_PROBES = 2;
// Long enough that a probe queued behind other file work on a busy node is not taken for a dead mount.
export const PROBE_HANGING_MS = 10_000;
const unfinishedProbes = new Map<
  string,
  { readonly probe: Promise<FilesystemFigures | undefined>; readonly startedAtMs: number }
>();

export class TooManyHangingProbes extends Error {
  readonly code = 'EPROBESHANGING';
  constructor(path: string) {
    super(
      `not probing ${path}: ${MAX_HANGING_PROBES} filesystem calls have not returned for ${PROBE_HANGING_MS} ms (a dead mount?)`,
    );
  }
}

/** The probe of `path` now running, or a new one unless too many hang. */
export function probeFilesystem(
  path: string,
  read: (path: string) => Promise<FilesystemFigures | undefined> = readFilesystem,
  nowMs: () => number = monotonicMs,
): Promise<FilesystemFigures | undefined> {
  const running = unfinishedProbes.get(path);
  if (running !== undefined) return running.probe;
  const now = nowMs();
  let hanging = 0;
  for (const { startedAtMs } of unfinishedProbes.values())
    if (now - startedAtMs >= PROBE_HANGING_MS) hanging++;
  if (hanging >= MAX_HANGING_PROBES) return Promise.reject(new TooManyHangingProbes(path));
  const probe = read(path);
  unfinishedProbes.set(path, { probe, startedAtMs: now });
  const forget = () => unfinishedProbes.delete(path);
  probe.then(forget, forget);
  return probe;
}

/** The filesystems that hold the node's data (config: diskPaths); paths that do not exist are skipped. */
export function diskCollector(paths: readonly string[], kind: CollectorKind): Collector {
  return {
    name: kind === 'static' ? 'host-disk-capacity' : 'host-disk-usage',
    kind,
    help:
      kind === 'static'
        ? { [DISK_CAPACITY_METRIC]: HELP[DISK_CAPACITY_METRIC] }
        : { [DISK_USAGE_METRIC]: HELP[DISK_USAGE_METRIC] },
    async collect({ nowMs }): Promise<MetricPoint[]> {
      const found = (await Promise.all(paths.map((path) => probeFilesystem(path)))).filter(
        (fs): fs is FilesystemFigures => fs !== undefined,
      );
      if (found.length === 0) return [];
      const total = sumDistinctFilesystems(found);
      return kind === 'static'
        ? [
            {
              name: DISK_CAPACITY_METRIC,
              labels: {},
              value: total.capacityBytes,
              timestampMs: nowMs,
            },
          ]
        : [{ name: DISK_USAGE_METRIC, labels: {}, value: total.usedBytes, timestampMs: nowMs }];
    },
  };
}
