import { readFileSync } from 'node:fs';

/** The package version, read once; the User-Agent and --version say it. */
export const AGENT_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export const USER_AGENT = `edge-telemetry/${AGENT_VERSION}`;
