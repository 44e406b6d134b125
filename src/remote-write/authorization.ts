// Pure: the Authorization header for each auth type, and every form of the
// secret in it, so that a server's echo can be scrubbed from what we log.

/** Credentials as read for one send; secrets are read from files by the caller, fresh each time. */
export type ResolvedAuth =
  | { readonly type: 'telemeter'; readonly token: string; readonly clusterId: string }
  | { readonly type: 'bearer'; readonly token: string }
  | { readonly type: 'basic'; readonly username: string; readonly password: string }
  | { readonly type: 'none' };

/** Telemeter's bearer: base64 of a JSON object, serialised by JSON.stringify so any character in the token is escaped correctly. */
export function telemeterBearer(token: string, clusterId: string): string {
  return Buffer.from(
    JSON.stringify({ authorization_token: token, cluster_id: clusterId }),
    'utf8',
  ).toString('base64');
}

export function authorizationHeader(auth: ResolvedAuth): string | undefined {
  switch (auth.type) {
    case 'telemeter':
      return `Bearer ${telemeterBearer(auth.token, auth.clusterId)}`;
    case 'bearer':
      return `Bearer ${auth.token}`;
    case 'basic':
      return `Basic ${basicCredentials(auth.username, auth.password)}`;
    case 'none':
      return undefined;
  }
}

function basicCredentials(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
}

/** The secret values a reply could echo back, raw and as they travel. The username is not a secret. */
export function authSecrets(auth: ResolvedAuth): string[] {
  switch (auth.type) {
    case 'telemeter':
      return [auth.token, telemeterBearer(auth.token, auth.clusterId)];
    case 'bearer':
      return [auth.token];
    case 'basic':
      return [auth.password, basicCredentials(auth.username, auth.password)];
    case 'none':
      return [];
  }
}
