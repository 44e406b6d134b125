// The one module that loads @kubernetes/client-node (~45 MB of RSS once
// imported): for a user with an `exec` credential plugin or an `auth-provider`
// (OIDC), and for a SOCKS proxy-url, which the library does well and we do not
// do at all. It gets a kubeconfig of just the current context with every file
// already read through our bounded reads, so it never opens a FIFO or a
// huge file itself (an exec plugin's own command is its business).
import type https from 'node:https';
import type { KubeEndpoint } from './kube-api.js';
import { KubeconfigError, type Loaded } from './kubeconfig-error.js';
import type { ParsedKubeconfig, PemSource } from './kubeconfig-parse.js';
import { MAX_CREDENTIAL_FILE_BYTES, readPem, readSmallFile } from './small-file.js';
import {
  PLUGIN_TIMEOUT_MS,
  PluginRunError,
  boundedPluginSpawn,
  type PluginLimits,
} from './bounded-plugin-spawn.js';

/** Library messages can be long: keep one short line. */
const MAX_REASON_CHARS = 200;

async function inline(source: PemSource | undefined): Promise<Loaded<string | undefined>> {
  if (source === undefined) return { ok: true, value: undefined };
  const read = await readPem(source);
  return read.ok ? { ok: true, value: Buffer.from(read.value).toString('base64') } : read;
}

/** The library's authenticators, which it keeps in a field of each KubeConfig; ExecAuth is the one with `execFn`. */
function boundExecPlugins(config: object, limits: PluginLimits | undefined): void {
  const authenticators = (config as { authenticators?: unknown }).authenticators;
  if (!Array.isArray(authenticators))
    throw new Error(
      'this @kubernetes/client-node keeps no authenticators field; exec plugins cannot be bounded',
    );
  const exec = authenticators.filter(
    (entry): entry is { execFn: unknown } =>
      typeof entry === 'object' && entry !== null && 'execFn' in entry,
  );
  if (exec.length !== 1)
    throw new Error(
      'this @kubernetes/client-node has no ExecAuth.execFn; exec plugins cannot be bounded',
    );
  for (const entry of exec) entry.execFn = boundedPluginSpawn(limits);
}

/** What a failure says: our own words for a plugin, never what it printed. */
function reasonOf(error: unknown, token: string | undefined): string {
  if (error instanceof PluginRunError) return `the plugin ${error.message}`;
  // JSON.parse's message quotes the start of what it was given: the plugin's stdout.
  if (error instanceof SyntaxError) return 'the plugin printed no JSON ExecCredential on stdout';
  let reason = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
  // A library message may echo what it was given; the token never goes into a log line.
  if (token !== undefined && token !== '') reason = reason.split(token).join('<redacted>');
  return reason.slice(0, MAX_REASON_CHARS);
}

export async function loadWithClientNode(
  parsed: ParsedKubeconfig,
  file: string,
  limits?: PluginLimits,
): Promise<Loaded<KubeEndpoint>> {
  const { cluster, user } = parsed;
  const [ca, cert, key] = await Promise.all([
    inline(cluster.certificateAuthority),
    inline(user.clientCertificate),
    inline(user.clientKey),
  ]);
  for (const read of [ca, cert, key]) if (!read.ok) return read;
  let token: string | undefined;
  if (user.bearer !== undefined) {
    if ('token' in user.bearer) token = user.bearer.token;
    else {
      const read = await readSmallFile(user.bearer.tokenFile, MAX_CREDENTIAL_FILE_BYTES);
      if (!read.ok) return read;
      token = read.value.trim();
    }
  }
  const pick = (read: Loaded<string | undefined>) => (read.ok ? read.value : undefined);
  const fileKeys = ['client-certificate', 'client-key', 'tokenFile', 'token-file'];
  const rawUser = Object.fromEntries(
    Object.entries(user.raw).filter(([key]) => !fileKeys.includes(key)),
  );
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'cluster',
        cluster: {
          server: cluster.server,
          'certificate-authority-data': pick(ca),
          'insecure-skip-tls-verify': cluster.insecureSkipTlsVerify,
          'tls-server-name': cluster.tlsServerName,
          'proxy-url': cluster.proxyUrl?.href,
        },
      },
    ],
    users: [
      {
        name: 'user',
        user: {
          ...rawUser,
          'client-certificate-data': pick(cert),
          'client-key-data': pick(key),
          token,
        },
      },
    ],
    contexts: [{ name: 'context', context: { cluster: 'cluster', user: 'user' } }],
    'current-context': 'context',
  };
  const timeoutMs = limits?.timeoutMs ?? PLUGIN_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  try {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const config = new KubeConfig();
    boundExecPlugins(config, limits);
    // JSON is YAML: the library parses it as it would the file.
    config.loadFromString(JSON.stringify(kubeconfig));
    const options: https.RequestOptions = {};
    // Exec plugins, OIDC refresh, the SOCKS agent: the library applies whatever the kubeconfig says, within the
    // plugin's deadline (an auth-provider refreshing over the network has no deadline of its own either).
    await Promise.race([
      config.applyToHTTPSOptions(options),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new PluginRunError('EPLUGINTIMEOUT', `did not finish within ${timeoutMs / 1000} s`),
            ),
          timeoutMs,
        );
      }),
    ]);
    return {
      ok: true,
      value: { server: cluster.server, options, proxied: cluster.proxyUrl !== undefined },
    };
  } catch (error) {
    return {
      ok: false,
      error: new KubeconfigError(
        'EKUBECONFIGPLUGIN',
        file,
        `user ${JSON.stringify(user.name ?? '')} (${user.plugin ?? 'plugin'}): ${reasonOf(error, token)}`,
      ),
    };
  } finally {
    clearTimeout(timer);
  }
}
