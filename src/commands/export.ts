// `edge-telemetry export --output FILE`: everything buffered plus a fresh
// snapshot of the static metrics, as ready-to-send requests an admin carries
// off a disconnected node (src/remote-write/export-file.ts). The samples stay
// buffered unless --remove. The daemon must be stopped: it owns the buffer.
import { wireProtocol } from '../deliver/wire-format.js';
import { lstat } from '../base/fs-async.js';
import { writeFileDurably } from '../base/durable-file.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../base/log.js';
import { openBuffer } from '../buffer/open-buffer.js';
import { DestinationBuffers } from '../buffer/destination-buffers.js';
import { PRIMARY_DESTINATION } from '../config/destinations.js';
import { seqsAsRanges } from '../buffer/seq-ranges.js';
import { createSendDeps, destinationEntries } from '../agent/pipeline.js';
import { runCollectors } from '../collect/run-collectors.js';
import { planDelivery } from '../deliver/plan.js';
import type { BufferedPoint, MetricPoint } from '../base/model.js';
import { exportLines, type ExportedRequest } from '../remote-write/export-file.js';
import { MAX_BATCH_POINTS } from '../deliver/backlog-batches.js';
import { USER_AGENT } from '../base/version.js';
import { deadlineSignal } from '../base/timers.js';

export type ExportOutcome =
  | {
      readonly ok: true;
      readonly requests: number;
      readonly samples: number;
      readonly removed: number;
    }
  | { readonly ok: false; readonly reason: string };

/** What an inode that is not a regular file is, for the line that refuses it. */
function kindOf(stats: Awaited<ReturnType<typeof lstat>>): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The export is written beside the target and renamed over it, so a target
 * that is not a regular file would be replaced by one (/dev/full, a FIFO) or
 * fail late (a directory). Only a regular file, or a name not taken yet, is
 * written; a symbolic link is refused too, as the rename would replace the
 * link, not what it points to.
 */
async function refusedOutput(file: string): Promise<string | undefined> {
  try {
    const stats = await lstat(file);
    return stats.isFile()
      ? undefined
      : `${file} is ${kindOf(stats)}; export writes a regular file: give a file name (new, or a file it may replace)`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? undefined : `${file} cannot be used (${code ?? 'unknown error'})`;
  }
}

export async function exportBacklog(
  config: Config,
  log: Logger,
  options: { readonly output: string; readonly remove: boolean },
): Promise<ExportOutcome> {
  const refused = await refusedOutput(options.output);
  if (refused !== undefined) return { ok: false, reason: refused };
  if (config.protocol !== 'remote-write')
    return {
      ok: false,
      reason: `telemetry.protocol is ${config.protocol} in ${config.setIn.protocol}: an export holds remote-write requests for telemetry.endpoint`,
    };
  if (config.buffer === 'memory')
    return {
      ok: false,
      reason: `telemetry.buffer is memory in ${config.setIn.buffer}: nothing is buffered on disk to export`,
    };
  const opened = await openBuffer(
    'disk',
    config.dataDir,
    { maxSamples: config.maxBufferedSamples, maxAgeMs: config.maxBufferedAgeMs },
    log,
  );
  if (opened.kind === 'busy') {
    return {
      ok: false,
      reason: `the daemon (pid ${opened.pid}) holds ${config.dataDir}; stop it first (systemctl stop edge-telemetry), export, then start it`,
    };
  }
  if (opened.kind === 'unwritable')
    return { ok: false, reason: `${config.dataDir} cannot be used (${opened.code})` };
  // The primary destination's view: what it has not taken; --remove releases it for the primary only.
  const buffers = await DestinationBuffers.open(
    opened.buffer,
    destinationEntries(config),
    opened.cursors,
    log,
  );
  const buffer = buffers.view(PRIMARY_DESTINATION);
  const deps = await createSendDeps(config, log, buffer);
  try {
    const state = await deps.identity.resolve();
    if (state.kind === 'waiting')
      return {
        ok: false,
        reason: `the cluster id is not known yet (${config.clusterIdFile} does not exist); nothing to export under an id`,
      };
    const identity = state.identity;
    // A long timer: collectTimeout may be up to a year, and AbortSignal.timeout overflows past 2^31-1 ms.
    const deadline = deadlineSignal(
      config.collectTimeoutMs * 2,
      () => new Error('export deadline'),
    );
    const fresh = await runCollectors(deps.collectors, 'static', {
      timeoutMs: config.collectTimeoutMs,
      signal: deadline.signal,
      log,
    }).finally(() => deadline.dispose());
    // An export file holds remote-write requests, which `upload` sends as they are.
    const format = wireProtocol('remote-write').format(identity, () => '');
    const requests: ExportedRequest[] = [];
    // What leaves the buffer with --remove, as a send would release it: what the file holds as delivered,
    // what no receiver would take (rejected) or no request could hold (oversized) as dropped, counted.
    const released = {
      delivered: [] as number[],
      rejected: [] as number[],
      oversized: [] as number[],
    };
    const pack = (staticPoints: readonly MetricPoint[], buffered: readonly BufferedPoint[]) => {
      const plan = planDelivery(staticPoints, buffered, identity, config.maxRequestBytes, format);
      for (const rejected of plan.rejected) released.rejected.push(...rejected.seqs);
      for (const oversized of plan.oversized) released.oversized.push(...oversized.seqs);
      for (const request of plan.requests) {
        requests.push({
          body: request.body,
          seriesCount: request.seriesCount,
          sampleCount: request.sampleCount,
        });
        released.delivered.push(...request.seqs);
      }
    };
    // The backlog oldest first, in batches, as a send would; the static snapshot last, as a send does.
    for (let afterSeq = 0; ;) {
      const batch = await buffer.read({ afterSeq, maxPoints: MAX_BATCH_POINTS });
      if (batch.points.length === 0) break;
      pack([], batch.points);
      afterSeq = batch.cursor;
      if (batch.done) break;
    }
    pack(fresh.points, []);
    try {
      await writeAtomically(
        options.output,
        exportLines(
          { createdAtMs: Date.now(), agent: USER_AGENT, clusterId: identity.clusterId },
          requests,
        ),
      );
    } catch (error) {
      // Nothing written, nothing removed from the buffer.
      return {
        ok: false,
        reason: `${options.output} could not be written (${(error as NodeJS.ErrnoException).code ?? 'unknown error'}); the samples stay buffered`,
      };
    }
    let removed = 0;
    if (options.remove) {
      const before = buffer.size;
      // Handed over in the file: they leave as delivered, not as dropped.
      await buffer.acknowledge(seqsAsRanges(released.delivered), 'delivered');
      await buffer.acknowledge(seqsAsRanges(released.rejected), 'rejected');
      await buffer.acknowledge(seqsAsRanges(released.oversized), 'oversized');
      removed = before - buffer.size;
    }
    return {
      ok: true,
      requests: requests.length,
      samples: requests.reduce((sum, request) => sum + request.sampleCount, 0),
      removed,
    };
  } finally {
    deps.transport.close();
    await opened.release();
  }
}

/** Written beside, synced, then renamed: a cut-off export never looks whole. */
function writeAtomically(file: string, lines: Iterable<string>): Promise<void> {
  return writeFileDurably(
    file,
    (function* () {
      for (const line of lines) yield line + '\n';
    })(),
    0o644,
  );
}
