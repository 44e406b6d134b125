import { readFileSync } from 'node:fs';

// In the release bundle there is no package.json beside the program:
// scripts/package.mjs writes the version in at build time (esbuild define).
declare const EDGE_TELEMETRY_VERSION: string | undefined;

/** The package version, read once; the User-Agent and --version say it. */
export const AGENT_VERSION: string =
  typeof EDGE_TELEMETRY_VERSION === 'string'
    ? EDGE_TELEMETRY_VERSION
    : (
        JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
          version: string;
        }
      ).version;

export const USER_AGENT = `edge-telemetry/${AGENT_VERSION}`;
