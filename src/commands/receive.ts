import type { Logger } from '../log.js';
import { startReceiver } from '../receiver/telemeter-receiver.js';
import { formatLabels } from '../report/exposition.js';

export async function runReceiver(options: { host: string; port: number; forwardUrl: string | undefined; quiet: boolean; log: Logger }): Promise<void> {
  const receiver = await startReceiver({
    host: options.host,
    port: options.port,
    log: options.log,
    ...(options.forwardUrl === undefined ? {} : { forwardUrl: options.forwardUrl }),
    onAccepted: (series, clusterId) => {
      const samples = series.reduce((sum, item) => sum + item.samples.length, 0);
      const lines = [`# accepted ${series.length} series, ${samples} samples from cluster ${clusterId}`];
      if (!options.quiet) {
        for (const item of series) {
          const labels = formatLabels(item.labels);
          for (const sample of item.samples) lines.push(`${labels} ${sample.value} ${sample.timestampMs}`);
        }
      }
      process.stdout.write(lines.join('\n') + '\n');
    },
  });
  options.log.info('receiver listening', { url: receiver.url, forward: options.forwardUrl });
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop).once('SIGTERM', stop);
  });
  await receiver.close();
}
