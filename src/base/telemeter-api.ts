// What Red Hat's Telemetry API (openshift/telemeter's receive handler) expects
// of a sender. Shared by the config (default endpoint, request size) and the
// embedded receiver that stands in for it, so neither imports the other.

export const TELEMETRY_RECEIVE_PATH = '/metrics/v1/receive';
export const DEFAULT_ENDPOINT = `https://infogw.api.openshift.com${TELEMETRY_RECEIVE_PATH}`;
/** Red Hat's telemeter server answers 413 at 128 KiB of compressed body. */
export const TELEMETER_BODY_LIMIT_BYTES = 128 * 1024;
