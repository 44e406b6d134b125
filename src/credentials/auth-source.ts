// "The auth for this send": the credentials read fresh (they rotate) and the
// headers and secrets a request goes with. The one place config's telemetry.auth
// meets the files it names; the daemon, `once`, `show`, `upload` and `export`
// all take it from here, so they cannot disagree.
import type { Config } from '../config/schema.js';
import { ConfigError } from '../config/errors.js';
import { SECRET_HEADER_NAME } from '../config/auth.js';
import { readPullSecretToken } from './pull-secret.js';
import { readSecretFile, type SecretRead } from './secret-file.js';
import type { ResolvedAuth } from '../remote-write/authorization.js';
import { requestHeaders, requestSecrets } from '../remote-write/headers.js';

export type SendAuth =
  | {
      readonly ok: true;
      /** Every header of each request of this send, Authorization included. */
      readonly headers: Readonly<Record<string, string>>;
      /** Every form of a credential a reply could echo: for scrubSecrets. */
      readonly secrets: readonly string[];
    }
  /** One line for the log: names the key and the file, never a secret. */
  | { readonly ok: false; readonly reason: string };

/** The telemeter bearer holds the cluster id of the data (an export's, when uploading). */
export type AuthSource = (clusterId: string) => Promise<SendAuth>;

export type AuthSettings = Pick<Config, 'auth' | 'headers' | 'pullSecretFile'>;

async function resolve(
  settings: AuthSettings,
  clusterId: string,
): Promise<{ ok: true; auth: ResolvedAuth } | { ok: false; reason: string }> {
  const { auth } = settings;
  const failed = (key: string, read: SecretRead & { ok: false }) => ({
    ok: false as const,
    reason: `${key}: ${read.reason}`,
  });
  switch (auth.type) {
    case 'telemeter':
      try {
        return {
          ok: true,
          auth: {
            type: 'telemeter',
            token: await readPullSecretToken(settings.pullSecretFile),
            clusterId,
          },
        };
      } catch (error) {
        // IdentityError: one line naming the file, never its content.
        return { ok: false, reason: (error as Error).message };
      }
    case 'bearer': {
      const read = await readSecretFile(auth.credentialsFile.path, { headerSafe: true });
      return read.ok
        ? { ok: true, auth: { type: 'bearer', token: read.secret } }
        : failed(auth.credentialsFile.key, read);
    }
    case 'basic': {
      const read = await readSecretFile(auth.passwordFile.path, { headerSafe: false });
      return read.ok
        ? { ok: true, auth: { type: 'basic', username: auth.username, password: read.secret } }
        : failed(auth.passwordFile.key, read);
    }
    case 'none':
      return { ok: true, auth: { type: 'none' } };
  }
}

/**
 * A query parameter named like a secret header (`?api_key=`, `?token=`) is a
 * credential too: a reply that quotes the request line must not log it.
 */
function endpointQuerySecrets(endpoint: string): string[] {
  return [...new URL(endpoint).searchParams]
    .filter(([name, value]) => SECRET_HEADER_NAME.test(name) && value !== '')
    .map(([, value]) => value);
}

/** `content`: the protocol's own headers (remote-write's when absent), sent first. */
export function createAuthSource(
  settings: AuthSettings & Pick<Config, 'endpoint'>,
  userAgent: string,
  content?: Readonly<Record<string, string>>,
): AuthSource {
  const querySecrets = endpointQuerySecrets(settings.endpoint);
  return async (clusterId) => {
    const resolved = await resolve(settings, clusterId);
    if (!resolved.ok) return resolved;
    return {
      ok: true,
      headers: requestHeaders(userAgent, settings.headers, resolved.auth, content),
      secrets: [...requestSecrets(settings.headers, resolved.auth), ...querySecrets],
    };
  };
}

/**
 * At start, in check-config and at reload: a credentials or password file that
 * is missing, empty or open to others is a config error (exit 2) naming the
 * key, the file that set it and the problem. The pull secret keeps its old
 * rule (checked at each send), as MicroShift nodes get it from CRI-O's setup.
 */
export async function checkAuthFiles(settings: AuthSettings): Promise<void> {
  const { auth } = settings;
  const ref =
    auth.type === 'bearer'
      ? auth.credentialsFile
      : auth.type === 'basic'
        ? auth.passwordFile
        : undefined;
  if (ref === undefined) return;
  const read = await readSecretFile(ref.path, { headerSafe: auth.type === 'bearer' });
  if (!read.ok) throw new ConfigError(ref.setIn, ref.key, read.reason);
}

/** The files a send reads for its credentials, with the key that names each (for check-config). */
export function authFiles(settings: AuthSettings): { key: string; path: string }[] {
  const { auth } = settings;
  switch (auth.type) {
    case 'telemeter':
      return [{ key: 'telemetry.pullSecretFile', path: settings.pullSecretFile }];
    case 'bearer':
      return [{ key: auth.credentialsFile.key, path: auth.credentialsFile.path }];
    case 'basic':
      return [{ key: auth.passwordFile.key, path: auth.passwordFile.path }];
    case 'none':
      return [];
  }
}
