// The V8 flags the release's launcher (packaging/launcher.sh) gives the
// Node.js this suite runs on: tests of a memory measure tied to V8 run under
// exactly the flags the unit runs that line with.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const LAUNCHER = fileURLToPath(new URL('../../packaging/launcher.sh', import.meta.url));

export function launcherFlags(): string[] {
  const out = execFileSync('sh', [LAUNCHER, '--node-flags'], {
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin', EDGE_TELEMETRY_NODE: process.execPath },
  });
  return out.trim().split(/\s+/);
}
