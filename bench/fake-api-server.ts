// The fake Kubernetes API server of the tests, as its own process, so that the
// benchmark's CPU and heap figures are the collector's alone.
import { generateCluster, startFakeApi } from '../test/helpers/fake-kube-api.js';

const pods = Number(process.argv[2] ?? 10_000);
const api = await startFakeApi(generateCluster(pods));
process.stdout.write(
  JSON.stringify({
    url: api.url,
    kubeconfig: api.kubeconfig,
    clientCertKubeconfig: api.clientCertKubeconfig,
  }) + '\n',
);
process.on('SIGTERM', () => void api.close().then(() => process.exit(0)));
