// Where the cluster is and how to authenticate, from @kubernetes/client-node.
// Imported only when cluster metrics are configured: the package is large.
import { access } from 'node:fs/promises';
import type https from 'node:https';
import type { KubeEndpoint } from './kube-api.js';

export const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** kubeconfig "" means none, unless this runs in a pod with a service account. */
export async function inClusterAvailable(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (env.KUBERNETES_SERVICE_HOST === undefined || env.KUBERNETES_SERVICE_HOST === '') return false;
  return access(SERVICE_ACCOUNT_TOKEN).then(() => true, () => false);
}

export async function loadKubeEndpoint(kubeconfig: string): Promise<KubeEndpoint> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const config = new KubeConfig();
  if (kubeconfig === '') config.loadFromCluster();
  else config.loadFromFile(kubeconfig);
  const cluster = config.getCurrentCluster();
  if (cluster === null) throw new Error(`${kubeconfig === '' ? 'in-cluster config' : kubeconfig}: no current cluster`);
  const options: https.RequestOptions = {};
  // Certificates, tokens, exec plugins: the library applies whatever the kubeconfig says.
  await config.applyToHTTPSOptions(options);
  return { server: cluster.server, options, proxied: cluster.proxyUrl !== undefined && cluster.proxyUrl !== '' };
}
