// The files a send reads for its credentials, checked as the daemon checks them
// at start and on reload: each destination's TLS files, then its credentials or
// password file. A file that cannot be used is a ConfigError (exit 2, one line
// naming the key and the file). run, once, upload and check-config all call
// this one function, so no command can check less or in another order.
import { destinationsOf, type Config } from '../config/schema.js';
import { checkAuthFiles } from '../credentials/auth-source.js';
import type { TlsSummary } from '../credentials/tls-material.js';
import { checkTlsFiles } from './tls-check.js';

/** Throws ConfigError; says, for each destination (the primary first), which CAs and client certificate its TLS will use. */
export async function checkSendFiles(config: Config): Promise<TlsSummary[]> {
  const summaries: TlsSummary[] = [];
  for (const destination of destinationsOf(config)) {
    summaries.push(await checkTlsFiles(destination));
    await checkAuthFiles({ ...destination, pullSecretFile: config.pullSecretFile });
  }
  return summaries;
}
