// Whether this runs in a pod with a service account: asked by every daemon at
// start, so on its own, apart from kubeconfig.ts and what that loads (node:net
// among it), which only a daemon with cluster metrics needs.
import { access } from '../base/fs-async.js';
import path from 'node:path';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** kubeconfig "" means none, unless this runs in a pod with a service account. */
export async function inClusterAvailable(
  env: NodeJS.ProcessEnv = process.env,
  serviceAccountDir = SERVICE_ACCOUNT_DIR,
): Promise<boolean> {
  if (env.KUBERNETES_SERVICE_HOST === undefined || env.KUBERNETES_SERVICE_HOST === '') return false;
  return access(path.join(serviceAccountDir, 'token')).then(
    () => true,
    () => false,
  );
}
