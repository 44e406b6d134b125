// The files a send reads for its credentials, checked as the daemon checks them
// at start and on reload: the endpoint's TLS files, then the credentials or
// password file. A file that cannot be used is a ConfigError (exit 2, one line
// naming the key and the file). run, once, upload and check-config all call
// this one function, so no command can check less or in another order.
import type { Config } from '../config/schema.js';
import { checkAuthFiles } from '../credentials/auth-source.js';
import type { TlsSummary } from '../credentials/tls-material.js';
import { checkTlsFiles } from './tls-check.js';

/** Throws ConfigError; says which CAs and client certificate the endpoint's TLS will use. */
export async function checkSendFiles(config: Config): Promise<TlsSummary> {
  const tls = await checkTlsFiles(config);
  await checkAuthFiles(config);
  return tls;
}
