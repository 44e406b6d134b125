// `edge-telemetry upload FILE`: sends an export file's requests (made on a
// disconnected node by `edge-telemetry export`) to the endpoint of this
// machine's config, with its credentials, under the same retry and delivery
// rules as the daemon. Each series keeps its own _id; a telemeter bearer names
// the cluster the file came from.
import type { Config } from '../config/schema.js';
import type { Logger } from '../base/log.js';
import { FILE_READ_TIMEOUT_MS, readBoundedFile } from '../base/bounded-file.js';
import { parseExport } from '../remote-write/export-file.js';
import { scrubSecrets } from '../remote-write/headers.js';
import { createAuthSource } from '../credentials/auth-source.js';
import { checkSendFiles } from './send-checks.js';
import { sendWithRetry } from '../transport/retry.js';
import { judgeResult } from '../deliver/delivery-outcome.js';
import { createTransport } from '../agent/pipeline.js';
import { USER_AGENT } from '../base/version.js';

/** The same cap `show --file` reads with. */
const MAX_EXPORT_BYTES = 512 * 1024 * 1024;

export type UploadOutcome =
  | {
      readonly ok: boolean;
      readonly delivered: number;
      readonly dropped: number;
      readonly notSent: number;
      readonly samples: number;
    }
  | { readonly ok: false; readonly reason: string };

export async function uploadExport(
  config: Config,
  file: string,
  log: Logger,
  signal: AbortSignal,
): Promise<UploadOutcome> {
  if (config.protocol !== 'remote-write')
    return {
      ok: false,
      reason: `telemetry.protocol is ${config.protocol} in ${config.setIn.protocol}: an export holds remote-write requests, sent to a remote-write telemetry.endpoint`,
    };
  // As at the daemon's start: a TLS or credentials file that cannot be used is a config error (exit 2).
  await checkSendFiles(config);
  const read = await readBoundedFile(file, {
    maxBytes: MAX_EXPORT_BYTES,
    timeoutMs: FILE_READ_TIMEOUT_MS * 12,
  });
  if (!read.ok) return { ok: false, reason: read.error.message };
  const parsed = parseExport(read.text);
  if (!parsed.ok) return { ok: false, reason: `${file}: ${parsed.reason}` };
  // The same auth as the daemon's; the telemeter bearer names the cluster the file came from.
  const auth = await createAuthSource(config, USER_AGENT)(parsed.header.clusterId);
  if (!auth.ok) return { ok: false, reason: `cannot send: ${auth.reason}` };
  const { headers, secrets } = auth;
  const transport = createTransport(config);
  let delivered = 0;
  let dropped = 0;
  let samples = 0;
  try {
    for (const [index, request] of parsed.requests.entries()) {
      const result = await sendWithRetry(
        (attemptSignal) => transport.post(request.body, headers, attemptSignal),
        config.retry,
        signal,
        (failure, attempt, waitMs) =>
          log.warn('send attempt failed, retrying', {
            request: index,
            attempt,
            reason: scrubSecrets(failure.reason, secrets),
            waitMs,
          }),
      );
      if (result.kind === 'retryable') {
        // judgeResult would say "kept for the next send": an upload has none; the file is still there to upload again.
        log.error('upload stopped; run it again to send the rest', {
          request: index,
          attempts: result.attempts,
          reason: scrubSecrets(result.reason, secrets),
        });
        return { ok: false, delivered, dropped, notSent: parsed.requests.length - index, samples };
      }
      const action = judgeResult(
        result,
        {
          seriesCount: request.seriesCount,
          sampleCount: request.sampleCount,
          bodyBytes: request.body.length,
        },
        log,
        secrets,
        { request: index },
        'the rest stays in the file; run upload again',
      );
      if (action === 'acknowledge') {
        delivered++;
        samples += request.sampleCount;
      } else if (action === 'drop') {
        dropped++;
      } else if (action === 'split') {
        // The bodies are fixed in the file: a receiver with a lower limit needs an export made with a lower maxRequestBytes.
        log.error(
          'request too large for this endpoint; export again with a lower telemetry.maxRequestBytes',
          { request: index, bytes: request.body.length },
        );
        dropped++;
      } else {
        return { ok: false, delivered, dropped, notSent: parsed.requests.length - index, samples };
      }
    }
  } finally {
    transport.close();
  }
  return { ok: dropped === 0, delivered, dropped, notSent: 0, samples };
}
