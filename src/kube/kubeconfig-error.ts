// What can be wrong with a kubeconfig or a file it names. The message is one
// line naming the file and what is wrong; it never holds a token, a key or a
// password (values are never quoted, only key paths and names).

export type KubeconfigErrorCode =
  /** The kubeconfig itself does not exist (yet: MicroShift writes it on its first start). */
  | 'EKUBECONFIGMISSING'
  /** A file (kubeconfig, certificate, key, token) cannot be read: permissions, not a regular file, too large. */
  | 'EKUBECONFIGREAD'
  /** Not YAML. */
  | 'EKUBECONFIGSYNTAX'
  /** YAML, but not a usable kubeconfig: no current-context, an unknown user, a key of the wrong type. */
  | 'EKUBECONFIGINVALID'
  /** In-cluster: the service account's environment or files are not there. */
  | 'EINCLUSTER'
  /** The kubeconfig needs @kubernetes/client-node (exec, auth-provider, SOCKS) and it refused it. */
  | 'EKUBECONFIGPLUGIN';

export class KubeconfigError extends Error {
  constructor(
    readonly code: KubeconfigErrorCode,
    /** The file the problem is in: the kubeconfig, or a file it names. */
    readonly file: string,
    /** What is wrong, without the file name. */
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`.replace(/[\r\n]+/g, ' '));
    this.name = 'KubeconfigError';
  }
}

export type Loaded<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: KubeconfigError };
