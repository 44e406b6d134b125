// `edge-telemetry check-config`: what `run` validates at start, and what it
// would read. The effective config, then the auth type and every file a send
// reads, so an admin sees where credentials come from without any being shown.
import type { Config } from '../config/schema.js';
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
  const tls = enabled
    ? tlsSummaryLines(config, await checkSendFiles(config))
        .map((line) => `# ${line}\n`)
        .join('')
    : '';
  return {
    stdout: effectiveConfigYaml(config) + filesRead(config) + tls,
    clusterIdMissing: clusterId === 'missing',
  };
}

function authLine(config: Config): string {
  switch (config.auth.type) {
    case 'telemeter':
      return 'telemeter (Authorization: Bearer <base64 of the pull secret token and the cluster id>)';
    case 'bearer':
      return 'bearer (Authorization: Bearer <the token in telemetry.auth.credentialsFile>)';
    case 'basic':
      return `basic (Authorization: Basic <username ${JSON.stringify(config.auth.username)} and the password in telemetry.auth.passwordFile>)`;
    case 'none':
      return 'none (no Authorization header)';
  }
}

function filesRead(config: Config): string {
  const files = [
    ...authFiles(config).map((file) => `# reads ${file.key}: ${file.path} (at every send)`),
    config.clusterIdFile === ''
      ? `# reads ${config.dataDir}/cluster-id (an id generated once: telemetry.clusterIdFile is "")`
      : `# reads telemetry.clusterIdFile: ${config.clusterIdFile}`,
    ...(config.kubeconfig === '' ? [] : [`# reads telemetry.kubeconfig: ${config.kubeconfig}`]),
    ...tlsFileLines(config).map((line) => `# ${line}`),
  ];
  return [`# auth: ${authLine(config)}`, ...files].join('\n') + '\n';
}
