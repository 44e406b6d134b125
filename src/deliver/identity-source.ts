// The report's identity, which on a fresh MicroShift node is not known at
// start: MicroShift writes its cluster id file on its first start, and
// `After=microshift.service` does not wait for that. A file that does not exist
// yet is waited for (sampling goes on); every other problem at start is an error.
import { resolveClusterId, type ClusterIdRead } from '../identity/cluster-id.js';
import type { IdentityError } from '../identity/errors.js';
import type { Logger, LogLevel } from '../base/log.js';
import type { ReportIdentity } from '../report/build-report.js';

export interface IdentityNotice {
  readonly level: LogLevel;
  readonly message: string;
}

export type IdentityState =
  | {
      readonly kind: 'known';
      readonly identity: ReportIdentity;
      /** True only for the call that found the file after waiting for it. */
      readonly found?: boolean;
      readonly notice?: IdentityNotice;
    }
  | {
      readonly kind: 'waiting';
      readonly problem: IdentityError;
      /** Known from the start: only the cluster id is waited for. */
      readonly deploymentType: string;
      readonly notice?: IdentityNotice;
    };

/**
 * `notice` is set only when something changed (first wait, a different
 * problem, the id found), so a daemon that logs every notice logs each once.
 */
export interface IdentitySource {
  resolve(): Promise<IdentityState>;
  /** The cluster id was there at start: nothing to wait or look for (and resolve is for reports alone). */
  readonly knownAtStart: boolean;
}

export function knownIdentity(identity: ReportIdentity): IdentitySource {
  const state: IdentityState = { kind: 'known', identity };
  return { resolve: () => Promise.resolve(state), knownAtStart: true };
}

function waitingNotice(file: string, problem: IdentityError): IdentityNotice {
  switch (problem.code) {
    case 'ECLUSTERID_MISSING':
      return {
        level: 'warn',
        message: `cluster id file ${file} does not exist yet; waiting for it (MicroShift writes it on its first start). Sampling goes on; reports are sent once it appears. Without MicroShift, set telemetry.clusterIdFile: "" for an anonymous id`,
      };
    case 'ECLUSTERID_EMPTY':
      // MicroShift writes the file in place (create, then write): empty for a moment.
      return { level: 'warn', message: `${problem.message}; waiting for it to be written` };
    default:
      return { level: 'error', message: `${problem.message}; reports wait until it is fixed` };
  }
}

/**
 * Resolves the cluster id once. Throws IdentityError for a file that exists
 * and is unusable (exit 2 at start: an admin must fix it); returns a waiting
 * source for a configured file that does not exist yet. The deployment type
 * is asked at each resolve, which is a send's, not at start: finding it may
 * run `bootc status`, which a start that only samples must not pay for (the
 * caller's function finds it once and keeps it).
 */
export async function startIdentity(
  clusterIdFile: string,
  dataDir: string,
  findDeploymentType: () => Promise<string>,
  read: (file: string, dataDir: string) => Promise<ClusterIdRead> = resolveClusterId,
): Promise<IdentitySource> {
  const first = await read(clusterIdFile, dataDir);
  if (first.kind === 'ok') {
    const clusterId = first.id;
    return {
      knownAtStart: true,
      resolve: async () => ({
        kind: 'known',
        identity: { clusterId, deploymentType: await findDeploymentType() },
      }),
    };
  }
  if (first.error.code !== 'ECLUSTERID_MISSING') throw first.error;

  let known: IdentityState | undefined;
  let lastCode: string | undefined;
  return {
    knownAtStart: false,
    async resolve() {
      if (known !== undefined) return known;
      const current = await read(clusterIdFile, dataDir);
      if (current.kind === 'ok') {
        known = {
          kind: 'known',
          identity: { clusterId: current.id, deploymentType: await findDeploymentType() },
        };
        return {
          ...known,
          found: true,
          notice: {
            level: 'info',
            message: `cluster id file ${clusterIdFile} is there now (cluster id ${current.id}); sending`,
          },
        };
      }
      const changed = current.error.code !== lastCode;
      lastCode = current.error.code;
      return {
        kind: 'waiting',
        problem: current.error,
        deploymentType: await findDeploymentType(),
        ...(changed ? { notice: waitingNotice(clusterIdFile, current.error) } : {}),
      };
    },
  };
}

/** A change in the identity's state (first wait, the id found), once each. */
export function logIdentityNotice(log: Logger, state: IdentityState): void {
  if (state.notice !== undefined) log[state.notice.level](state.notice.message);
}
