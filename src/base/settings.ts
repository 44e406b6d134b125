// The shapes of settings that the config reads and a part uses, defined once
// here in the base: config/ may not import the parts, nor the parts config/.

/** A `group/version/resource` an admin asks to count (telemetry.extraResources). */
export interface ExtraResource {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

/** `telemetry.retry`, as the transport's retry loop takes it. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** Time budget of one send's retries of a request, from its first attempt: no sleep goes past it. */
  readonly maxElapsedMs: number;
}
