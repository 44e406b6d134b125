// Pure: a kubeconfig's text → the current context's cluster and user, as
// kubectl reads them (current-context → context → cluster and user; relative
// paths against the kubeconfig's directory; *-data wins over the file). Reads
// no file: what a path names is read by kubeconfig.ts.
//
// The common forms (client certificate, token, token file, basic auth) are
// ours to apply; a user with `exec` or `auth-provider`, or a SOCKS proxy-url,
// is marked `plugin` and handed to @kubernetes/client-node.
import path from 'node:path';
import { openYamlParser } from '../base/yaml-parse.js';
import { KubeconfigError, type Loaded } from './kubeconfig-error.js';

/** PEM text given inline (already base64-decoded) or the absolute path of a file holding it. */
export type PemSource = { readonly pem: string } | { readonly file: string };

export interface KubeconfigCluster {
  readonly name: string;
  /** https URL, without a trailing slash. */
  readonly server: string;
  readonly certificateAuthority: PemSource | undefined;
  /** Only when the kubeconfig says insecure-skip-tls-verify: true. */
  readonly insecureSkipTlsVerify: boolean;
  readonly tlsServerName: string | undefined;
  readonly proxyUrl: URL | undefined;
}

export type Bearer = { readonly token: string } | { readonly tokenFile: string };

export interface KubeconfigUser {
  /** undefined: the context names no user (anonymous). */
  readonly name: string | undefined;
  readonly clientCertificate: PemSource | undefined;
  readonly clientKey: PemSource | undefined;
  readonly bearer: Bearer | undefined;
  readonly basic: { readonly username: string; readonly password: string } | undefined;
  /** Impersonate-* headers (`as`, `as-uid`, `as-groups`, `as-user-extra`). */
  readonly impersonation: Readonly<Record<string, string | string[]>>;
  /** Why @kubernetes/client-node must apply this user; undefined when we do. */
  readonly plugin: 'exec' | 'auth-provider' | 'socks-proxy' | undefined;
  /** The user entry as written, for the library when `plugin` is set. */
  readonly raw: Readonly<Record<string, unknown>>;
}

export interface ParsedKubeconfig {
  readonly context: string;
  readonly cluster: KubeconfigCluster;
  readonly user: KubeconfigUser;
}

/** Thrown and caught only inside this module: every exit of parseKubeconfig is a value. */
class Invalid extends Error {}

type Mapping = Record<string, unknown>;

const isMapping = (value: unknown): value is Mapping =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function optionalString(entry: Mapping, key: string, where: string): string | undefined {
  const value = entry[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new Invalid(`${where}.${key}: expected a string`);
  return value;
}

function named(
  list: unknown,
  section: 'clusters' | 'users' | 'contexts',
  body: 'cluster' | 'user' | 'context',
  name: string,
): Mapping | undefined {
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) throw new Invalid(`${section}: expected a list`);
  // The first entry of a name wins, as in @kubernetes/client-node.
  for (const [index, entry] of list.entries()) {
    if (!isMapping(entry))
      throw new Invalid(`${section}[${index}]: expected a mapping with name and ${body}`);
    if (entry.name !== name) continue;
    const value = entry[body] ?? {};
    if (!isMapping(value)) throw new Invalid(`${section}[${name}].${body}: expected a mapping`);
    return value;
  }
  return undefined;
}

function decodePem(base64: string, where: string): string {
  const pem = Buffer.from(base64, 'base64').toString('utf8');
  if (!pem.includes('-----BEGIN ')) throw new Invalid(`${where}: not the base64 of a PEM block`);
  return pem;
}

/** `<key>-data` (base64 PEM) wins over `<key>` (a path, relative to the kubeconfig's directory). */
function pemSource(
  entry: Mapping,
  key: string,
  where: string,
  directory: string,
): PemSource | undefined {
  const data = optionalString(entry, `${key}-data`, where);
  if (data !== undefined) return { pem: decodePem(data, `${where}.${key}-data`) };
  const file = optionalString(entry, key, where);
  return file === undefined ? undefined : { file: path.resolve(directory, file) };
}

function parseCluster(name: string, entry: Mapping, directory: string): KubeconfigCluster {
  const where = `clusters[${name}].cluster`;
  const server = optionalString(entry, 'server', where);
  if (server === undefined) throw new Invalid(`${where}.server: missing`);
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new Invalid(`${where}.server: not a URL`);
  }
  if (url.protocol !== 'https:')
    throw new Invalid(`${where}.server: must be an https:// URL (is ${url.protocol})`);
  const insecure = entry['insecure-skip-tls-verify'] ?? false;
  if (typeof insecure !== 'boolean')
    throw new Invalid(`${where}.insecure-skip-tls-verify: expected true or false`);
  const proxyText = optionalString(entry, 'proxy-url', where);
  let proxyUrl: URL | undefined;
  if (proxyText !== undefined) {
    // The URL is never repeated in a message: it may carry the proxy's password.
    try {
      proxyUrl = new URL(proxyText);
    } catch {
      throw new Invalid(`${where}.proxy-url: not a URL`);
    }
    if (
      !['http:', 'https:', 'socks5:', 'socks5h:', 'socks4:', 'socks4a:', 'socks:'].includes(
        proxyUrl.protocol,
      )
    ) {
      throw new Invalid(
        `${where}.proxy-url: unsupported scheme ${proxyUrl.protocol} (http, https or socks5)`,
      );
    }
  }
  return {
    name,
    server: server.replace(/\/+$/, ''),
    certificateAuthority: pemSource(entry, 'certificate-authority', where, directory),
    insecureSkipTlsVerify: insecure,
    tlsServerName: optionalString(entry, 'tls-server-name', where),
    proxyUrl,
  };
}

function impersonationHeaders(entry: Mapping, where: string): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  const user = optionalString(entry, 'as', where);
  if (user !== undefined) headers['Impersonate-User'] = user;
  const uid = optionalString(entry, 'as-uid', where);
  if (uid !== undefined) headers['Impersonate-Uid'] = uid;
  const groups = entry['as-groups'];
  if (groups !== undefined && groups !== null) {
    if (!Array.isArray(groups) || !groups.every((group) => typeof group === 'string'))
      throw new Invalid(`${where}.as-groups: expected a list of strings`);
    if (groups.length > 0) headers['Impersonate-Group'] = groups;
  }
  const extra = entry['as-user-extra'];
  if (extra !== undefined && extra !== null) {
    if (!isMapping(extra)) throw new Invalid(`${where}.as-user-extra: expected a mapping`);
    for (const [key, values] of Object.entries(extra)) {
      if (!Array.isArray(values) || !values.every((value) => typeof value === 'string'))
        throw new Invalid(`${where}.as-user-extra.${key}: expected a list of strings`);
      headers[`Impersonate-Extra-${encodeURIComponent(key)}`] = values;
    }
  }
  return headers;
}

function parseUser(
  name: string | undefined,
  entry: Mapping,
  directory: string,
  cluster: KubeconfigCluster,
): KubeconfigUser {
  const where = `users[${name ?? ''}].user`;
  const plugin =
    entry.exec !== undefined && entry.exec !== null
      ? 'exec'
      : entry['auth-provider'] !== undefined && entry['auth-provider'] !== null
        ? 'auth-provider'
        : cluster.proxyUrl?.protocol.startsWith('socks') === true
          ? 'socks-proxy'
          : undefined;
  const clientCertificate = pemSource(entry, 'client-certificate', where, directory);
  const clientKey = pemSource(entry, 'client-key', where, directory);
  if ((clientCertificate === undefined) !== (clientKey === undefined)) {
    throw new Invalid(
      `${where}: ${clientCertificate === undefined ? 'client-key without client-certificate' : 'client-certificate without client-key'}`,
    );
  }
  const token = optionalString(entry, 'token', where);
  // kubectl's key is tokenFile; @kubernetes/client-node read token-file.
  const tokenFile =
    optionalString(entry, 'tokenFile', where) ?? optionalString(entry, 'token-file', where);
  // A token wins over a token file, as in client-go.
  const bearer: Bearer | undefined =
    token !== undefined
      ? { token }
      : tokenFile !== undefined
        ? { tokenFile: path.resolve(directory, tokenFile) }
        : undefined;
  const username = optionalString(entry, 'username', where);
  const password = optionalString(entry, 'password', where);
  if (bearer !== undefined && (username !== undefined || password !== undefined)) {
    throw new Invalid(`${where}: username/password or a bearer token may be set, not both`);
  }
  return {
    name,
    clientCertificate,
    clientKey,
    bearer,
    basic:
      username !== undefined || password !== undefined
        ? { username: username ?? '', password: password ?? '' }
        : undefined,
    impersonation: impersonationHeaders(entry, where),
    plugin,
    raw: entry,
  };
}

/** The line and column of a character offset, 1-based. */
function position(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `${line}:${offset - before.lastIndexOf('\n')}`;
}

/** `file` is the kubeconfig's path: it names it in errors and anchors relative paths. */
export function parseKubeconfig(text: string, file: string): Loaded<ParsedKubeconfig> {
  // prettyErrors off: the pretty form quotes the offending line, which may hold a token.
  const parsed = openYamlParser().parse(text, { prettyErrors: false });
  if (!parsed.ok && parsed.kind === 'syntax') {
    const message = parsed.message.split(/ at line \d+|\n/)[0] ?? parsed.code;
    return {
      ok: false,
      error: new KubeconfigError(
        'EKUBECONFIGSYNTAX',
        file,
        `${position(text, parsed.offset)}: not YAML: ${message}`,
      ),
    };
  }
  try {
    if (!parsed.ok)
      throw new Invalid(`not a usable kubeconfig: ${parsed.message.split('\n')[0] ?? ''}`);
    const root = parsed.value;
    if (!isMapping(root))
      throw new Invalid(
        'not a kubeconfig (expected a mapping with clusters, users, contexts and current-context)',
      );
    const contextName = root['current-context'];
    if (typeof contextName !== 'string' || contextName === '')
      throw new Invalid('no current-context');
    const context = named(root.contexts, 'contexts', 'context', contextName);
    if (context === undefined)
      throw new Invalid(`current-context ${JSON.stringify(contextName)} is not among contexts`);
    const where = `contexts[${contextName}].context`;
    const clusterName = optionalString(context, 'cluster', where);
    if (clusterName === undefined) throw new Invalid(`${where}.cluster: missing`);
    const clusterEntry = named(root.clusters, 'clusters', 'cluster', clusterName);
    if (clusterEntry === undefined)
      throw new Invalid(
        `context ${JSON.stringify(contextName)} names cluster ${JSON.stringify(clusterName)}, which is not among clusters`,
      );
    const directory = path.dirname(path.resolve(file));
    const cluster = parseCluster(clusterName, clusterEntry, directory);
    const userName = optionalString(context, 'user', where);
    let userEntry: Mapping = {};
    if (userName !== undefined) {
      const found = named(root.users, 'users', 'user', userName);
      if (found === undefined)
        throw new Invalid(
          `context ${JSON.stringify(contextName)} names user ${JSON.stringify(userName)}, which is not among users`,
        );
      userEntry = found;
    }
    return {
      ok: true,
      value: {
        context: contextName,
        cluster,
        user: parseUser(userName, userEntry, directory, cluster),
      },
    };
  } catch (error) {
    if (error instanceof Invalid)
      return { ok: false, error: new KubeconfigError('EKUBECONFIGINVALID', file, error.message) };
    throw error;
  }
}
