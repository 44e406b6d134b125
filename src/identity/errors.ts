/** A node-side file the daemon needs is missing or malformed. The message never holds a secret. */
export class IdentityError extends Error {
  constructor(
    readonly code: 'ECLUSTERID' | 'EPULLSECRET',
    message: string,
  ) {
    super(message);
    this.name = 'IdentityError';
  }
}
