/**
 * A node-side file the daemon needs is missing or malformed. The message is
 * the one line an admin sees and never holds a secret; logic branches on `code`.
 */
export type IdentityErrorCode =
  | 'ECLUSTERID_MISSING' // clusterIdFile does not exist (yet)
  | 'ECLUSTERID_UNREADABLE' // permission, not a regular file, too large, stuck
  | 'ECLUSTERID_EMPTY'
  | 'ECLUSTERID_MALFORMED'
  | 'ECLUSTERID_KEEP' // the generated id cannot be written to dataDir
  | 'EPULLSECRET_MISSING'
  | 'EPULLSECRET_UNREADABLE'
  | 'EPULLSECRET_MALFORMED';

export class IdentityError extends Error {
  constructor(
    readonly code: IdentityErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'IdentityError';
  }
}
