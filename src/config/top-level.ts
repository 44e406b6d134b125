// Pure: what the top level of a config document says about it. Our own file
// holds only `telemetry:`; a MicroShift config holds MicroShift's sections too,
// which are MicroShift's to judge. A near miss of `telemetry` is never either:
// read as "no telemetry: section" it would silently mean status: Enabled.
import { ConfigError } from './errors.js';
import type { JsonObject } from './merge-patch.js';

export const TELEMETRY_SECTION = 'telemetry';

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps each cost 1. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number) => d[i * cols + j] as number;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * `Telemetry`, `telemetri`, `telmetry`, `telemetry ` (the YAML key with a
 * trailing space is another key), and any other name with `telemetry` in it
 * (`edge-telemetry`, `telemetry_settings`): MicroShift has no such section, so
 * it can only be ours misnamed.
 */
export function isNearMissOfTelemetry(key: string): boolean {
  if (key === TELEMETRY_SECTION) return false;
  const lower = key.trim().toLowerCase();
  return lower.includes(TELEMETRY_SECTION) || editDistance(lower, TELEMETRY_SECTION) <= 2;
}

export interface TopLevelCheck {
  /** Where the document came from, for the error line. */
  readonly file: string;
  /** Keys our `telemetry:` section knows: at the top level they were meant to be indented under it. */
  readonly telemetryKeys: readonly string[];
  /** Our own drop-ins (telemetry.d/) may hold only `telemetry:`. */
  readonly onlyTelemetry: boolean;
}

/** Throws ConfigError for a top-level key that is a mistake; returns whether other (MicroShift) sections are present. */
export function checkTopLevel(
  document: JsonObject,
  check: TopLevelCheck,
): { readonly otherSections: boolean } {
  let otherSections = false;
  for (const key of Object.keys(document)) {
    if (key === TELEMETRY_SECTION) continue;
    if (isNearMissOfTelemetry(key))
      throw new ConfigError(check.file, key, `unknown key (did you mean ${TELEMETRY_SECTION}?)`);
    const lower = key.toLowerCase();
    const meant = check.telemetryKeys.find((candidate) => candidate.toLowerCase() === lower);
    if (meant !== undefined) {
      throw new ConfigError(
        check.file,
        key,
        `unknown top-level key (did you mean ${TELEMETRY_SECTION}.${meant}, indented under ${TELEMETRY_SECTION}:?)`,
      );
    }
    if (check.onlyTelemetry) {
      throw new ConfigError(
        check.file,
        key,
        `unknown key (a drop-in in telemetry.d/ holds only ${TELEMETRY_SECTION}:)`,
      );
    }
    otherSections = true;
  }
  return { otherSections };
}
