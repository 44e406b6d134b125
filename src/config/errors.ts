/** A configuration the daemon cannot run with. Its message is the one line an admin sees. */
export class ConfigError extends Error {
  readonly code = 'ECONFIG';
  constructor(
    readonly file: string,
    readonly keyPath: string,
    readonly reason: string,
  ) {
    super(keyPath === '' ? `${file}: ${reason}` : `${file}: ${keyPath}: ${reason}`);
    this.name = 'ConfigError';
  }
}
