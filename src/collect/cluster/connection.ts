import { access } from 'node:fs/promises';
import type { Logger } from '../../log.js';
import { createKubeApi, type KubeApi, type KubeEndpoint } from './kube-api.js';
import { ProblemNotices } from './notices.js';

/**
 * The API client, made on first use and again after a failure, so that a
 * kubeconfig that appears later (MicroShift's first start) is picked up
 * without a restart.
 */
export class KubeConnection {
  private api: KubeApi | undefined;
  readonly notices: ProblemNotices;

  constructor(
    private readonly kubeconfig: string,
    private readonly loadEndpoint: (kubeconfig: string) => Promise<KubeEndpoint>,
    private readonly requestTimeoutMs: number,
    readonly log: Logger,
  ) {
    this.notices = new ProblemNotices(log);
  }

  async get(): Promise<KubeApi | undefined> {
    if (this.api !== undefined) return this.api;
    const where = this.kubeconfig === '' ? 'the in-cluster service account' : this.kubeconfig;
    if (this.kubeconfig !== '' && !(await access(this.kubeconfig).then(() => true, () => false))) {
      this.notices.problem('kubeconfig', `kubeconfig ${this.kubeconfig} not found; cluster metrics are left out until it exists (host metrics still go out)`);
      return undefined;
    }
    try {
      this.api = createKubeApi(await this.loadEndpoint(this.kubeconfig), this.requestTimeoutMs);
    } catch (error) {
      this.notices.problem('kubeconfig', `cannot use ${where}: ${(error as Error).message}; cluster metrics are left out (host metrics still go out)`);
      return undefined;
    }
    this.notices.resolved('kubeconfig', `kubeconfig ${where} loaded`);
    return this.api;
  }

  /** The API answered (anything): clears an earlier "unreachable". */
  reachable(): void {
    this.notices.resolved('api', 'Kubernetes API reachable again; cluster metrics resume');
  }

  unreachable(reason: string, status?: number): void {
    // Credentials from exec plugins and OIDC expire: a refusal makes the next tick load them afresh.
    if (status === 401) this.api = undefined;
    this.notices.problem('api', 'Kubernetes API unreachable; cluster metrics are left out until it answers (host metrics still go out)', { reason });
  }
}
