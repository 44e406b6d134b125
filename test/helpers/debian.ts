// Debian packages the end-to-end tests run for real. .ci/run installs them;
// this installs one when absent and root (no service starts by itself here).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function ensureDebianBinary(binary: string, debianPackage: string): void {
  if (existsSync(binary)) return;
  if (process.getuid?.() !== 0)
    throw new Error(
      `${binary} is not installed and this is not root: apt-get install ${debianPackage}`,
    );
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', debianPackage], {
    stdio: 'inherit',
    env,
  });
}

/** Polls `ready` until it says yes, the process exits, or 60 s pass. */
export async function waitUntilReady(
  name: string,
  ready: () => Promise<boolean>,
  exited: () => boolean,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited()) throw new Error(`${name} exited: ${log()}`);
    if (await ready()) return;
    if (Date.now() > deadline) throw new Error(`${name} not ready in 60 s: ${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
