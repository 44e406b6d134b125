// Where the cluster is and how to authenticate. The common kubeconfigs
// (client certificate, token, token file, basic auth) and the in-cluster
// service account are read here; @kubernetes/client-node, whose generated API
// costs ~45 MB of RSS once imported, is loaded (kubeconfig-plugin.ts) only for
// a user with `exec` or `auth-provider`, or a SOCKS proxy-url.
import net from 'node:net';
import path from 'node:path';
import type https from 'node:https';
import type { KubeEndpoint } from './kube-api.js';
import { KubeconfigError, type Loaded } from './kubeconfig-error.js';
import { parseKubeconfig, type ParsedKubeconfig } from './kubeconfig-parse.js';
import { MAX_KUBECONFIG_BYTES, readPem, readSmallFile } from './small-file.js';
import { fileTokenSource, type TokenSource } from './token-file.js';
import type { PluginLimits } from './bounded-plugin-spawn.js';
import { proxyForApiServer } from './proxy-environment.js';
import { lazyTls } from '../base/lazy-builtins.js';
import { SERVICE_ACCOUNT_DIR } from './in-cluster.js';

export interface LoadOptions {
  /** In-cluster: KUBERNETES_SERVICE_HOST and _PORT. */
  readonly env?: NodeJS.ProcessEnv;
  /** In-cluster: the directory holding `token` and `ca.crt`. */
  readonly serviceAccountDir?: string;
  /** The clock token files are re-read by. */
  readonly nowMs?: () => number;
  /** An exec plugin's deadline and stdout cap (bounded-plugin-spawn.ts has the defaults). */
  readonly pluginLimits?: PluginLimits;
}

/** Never rejects: every problem is a KubeconfigError value, one line, no secret in it. */
export async function loadKubeEndpoint(
  kubeconfig: string,
  options: LoadOptions = {},
): Promise<Loaded<KubeEndpoint>> {
  if (kubeconfig === '') return inClusterEndpoint(options);
  const text = await readSmallFile(kubeconfig, MAX_KUBECONFIG_BYTES, 'EKUBECONFIGMISSING');
  if (!text.ok) return text;
  const parsed = parseKubeconfig(text.value, kubeconfig);
  if (!parsed.ok) return parsed;
  if (parsed.value.user.plugin !== undefined) {
    // The one place the full client is loaded.
    const { loadWithClientNode } = await import('./kubeconfig-plugin.js');
    return loadWithClientNode(parsed.value, kubeconfig, options.pluginLimits);
  }
  return directEndpoint(parsed.value, kubeconfig, options.nowMs ?? Date.now);
}

interface Tls {
  readonly ca: string | undefined;
  readonly cert: string | undefined;
  readonly key: string | undefined;
  readonly rejectUnauthorized: boolean;
  readonly servername: string | undefined;
}

async function directEndpoint(
  parsed: ParsedKubeconfig,
  file: string,
  nowMs: () => number,
): Promise<Loaded<KubeEndpoint>> {
  const { cluster, user } = parsed;
  const [ca, cert, key] = await Promise.all([
    cluster.certificateAuthority === undefined ? undefined : readPem(cluster.certificateAuthority),
    user.clientCertificate === undefined ? undefined : readPem(user.clientCertificate),
    user.clientKey === undefined ? undefined : readPem(user.clientKey),
  ]);
  for (const read of [ca, cert, key]) if (read !== undefined && !read.ok) return read;
  const tls: Tls = {
    ca: ca?.ok === true ? ca.value : undefined,
    cert: cert?.ok === true ? cert.value : undefined,
    key: key?.ok === true ? key.value : undefined,
    // Verification is on unless the kubeconfig itself turns it off.
    rejectUnauthorized: !cluster.insecureSkipTlsVerify,
    servername: cluster.tlsServerName,
  };
  const unusable = await checkTls(tls);
  if (unusable !== undefined)
    return {
      ok: false,
      error: new KubeconfigError('EKUBECONFIGINVALID', file, `${describe(parsed)}: ${unusable}`),
    };

  const headers: Record<string, string | string[]> = { ...user.impersonation };
  let bearerToken: TokenSource | undefined;
  if (user.bearer !== undefined && 'token' in user.bearer)
    headers.Authorization = `Bearer ${user.bearer.token}`;
  else if (user.bearer !== undefined) {
    bearerToken = fileTokenSource(user.bearer.tokenFile, nowMs);
    // Read once now: a missing token file is a kubeconfig problem, said at load.
    const first = await bearerToken();
    if (!first.ok) return first;
  } else if (user.basic !== undefined) {
    headers.Authorization = `Basic ${Buffer.from(`${user.basic.username}:${user.basic.password}`).toString('base64')}`;
  }

  const proxy =
    cluster.proxyUrl === undefined
      ? environmentProxy(cluster.server)
      : { ok: true as const, value: cluster.proxyUrl };
  if (!proxy.ok)
    return { ok: false, error: new KubeconfigError('EKUBECONFIGINVALID', file, proxy.reason) };
  const requestOptions: https.RequestOptions = {
    ...definedOnly(tls),
    headers,
    ...(await proxyAgent(proxy.value, tls)),
  };
  return {
    ok: true,
    value: {
      server: cluster.server,
      options: requestOptions,
      proxied: proxy.value !== undefined,
      ...(bearerToken === undefined ? {} : { bearerToken }),
    },
  };
}

/** The proxy for the API server when the kubeconfig names none: the environment's, as kubectl reads it (proxy-environment.ts). */
function environmentProxy(
  server: string,
):
  | { readonly ok: true; readonly value: URL | undefined }
  | { readonly ok: false; readonly reason: string } {
  const proxy = proxyForApiServer(new URL(server));
  if (proxy === '') return { ok: true, value: undefined };
  try {
    const parsed = new URL(proxy);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:')
      return { ok: true, value: parsed };
  } catch {
    // Said below, without the value: it may carry the proxy's password.
  }
  return {
    ok: false,
    reason:
      'the proxy from HTTPS_PROXY is unusable for the API server: only http:// and https:// proxy URLs are',
  };
}

/** The agent that tunnels to the API server through `proxy`, with the TLS options on it; none without a proxy. */
async function proxyAgent(proxy: URL | undefined, tls: Tls): Promise<{ agent?: https.Agent }> {
  if (proxy === undefined) return {};
  const { HttpsProxyAgent } = await import('hpagent');
  // hpagent opens the tunnel, then TLS to the API server through it.
  return {
    agent: new HttpsProxyAgent({
      ...definedOnly(tls),
      proxy,
      keepAlive: true,
      maxSockets: 4,
      timeout: 60_000,
    }),
  };
}

async function inClusterEndpoint(options: LoadOptions): Promise<Loaded<KubeEndpoint>> {
  const env = options.env ?? process.env;
  const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT ?? '';
  if (host === '' || port === '') {
    return {
      ok: false,
      error: new KubeconfigError(
        'EINCLUSTER',
        dir,
        'in-cluster config needs KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT',
      ),
    };
  }
  const ca = await readPem({ file: path.join(dir, 'ca.crt') });
  if (!ca.ok) return ca;
  const bearerToken = fileTokenSource(path.join(dir, 'token'), options.nowMs ?? Date.now);
  const first = await bearerToken();
  if (!first.ok) return first;
  const tls: Tls = {
    ca: ca.value,
    cert: undefined,
    key: undefined,
    rejectUnauthorized: true,
    servername: undefined,
  };
  const unusable = await checkTls(tls);
  if (unusable !== undefined)
    return {
      ok: false,
      error: new KubeconfigError('EINCLUSTER', path.join(dir, 'ca.crt'), unusable),
    };
  const server = `https://${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
  // client-go's in-cluster config takes the environment's proxy too (NO_PROXY usually names the service network).
  const proxy = environmentProxy(server);
  if (!proxy.ok) return { ok: false, error: new KubeconfigError('EINCLUSTER', dir, proxy.reason) };
  return {
    ok: true,
    value: {
      server,
      options: { ...definedOnly(tls), headers: {}, ...(await proxyAgent(proxy.value, tls)) },
      proxied: proxy.value !== undefined,
      bearerToken,
    },
  };
}

/** OpenSSL's verdict on the CA, certificate and key, now rather than at the first request. */
async function checkTls(tls: Tls): Promise<string | undefined> {
  // node:tls only once a kubeconfig is in use: this module is also imported, for
  // inClusterAvailable, by daemons that send host metrics alone over plain HTTP.
  const { createSecureContext } = lazyTls();
  try {
    createSecureContext(definedOnly({ ca: tls.ca, cert: tls.cert, key: tls.key }));
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    const which =
      tls.cert === undefined
        ? 'certificate authority'
        : 'certificate authority, client certificate or client key';
    // OpenSSL's reason names the problem (e.g. "key values mismatch"), never the key's bytes.
    const reason = (error as { reason?: unknown }).reason;
    return `${which} unusable (${typeof reason === 'string' ? reason : code})`;
  }
}

function describe(parsed: ParsedKubeconfig): string {
  return `context ${JSON.stringify(parsed.context)} (cluster ${JSON.stringify(parsed.cluster.name)}, user ${JSON.stringify(parsed.user.name ?? '')})`;
}

function definedOnly<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(object).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}
