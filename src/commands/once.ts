import type { Config } from '../config/schema.js';
import type { Logger } from '../base/log.js';
import { MemorySampleBuffer } from '../buffer/memory-buffer.js';
import { DestinationBuffers } from '../buffer/destination-buffers.js';
import { MemoryCursorStore } from '../buffer/cursor-files.js';
import { createDestinationSends, destinationEntries } from '../agent/pipeline.js';
import { sendReport, staticReading } from '../deliver/send-report.js';
import { sampleOnce } from '../agent/sample-tick.js';
import { checkSendFiles } from './send-checks.js';
import { stopSignal } from '../process-guards.js';

/**
 * One sample and one report, to every destination at once. The daemon's
 * buffer in dataDir is never touched (it may be running and own it): only
 * this sample and the static metrics go. True only when every destination
 * took everything.
 */
export async function sendOnce(config: Config, log: Logger): Promise<boolean> {
  // As at the daemon's start: a TLS or credentials file that cannot be used is a config error.
  await checkSendFiles(config);
  const buffers = await DestinationBuffers.open(
    new MemorySampleBuffer({
      maxSamples: config.maxBufferedSamples,
      maxAgeMs: config.maxBufferedAgeMs,
    }),
    destinationEntries(config),
    new MemoryCursorStore(),
    log,
  );
  const sends = (await createDestinationSends(config, log, buffers)).map((deps) => ({
    ...deps,
    oneShot: true,
  }));
  const stop = stopSignal();
  try {
    const primary = sends[0];
    if (primary === undefined) return false;
    await sampleOnce(primary, stop.signal);
    // One reading of the static metrics for every destination, as the daemon's slot does.
    const staticPoints = staticReading(primary);
    const summaries = await Promise.all(
      sends.map((deps) => sendReport({ ...deps, staticPoints }, stop.signal)),
    );
    return summaries.every((summary) => summary.ok);
  } finally {
    stop.release();
    for (const deps of sends) deps.transport.close();
  }
}
