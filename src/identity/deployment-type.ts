import { lazyChildProcess } from '../base/lazy-builtins.js';
import { access } from '../base/fs-async.js';

export type DeploymentType = 'microshift-rpm' | 'microshift-ostree' | 'microshift-bootc';

/** Pure: MicroShift's own rule, bootc first, then ostree, else rpm. */
export function classifyDeployment(
  bootcStatusJson: string | undefined,
  ostreeBooted: boolean,
): DeploymentType {
  if (bootcStatusJson !== undefined) {
    try {
      const status = JSON.parse(bootcStatusJson) as { status?: { type?: unknown } };
      if (status.status?.type === 'bootcHost') return 'microshift-bootc';
    } catch {
      // Output that is not JSON means bootc could not tell: fall through to ostree/rpm.
    }
  }
  return ostreeBooted ? 'microshift-ostree' : 'microshift-rpm';
}

function bootcStatus(
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    lazyChildProcess().execFile(
      'bootc',
      ['status', '--booted', '--json'],
      { timeout: timeoutMs, signal, maxBuffer: 1 << 20 },
      (error, stdout) => resolve(error === null ? stdout : undefined),
    );
  });
}

export async function detectDeploymentType(
  options: { root?: string; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<DeploymentType> {
  const root = options.root ?? '';
  const ostreeBooted = await access(`${root}/run/ostree-booted`).then(
    () => true,
    () => false,
  );
  // A test root means a fake host: do not ask this machine's bootc.
  const bootc =
    root === '' ? await bootcStatus(options.timeoutMs ?? 5000, options.signal) : undefined;
  return classifyDeployment(bootc, ostreeBooted);
}
