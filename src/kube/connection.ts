import type { Logger } from '../base/log.js';
import { createKubeApi, type KubeApi, type KubeEndpoint } from './kube-api.js';
import { NO_MEMORY_POLICY, type MemoryPolicy } from '../base/heap-shrink.js';
import type { Loaded } from './kubeconfig-error.js';
import { ProblemNotices } from './notices.js';

/**
 * The API client, made on first use and again after a failure, so that a
 * kubeconfig that appears later (MicroShift's first start) is picked up
 * without a restart.
 */
export class KubeConnection {
  private api: KubeApi | undefined;
  /** The load under way: a tick's collectors ask at once, and one load (one exec plugin run) serves them all. */
  private loading: Promise<KubeApi | undefined> | undefined;
  readonly notices: ProblemNotices;

  constructor(
    private readonly kubeconfig: string,
    private readonly loadEndpoint: (kubeconfig: string) => Promise<Loaded<KubeEndpoint>>,
    private readonly requestTimeoutMs: number,
    readonly log: Logger,
    /** Its betweenSteps runs after each API answer. */
    private readonly memory: MemoryPolicy = NO_MEMORY_POLICY,
    /** The problems already warned about, kept across processes (ProblemNotices). */
    openProblems: Set<string> = new Set(),
  ) {
    this.notices = new ProblemNotices(log, openProblems);
  }

  get(): Promise<KubeApi | undefined> {
    if (this.api !== undefined) return Promise.resolve(this.api);
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<KubeApi | undefined> {
    const where = this.kubeconfig === '' ? 'the in-cluster service account' : this.kubeconfig;
    const loaded = await this.loadEndpoint(this.kubeconfig);
    if (!loaded.ok) {
      const message =
        loaded.error.code === 'EKUBECONFIGMISSING'
          ? `kubeconfig ${this.kubeconfig} not found; cluster metrics are left out until it exists (host metrics still go out)`
          : `cannot use ${where}: ${loaded.error.message}; cluster metrics are left out (host metrics still go out)`;
      this.notices.problem('kubeconfig', message);
      return undefined;
    }
    this.api = createKubeApi(loaded.value, this.requestTimeoutMs, this.memory);
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
    this.notices.problem(
      'api',
      'Kubernetes API unreachable; cluster metrics are left out until it answers (host metrics still go out)',
      { reason },
    );
  }
}
