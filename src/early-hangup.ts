// Imported first by the CLI, so its body runs before any import-heavy module
// is evaluated: from then on a SIGHUP to `run` is caught, never the default
// action (death with status 129, which systemd's Restart=on-failure does not
// treat as a failure to restart from). What Node does before running any of our
// code (its own bootstrap, tens of milliseconds) is out of our reach; the unit
// covers that window. The daemon takes the signal over with takeOverHangups.
// No imports here, on purpose.

let early = 0;
const countEarly = (): void => {
  early++;
};

/** The subcommand in argv (process.argv without node and the script): the first word that is not an option or an option's value. */
export function commandOf(argv: readonly string[]): string | undefined {
  for (let index = 0; index < argv.length; index++) {
    const word = argv[index] as string;
    if (word === '--log-level') index++;
    else if (!word.startsWith('-')) return word;
  }
  return undefined;
}

if (commandOf(process.argv.slice(2)) === 'run') process.on('SIGHUP', countEarly);

/**
 * Installs `handler` for SIGHUP, then removes the early one (in that order, so
 * there is no instant without a handler), and says how many came before.
 */
export function takeOverHangups(handler: () => void): number {
  process.on('SIGHUP', handler);
  process.off('SIGHUP', countEarly);
  const count = early;
  early = 0;
  return count;
}
