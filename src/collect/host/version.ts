import { askProgram, type AnswerKeeping } from '../../base/program-answer.js';
import type { Collector } from '../collector.js';
import { readHostText, type HostPaths } from './host-paths.js';
import { MAX_OS_RELEASE_BYTES, parseOsRelease } from './os-release.js';

export const VERSION_METRIC = 'microshift_version';
const HELP = { [VERSION_METRIC]: 'MicroShift version, OS version and deployment type, always 1.' };
export const UNKNOWN_VERSION = 'unknown';

/** Pure: the version out of `microshift version -o json` ({"gitVersion": "4.18.0-..."}). */
export function parseMicroShiftVersion(json: string): string | undefined {
  try {
    const parsed = JSON.parse(json) as { gitVersion?: unknown; major?: unknown; minor?: unknown };
    if (typeof parsed.gitVersion === 'string' && parsed.gitVersion !== '')
      return parsed.gitVersion.replace(/^v/, '');
    if (typeof parsed.major === 'string' && typeof parsed.minor === 'string')
      return `${parsed.major}.${parsed.minor}`;
  } catch {
    // Not JSON: an old microshift binary; the caller reports unknown.
  }
  return undefined;
}

/** What a kept version may look like: gitVersion's characters (4.18.0-202501230001.p0.g1c2d3e4.assembly.4.18.0.el9). */
const VERSION_SHAPE = /^[0-9A-Za-z][0-9A-Za-z.+_~-]{0,127}$/;

/** `microshift version`: fixed by the binary, so kept (with `keeping`) until the binary or the boot changes. */
export function microShiftVersion(
  signal: AbortSignal,
  keeping?: AnswerKeeping,
): Promise<string | undefined> {
  return askProgram(
    {
      program: 'microshift',
      args: ['version', '-o', 'json'],
      timeoutMs: 5000,
      maxOutputBytes: 1 << 16,
      read: parseMicroShiftVersion,
      accepts: (answer) => VERSION_SHAPE.test(answer),
    },
    { signal, ...(keeping === undefined ? {} : { keeping }) },
  );
}

export interface VersionSources {
  /** MicroShift's deployment type (rpm, ostree, bootc), found by the caller. */
  readonly deploymentType: () => Promise<string>;
  /** Overrides asking the microshift binary (tests, or the cluster's own version). */
  readonly version?: (signal: AbortSignal) => Promise<string | undefined>;
}

export function versionCollector(host: HostPaths, sources: VersionSources): Collector {
  return {
    name: 'microshift-version',
    help: HELP,
    kind: 'static',
    async collect({ signal, nowMs }) {
      const [version, osRelease, deploymentType] = await Promise.all([
        (sources.version ?? microShiftVersion)(signal),
        readHostText(host, '/etc/os-release', MAX_OS_RELEASE_BYTES).then(
          parseOsRelease,
          (): Record<string, string> => ({}),
        ),
        sources.deploymentType(),
      ]);
      const labels: Record<string, string> = {
        version: version ?? UNKNOWN_VERSION,
        deployment_type: deploymentType,
      };
      if (osRelease.VERSION_ID !== undefined && osRelease.VERSION_ID !== '')
        labels.os_version_id = osRelease.VERSION_ID;
      return [{ name: VERSION_METRIC, labels, value: 1, timestampMs: nowMs }];
    },
  };
}
