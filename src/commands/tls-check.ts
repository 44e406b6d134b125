// telemetry.tls at start, in check-config and on reload: a file that cannot be
// used is a config error (exit 2, one line naming the key and the file), as a
// broken cluster id file is; later, at a send, the same problem fails that send
// only (credentials/tls-material.ts).
import { ConfigError } from '../config/errors.js';
import type { Destination } from '../config/destinations.js';
import { tlsFiles } from '../config/tls-settings.js';
import type { TlsSummary } from '../credentials/tls-material.js';

/** What a destination's files give, or a ConfigError. Nothing to read without its tls. */
export async function checkTlsFiles(
  destination: Pick<Destination, 'tls' | 'keyPath'>,
): Promise<TlsSummary> {
  // node:crypto and node:tls (the parsing) only when there is something to parse: most nodes set no telemetry.tls.
  if (Object.keys(destination.tls).length === 0) return {};
  const { loadTlsMaterial } = await import('../credentials/tls-material.js');
  const loaded = await loadTlsMaterial(destination.tls);
  if (!loaded.ok) {
    const { problem } = loaded;
    throw new ConfigError(
      problem.setIn,
      `${destination.keyPath}.tls.${problem.key}`,
      `${problem.file}: ${problem.reason}`,
    );
  }
  return loaded.summary;
}

/** For show and check-config: which CA and client certificate the endpoint's TLS uses. Paths, subject and expiry only. */
export function tlsSummaryLines(
  destination: Pick<Destination, 'endpoint'>,
  summary: TlsSummary,
): string[] {
  if (new URL(destination.endpoint).protocol !== 'https:')
    return ['tls: none (the endpoint is http://)'];
  const lines = [
    summary.caFile === undefined
      ? "tls: trusts Node's CA roots (and NODE_EXTRA_CA_CERTS)"
      : `tls: trusts Node's CA roots (and NODE_EXTRA_CA_CERTS) plus ${summary.caFile.certificates} CA certificate(s) from ${summary.caFile.file}`,
    summary.client === undefined
      ? 'tls: no client certificate'
      : `tls: client certificate ${summary.client.certFile} (subject ${summary.client.subject}, expires ${summary.client.notAfter}), key ${summary.client.keyFile}`,
  ];
  if (summary.serverName !== undefined)
    lines.push(`tls: server name ${summary.serverName} (SNI and the name checked)`);
  return lines;
}

/** check-config's list of the files it read for a destination's tls. */
export function tlsFileLines(destination: Pick<Destination, 'tls' | 'keyPath'>): string[] {
  return tlsFiles(destination.tls).map(
    ({ key, file }) => `reads ${destination.keyPath}.tls.${key}: ${file}`,
  );
}
