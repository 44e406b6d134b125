import type { Logger } from '../base/log.js';
import { readSecretFile } from '../credentials/secret-file.js';
import { startReceiver, type ReceiverAuth } from '../receiver/telemeter-receiver.js';
import { onStopSignals } from '../process-guards.js';
import { formatLabels } from '../report/exposition.js';

/**
 * `--auth`: telemeter (the default), none, bearer:FILE (the token in FILE, as
 * auth.credentialsFile holds it) or basic:USER:FILE (the password in FILE).
 * Secrets come from files, never from the command line (ps shows it to all).
 */
export async function receiverAuth(
  spec: string,
): Promise<{ ok: true; auth: ReceiverAuth } | { ok: false; reason: string }> {
  if (spec === 'telemeter' || spec === 'none') return { ok: true, auth: { kind: spec } };
  // Read as telemetry.auth's files are: bounded, never blocking on a FIFO, refused when others can read them.
  const bearer = /^bearer:(.+)$/.exec(spec);
  if (bearer !== null) {
    const token = await readSecretFile(bearer[1] as string, { headerSafe: true });
    return token.ok
      ? { ok: true, auth: { kind: 'bearer', token: token.secret } }
      : { ok: false, reason: `--auth bearer:…: ${token.reason}` };
  }
  const basic = /^basic:([^:]+):(.+)$/.exec(spec);
  if (basic !== null) {
    const password = await readSecretFile(basic[2] as string, { headerSafe: false });
    return password.ok
      ? {
          ok: true,
          auth: { kind: 'basic', username: basic[1] as string, password: password.secret },
        }
      : { ok: false, reason: `--auth basic:…: ${password.reason}` };
  }
  return {
    ok: false,
    reason: `--auth ${spec}: expected telemeter, none, bearer:FILE or basic:USER:FILE`,
  };
}

export async function runReceiver(options: {
  host: string;
  port: number;
  forwardUrl: string | undefined;
  quiet: boolean;
  auth: ReceiverAuth;
  log: Logger;
}): Promise<void> {
  const receiver = await startReceiver({
    auth: options.auth,
    host: options.host,
    port: options.port,
    log: options.log,
    ...(options.forwardUrl === undefined ? {} : { forwardUrl: options.forwardUrl }),
    onAccepted: (series, clusterId) => {
      const samples = series.reduce((sum, item) => sum + item.samples.length, 0);
      const lines = [
        `# accepted ${series.length} series, ${samples} samples from cluster ${clusterId}`,
      ];
      if (!options.quiet) {
        for (const item of series) {
          const labels = formatLabels(item.labels);
          for (const sample of item.samples)
            lines.push(`${labels} ${sample.value} ${sample.timestampMs}`);
        }
      }
      process.stdout.write(lines.join('\n') + '\n');
    },
  });
  options.log.info('receiver listening', { url: receiver.url, forward: options.forwardUrl });
  let release = (): void => undefined;
  await new Promise<void>((resolve) => (release = onStopSignals(() => resolve())));
  release();
  await receiver.close();
}
