import { rmSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const TOKEN = 'tok-SECRET-b6e1f0a2c9d84f5e';

/** Every directory tempDir made in this test process, removed when the process exits (tap runs one process a file). */
const madeHere = new Set<string>();
process.once('exit', () => {
  for (const dir of madeHere) rmSync(dir, { recursive: true, force: true });
});

export async function tempDir(prefix = 'edge-telemetry-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  madeHere.add(dir);
  return dir;
}

/** A temporary directory removed when the test `t` ends. */
export async function ownTempDir(
  t: { teardown(fn: () => unknown): void },
  prefix = 'edge-telemetry-test-',
): Promise<string> {
  const dir = await tempDir(prefix);
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export function pullSecretJson(token = TOKEN): string {
  return JSON.stringify({
    auths: {
      'cloud.openshift.com': { auth: token, email: 'admin@example.com' },
      'quay.io': { auth: 'other' },
    },
  });
}

/** A config directory with a pull secret, a cluster id and telemetry.yaml holding `telemetry` plus `extra` lines. */
export async function writeConfig(
  dir: string,
  telemetry: Record<string, unknown>,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'pull-secret.json'), pullSecretJson());
  await writeFile(path.join(dir, 'cluster-id'), 'cluster-0123\n');
  const config = {
    pullSecretFile: 'pull-secret.json',
    clusterIdFile: 'cluster-id',
    dataDir: 'data',
    kubeconfig: '',
    ...telemetry,
  };
  const file = path.join(dir, 'telemetry.yaml');
  await writeFile(file, JSON.stringify({ telemetry: config }, null, 2));
  return file;
}
