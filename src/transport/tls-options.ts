// What the transport needs for the TLS handshake with the endpoint, and how a
// failed handshake is told apart from a network error. The transport asks for
// its material at every attempt (a rotated certificate is used at once) and
// never reads a file itself: the agent maps the config onto these types.
import type { SendResult } from './send-result.js';

/** The TLS material of one attempt. Holds key material: never log it, never put it in an error. */
export interface TlsOptions {
  /**
   * Every CA the endpoint's certificate may chain to; undefined: Node's own
   * default (its roots and NODE_EXTRA_CA_CERTS). Node's `ca` replaces the
   * default, so a caller adding a CA passes the default roots too.
   */
  readonly ca?: readonly string[];
  /** Client certificate (PEM, with its chain) and its private key, for a receiver that requires one. */
  readonly clientCertificate?: { readonly cert: string; readonly key: string };
  /** The name sent as SNI and checked against the endpoint's certificate, instead of the URL's host. */
  readonly serverName?: string;
}

/** The material for this attempt, or why it cannot be had (a file gone bad after start). */
export type TlsMaterial =
  | { readonly ok: true; readonly options: TlsOptions }
  | { readonly ok: false; readonly reason: string };

/** Called at every attempt. Never rejects. */
export type TlsSource = () => Promise<TlsMaterial>;

/** Which check a TLS failure is: each needs the admin to change something, so none is retried within a send. */
export type TlsCheck =
  | 'untrusted' // no trusted CA issued the certificate (unknown CA, self-signed)
  | 'name' // the certificate is not for the name connected to (or serverName)
  | 'expired'
  | 'not-yet-valid'
  | 'protocol' // no TLS 1.2 or later on the other side (or no TLS at all)
  | 'client-certificate' // the receiver wants a client certificate, or refused ours
  | 'files'; // our own CA, certificate or key file cannot be used

/** Whose TLS: the endpoint's (telemetry.tls applies) or an https proxy's (Node's roots and NODE_EXTRA_CA_CERTS). */
export type TlsPeer = 'endpoint' | 'proxy';

/** OpenSSL's verification codes and alerts, as Node reports them in `error.code`, by check. */
const CHECK_BY_CODE: Readonly<Record<string, TlsCheck>> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'untrusted',
  UNABLE_TO_GET_ISSUER_CERT: 'untrusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'untrusted',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'untrusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'untrusted',
  CERT_UNTRUSTED: 'untrusted',
  CERT_SIGNATURE_FAILURE: 'untrusted',
  CERT_REJECTED: 'untrusted',
  INVALID_CA: 'untrusted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'name',
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not-yet-valid',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'protocol',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'protocol',
  ERR_SSL_NO_PROTOCOLS_AVAILABLE: 'protocol',
  ERR_SSL_WRONG_VERSION_NUMBER: 'protocol',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'client-certificate',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'client-certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'client-certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: 'client-certificate',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'client-certificate',
  ERR_SSL_TLSV1_ALERT_ACCESS_DENIED: 'client-certificate',
  // TLS 1.2 servers answer a missing client certificate with this generic alert.
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'client-certificate',
};

const WHAT: Readonly<Record<TlsCheck, string>> = {
  untrusted: 'certificate not issued by a trusted CA',
  name: 'certificate not valid for the name',
  expired: 'certificate expired',
  'not-yet-valid': 'certificate not valid yet',
  protocol: 'no TLS 1.2 or later (the minimum; or not TLS at all)',
  'client-certificate': 'the receiver requires a client certificate or refused the one sent',
  files: 'the TLS files cannot be used',
};

const HINTS: Readonly<Record<TlsPeer, Partial<Record<TlsCheck, string>>>> = {
  endpoint: {
    untrusted: "add the CA that issued the endpoint's certificate with telemetry.tls.caFile",
    name: 'set telemetry.endpoint to a name the certificate holds, or telemetry.tls.serverName to the name it was issued for',
    expired: "the endpoint's certificate must be renewed (or this node's clock is wrong)",
    'not-yet-valid':
      "this node's clock is behind, or the endpoint's certificate was issued for later",
    protocol:
      'the endpoint must offer TLS 1.2 or later; check that telemetry.endpoint is an https:// URL of a TLS server',
    'client-certificate':
      'set telemetry.tls.certFile and telemetry.tls.keyFile to a client certificate the receiver trusts (handshake failure can also mean no cipher in common)',
  },
  proxy: {
    untrusted:
      "the https proxy's CA must be trusted by Node: NODE_EXTRA_CA_CERTS in a unit drop-in (telemetry.tls applies to the endpoint only)",
    name: 'check telemetry.proxy: its host is not a name the proxy certificate holds',
  },
};

/**
 * OpenSSL 3.5 (in Node 22, 24 and 26 today; Node 20 has 3.0) names the alerts
 * that OpenSSL 3.0 called "sslv3 alert …" as "ssl/tls alert …" (seen on
 * Node 26 with a receiver that refuses the client certificate), so Node's code for the same
 * alert is ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE instead of
 * ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: both spellings are the same check.
 */
const canonicalCode = (code: string): string =>
  code.replace(/^ERR_SSL_SSL\/TLS_ALERT_/, 'ERR_SSL_SSLV3_ALERT_');

/** A TLS failure as a send result, or undefined when `code` is not a TLS check (then it is a network error). */
export function tlsFailure(
  code: string | undefined,
  peer: TlsPeer,
): Extract<SendResult, { kind: 'tls' }> | undefined {
  const check = code === undefined ? undefined : CHECK_BY_CODE[canonicalCode(code)];
  if (check === undefined) return undefined;
  const hint = HINTS[peer][check] ?? '';
  return {
    kind: 'tls',
    check,
    reason: `TLS with the ${peer} failed: ${WHAT[check]} (${code})`,
    hint,
  };
}

/** Our own files went bad after start: as final as a failed check, samples kept. */
export function tlsFilesFailure(reason: string): Extract<SendResult, { kind: 'tls' }> {
  return {
    kind: 'tls',
    check: 'files',
    reason,
    hint: 'fix the file; the next send reads it again',
  };
}
