import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { MemorySampleBuffer } from '../buffer/sample-buffer.js';
import { createSendDeps } from '../agent/pipeline.js';
import { sampleOnce, sendReport } from '../agent/send-report.js';

export async function sendOnce(config: Config, log: Logger): Promise<boolean> {
  const deps = await createSendDeps(config, log, new MemorySampleBuffer(config.maxBufferedSamples));
  const controller = new AbortController();
  const stop = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', stop).once('SIGTERM', stop);
  try {
    await sampleOnce(deps, controller.signal);
    const summary = await sendReport(deps, controller.signal);
    return summary.ok;
  } finally {
    process.off('SIGINT', stop).off('SIGTERM', stop);
    deps.transport.close();
  }
}
