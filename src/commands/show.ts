import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { MemorySampleBuffer } from '../buffer/sample-buffer.js';
import { createSendDeps } from '../agent/pipeline.js';
import { sampleOnce } from '../agent/send-report.js';
import { runCollectors } from '../collect/run-collectors.js';
import { buildReport } from '../report/build-report.js';
import { toExposition } from '../report/exposition.js';
import { redactHeaders, remoteWriteHeaders } from '../remote-write/headers.js';

/** The report exactly as `run` would build it now, and the headers, token redacted. Sends nothing to the endpoint. */
export async function showReport(config: Config, log: Logger): Promise<string> {
  const buffer = new MemorySampleBuffer(config.maxBufferedSamples);
  const deps = await createSendDeps(config, log, buffer);
  try {
    const signal = AbortSignal.timeout(config.collectTimeoutMs * 2);
    await sampleOnce(deps, signal);
    const fresh = await runCollectors(deps.collectors, 'static', { timeoutMs: config.collectTimeoutMs, signal, log });
    const report = buildReport(fresh.points, await buffer.pending(), deps.identity);
    let tokenNote = 'pull secret: ok';
    await deps.readToken().catch((error: unknown) => {
      tokenNote = `pull secret: ${(error as Error).message}`;
    });
    const headers = redactHeaders(remoteWriteHeaders('', deps.userAgent));
    const headerLines = Object.entries(headers).map(([name, value]) => `# ${name}: ${value}`);
    const status = config.status === 'Disabled' ? ['# status: Disabled, nothing is sent while it stays so'] : [];
    return [
      toExposition(report.series.map((item) => item.series), Object.assign({}, ...deps.collectors.map((collector) => collector.help))).trimEnd(),
      '',
      `# POST ${config.endpoint}`,
      ...headerLines,
      `# ${tokenNote}`,
      ...status,
      '',
    ].join('\n');
  } finally {
    deps.transport.close();
  }
}
