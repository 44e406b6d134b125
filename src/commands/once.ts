import type { Config } from '../config/schema.js';
import type { Logger } from '../base/log.js';
import { MemorySampleBuffer } from '../buffer/memory-buffer.js';
import { createSendDeps } from '../agent/pipeline.js';
import { sendReport } from '../deliver/send-report.js';
import { sampleOnce } from '../agent/sample-tick.js';
import { checkSendFiles } from './send-checks.js';
import { stopSignal } from '../process-guards.js';

/**
 * One sample and one report. The daemon's buffer in dataDir is never touched
 * (it may be running and own it): only this sample and the static metrics go.
 */
export async function sendOnce(config: Config, log: Logger): Promise<boolean> {
  // As at the daemon's start: a TLS or credentials file that cannot be used is a config error.
  await checkSendFiles(config);
  const deps = {
    ...(await createSendDeps(
      config,
      log,
      new MemorySampleBuffer({
        maxSamples: config.maxBufferedSamples,
        maxAgeMs: config.maxBufferedAgeMs,
      }),
    )),
    oneShot: true,
  };
  const stop = stopSignal();
  try {
    await sampleOnce(deps, stop.signal);
    const summary = await sendReport(deps, stop.signal);
    return summary.ok;
  } finally {
    stop.release();
    deps.transport.close();
  }
}
