import { access } from '../base/fs-async.js';
import { askProgram, type AnswerKeeping } from '../base/program-answer.js';
import { bootedFromContainerImage } from './booted-origin.js';

export type DeploymentType = 'microshift-rpm' | 'microshift-ostree' | 'microshift-bootc';

/** Pure: whether `bootc status --booted --json` says the host runs from a bootc image. */
export function isBootcHost(statusJson: string): boolean {
  try {
    const status = JSON.parse(statusJson) as { status?: { type?: unknown } } | null;
    return status?.status?.type === 'bootcHost';
  } catch {
    // Output that is not JSON means bootc could not tell: ostree/rpm decide.
    return false;
  }
}

/** Pure: MicroShift's own rule, bootc first, then ostree, else rpm. */
export function classifyDeployment(bootcHost: boolean, ostreeBooted: boolean): DeploymentType {
  if (bootcHost) return 'microshift-bootc';
  return ostreeBooted ? 'microshift-ostree' : 'microshift-rpm';
}

async function askBootc(
  timeoutMs: number,
  signal: AbortSignal | undefined,
  keeping: AnswerKeeping | undefined,
): Promise<boolean> {
  const answer = await askProgram(
    {
      program: 'bootc',
      args: ['status', '--booted', '--json'],
      timeoutMs,
      maxOutputBytes: 1 << 20,
      read: (stdout) => (isBootcHost(stdout) ? 'bootcHost' : 'other'),
      accepts: (answer) => answer === 'bootcHost' || answer === 'other',
    },
    {
      ...(signal === undefined ? {} : { signal }),
      ...(keeping === undefined ? {} : { keeping }),
    },
  );
  return answer === 'bootcHost';
}

/**
 * MicroShift's deployment type. Off ostree, bootc has nothing to say (its
 * status is empty without /run/ostree-booted): rpm. On ostree, the booted
 * deployment's origin file says whether it is a bootc image
 * (booted-origin.ts); bootc is asked only where that file cannot be read.
 */
export async function detectDeploymentType(
  options: {
    root?: string;
    timeoutMs?: number;
    signal?: AbortSignal;
    /** Where bootc's answer is kept for the rest of the boot (dataDir's file), or undefined: asked each time. */
    keeping?: AnswerKeeping;
  } = {},
): Promise<DeploymentType> {
  const root = options.root ?? '';
  const ostreeBooted = await access(`${root}/run/ostree-booted`).then(
    () => true,
    () => false,
  );
  if (!ostreeBooted) return classifyDeployment(false, false);
  const fromOrigin = await bootedFromContainerImage(root);
  // A test root means a fake host: do not ask this machine's bootc.
  const bootcHost =
    fromOrigin ??
    (root === '' && (await askBootc(options.timeoutMs ?? 5000, options.signal, options.keeping)));
  return classifyDeployment(bootcHost, true);
}
