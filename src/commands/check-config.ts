// `edge-telemetry check-config`: what `run` validates at start, and what it
// would read. The effective config, then the auth type and every file a send
// reads, so an admin sees where credentials come from without any being shown.
import { destinationsOf, type Config } from '../config/schema.js';
import type { Destination } from '../config/destinations.js';
import type { AuthConfig } from '../config/auth.js';
import { redactUrl } from '../config/redact.js';
import { effectiveConfigYaml } from '../config/effective-config.js';
import { checkClusterIdFile } from '../identity/cluster-id.js';
import { authFiles } from '../credentials/auth-source.js';
import { tlsFileLines, tlsSummaryLines } from './tls-check.js';
import { checkSendFiles } from './send-checks.js';

export interface CheckedConfig {
  readonly stdout: string;
  /** The cluster id file does not exist yet: the daemon would wait for it. */
  readonly clusterIdMissing: boolean;
}

/** Throws ConfigError or IdentityError as `run` would at start (neither matters when Disabled). */
export async function checkConfig(config: Config): Promise<CheckedConfig> {
  const enabled = config.status === 'Enabled';
  const clusterId = enabled ? await checkClusterIdFile(config.clusterIdFile) : 'ok';
  // The TLS and credentials files, checked as run checks them; which CAs and client certificate a send would use.
  const summaries = enabled ? await checkSendFiles(config) : undefined;
  const destinations = destinationsOf(config);
  const tlsOf = (index: number, indent: string) =>
    summaries === undefined
      ? []
      : tlsSummaryLines(destinations[index] as Destination, summaries[index] ?? {}).map(
          (line) => `#${indent} ${line}`,
        );
  const common = [
    config.clusterIdFile === ''
      ? `# reads ${config.dataDir}/cluster-id (an id generated once: telemetry.clusterIdFile is "")`
      : `# reads telemetry.clusterIdFile: ${config.clusterIdFile}`,
    ...(config.kubeconfig === '' ? [] : [`# reads telemetry.kubeconfig: ${config.kubeconfig}`]),
  ];
  const lines =
    destinations.length === 1
      ? [
          `# auth: ${authLine(config.auth, 'telemetry')}`,
          ...filesOf(config, destinations[0] as Destination, ''),
          ...common,
          ...tlsFileLines(destinations[0] as Destination).map((line) => `# ${line}`),
          ...tlsOf(0, ''),
        ]
      : [
          ...common,
          ...destinations.flatMap((destination, index) => [
            `# destination ${destination.name} (${destination.protocol}): POST ${redactUrl(destination.endpoint)}`,
            `#   auth: ${authLine(destination.auth, destination.keyPath)}`,
            ...filesOf(config, destination, '  '),
            ...tlsFileLines(destination).map((line) => `#   ${line}`),
            ...tlsOf(index, '  '),
          ]),
        ];
  return {
    stdout: effectiveConfigYaml(config) + lines.map((line) => `${line}\n`).join(''),
    clusterIdMissing: clusterId === 'missing',
  };
}

function authLine(auth: AuthConfig, keyPath: string): string {
  switch (auth.type) {
    case 'telemeter':
      return 'telemeter (Authorization: Bearer <base64 of the pull secret token and the cluster id>)';
    case 'bearer':
      return `bearer (Authorization: Bearer <the token in ${keyPath}.auth.credentialsFile>)`;
    case 'basic':
      return `basic (Authorization: Basic <username ${JSON.stringify(auth.username)} and the password in ${keyPath}.auth.passwordFile>)`;
    case 'none':
      return 'none (no Authorization header)';
  }
}

function filesOf(config: Config, destination: Destination, indent: string): string[] {
  return authFiles({ ...destination, pullSecretFile: config.pullSecretFile }).map(
    (file) => `#${indent} reads ${file.key}: ${file.path} (at every send)`,
  );
}
