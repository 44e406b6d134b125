import type { Config } from '../config/schema.js';
import { redactUrl } from '../config/redact.js';
import type { Logger } from '../base/log.js';
import { MemorySampleBuffer } from '../buffer/memory-buffer.js';
import { createSendDeps } from '../agent/pipeline.js';
import { sampleOnce } from '../agent/sample-tick.js';
import { runCollectors } from '../collect/run-collectors.js';
import { helpTexts } from '../collect/collector.js';
import { buildReport } from '../report/build-report.js';
import { toExposition } from '../report/exposition.js';
import { shownHeaders } from '../remote-write/headers.js';
import { authFiles, createAuthSource } from '../credentials/auth-source.js';
import { destinationsOf } from '../config/schema.js';
import type { Destination } from '../config/destinations.js';
import { wireProtocol } from '../deliver/wire-format.js';
import { USER_AGENT } from '../base/version.js';
import { deadlineSignal } from '../base/timers.js';
import { loadTlsMaterial, problemLine } from '../credentials/tls-material.js';
import { tlsSummaryLines } from './tls-check.js';
import { terminalSafeLines } from '../base/terminal-safe.js';

/** Shown as `_id` while the cluster id file does not exist yet; never sent (the daemon waits instead). */
export const UNKNOWN_CLUSTER_ID = '<not known yet>';

/** The report exactly as `run` would build it now, and every header as it would be sent, secrets redacted. Sends nothing to the endpoint. */
export async function showReport(config: Config, log: Logger): Promise<string> {
  const buffer = new MemorySampleBuffer({
    maxSamples: config.maxBufferedSamples,
    maxAgeMs: config.maxBufferedAgeMs,
  });
  const deps = await createSendDeps(config, log, buffer);
  let deadline: ReturnType<typeof deadlineSignal> | undefined;
  try {
    // A long timer: collectTimeout may be up to a year, and AbortSignal.timeout overflows past 2^31-1 ms.
    deadline = deadlineSignal(config.collectTimeoutMs * 2, () => new Error('show deadline'));
    const signal = deadline.signal;
    await sampleOnce(deps, signal);
    const fresh = await runCollectors(deps.collectors, 'static', {
      timeoutMs: config.collectTimeoutMs,
      signal,
      log,
    });
    const identityState = await deps.identity.resolve();
    const identity =
      identityState.kind === 'known'
        ? identityState.identity
        : { clusterId: UNKNOWN_CLUSTER_ID, deploymentType: identityState.deploymentType };
    const report = buildReport(
      fresh.points,
      (await buffer.read({ afterSeq: 0, maxPoints: buffer.size })).points,
      identity,
    );
    // Each destination gets the same series; what differs is where, how encoded, and with which headers.
    const destinations = destinationsOf(config);
    const destinationLines: string[] = [];
    for (const destination of destinations) {
      destinationLines.push(...(await shownDestination(config, destination, identity.clusterId)));
      if (destinations.length > 1) destinationLines.push('');
    }
    const status =
      config.status === 'Disabled' ? ['# status: Disabled, nothing is sent while it stays so'] : [];
    const idNote =
      identityState.kind === 'waiting'
        ? [
            `# cluster id not known yet: ${identityState.problem.message}` +
              (identityState.problem.code === 'ECLUSTERID_MISSING'
                ? ' (MicroShift writes it on its first start)'
                : '') +
              `; _id="${UNKNOWN_CLUSTER_ID}" is a placeholder and nothing is sent until the id is known`,
          ]
        : [];
    // Label values and reasons come from the host, files and servers: printed inert.
    return terminalSafeLines(
      [
        toExposition(
          report.series.map((item) => item.series),
          helpTexts(deps.collectors),
        ).trimEnd(),
        '',
        ...destinationLines,
        ...idNote,
        ...status,
        '',
      ].join('\n'),
    );
  } finally {
    deadline?.dispose();
    deps.transport.close();
  }
}

/** Where one destination's requests go and with which headers (credentials read as a send reads them, never printed). */
async function shownDestination(
  config: Config,
  destination: Destination,
  clusterId: string,
): Promise<string[]> {
  const protocol = wireProtocol(destination.protocol);
  const settings = { ...destination, pullSecretFile: config.pullSecretFile };
  const auth = await createAuthSource(settings, USER_AGENT, protocol.contentHeaders)(clusterId);
  const what =
    destination.auth.type === 'telemeter'
      ? 'pull secret'
      : `credentials (auth type ${destination.auth.type}${authFiles(settings)
          .map((file) => `, ${file.key} ${file.path}`)
          .join('')})`;
  const headers = shownHeaders(
    USER_AGENT,
    destination.headers,
    destination.auth.type,
    protocol.contentHeaders,
  );
  const tls = await loadTlsMaterial(destination.tls);
  const tlsLines = tls.ok
    ? tlsSummaryLines(destination, tls.summary)
    : [`tls: ${problemLine(tls.problem)}; a send would fail until it is fixed`];
  const named = destinationsOf(config).length > 1 ? ` (destination ${destination.name})` : '';
  return [
    `# POST ${redactUrl(destination.endpoint)}${named}`,
    ...(destination.protocol === 'otlp'
      ? [
          '# as OTLP/HTTP: each metric one Gauge, each sample one data point whose attributes are the labels above without __name__ (gzip when smaller)',
        ]
      : []),
    ...Object.entries(headers).map(([name, value]) => `# ${name}: ${value}`),
    `# ${auth.ok ? `${what}: ok` : `${what}: ${auth.reason}`}`,
    ...tlsLines.map((line) => `# ${line}`),
  ];
}
