// Which OpenSSL code is which failed check: a table, since the transport's
// classification decides between "retry" and "final, the admin must act".
import t from 'tap';
import { tlsFailure, tlsFilesFailure } from '../../src/transport/tls-options.js';

t.test(
  'verification codes and alerts map to the check they are; anything else is a network error',
  async (t) => {
    const table: [string | undefined, string | undefined][] = [
      ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'untrusted'],
      ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'untrusted'],
      ['DEPTH_ZERO_SELF_SIGNED_CERT', 'untrusted'],
      ['SELF_SIGNED_CERT_IN_CHAIN', 'untrusted'],
      ['ERR_TLS_CERT_ALTNAME_INVALID', 'name'],
      ['CERT_HAS_EXPIRED', 'expired'],
      ['CERT_NOT_YET_VALID', 'not-yet-valid'],
      ['ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'protocol'],
      ['ERR_SSL_WRONG_VERSION_NUMBER', 'protocol'],
      ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'client-certificate'],
      ['ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'client-certificate'],
      ['ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'client-certificate'],
      // OpenSSL 3.5's names for the same alerts (Node 26 reports them so).
      ['ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE', 'client-certificate'],
      ['ERR_SSL_SSL/TLS_ALERT_HANDSHAKE_FAILURE', 'client-certificate'],
      ['ERR_SSL_SSL/TLS_ALERT_CERTIFICATE_UNKNOWN', 'client-certificate'],
      ['ECONNRESET', undefined],
      ['ECONNREFUSED', undefined],
      ['ETIMEDOUT', undefined],
      [undefined, undefined],
    ];
    t.same(
      table.map(([code]) => [code, tlsFailure(code, 'endpoint')?.check]),
      table,
    );
  },
);

t.test(
  'the reason names the check and the code; the hint says what to set, for the endpoint or the proxy',
  async (t) => {
    t.same(tlsFailure('CERT_HAS_EXPIRED', 'endpoint'), {
      kind: 'tls',
      check: 'expired',
      reason: 'TLS with the endpoint failed: certificate expired (CERT_HAS_EXPIRED)',
      hint: "the endpoint's certificate must be renewed (or this node's clock is wrong)",
    });
    t.same(tlsFailure('SELF_SIGNED_CERT_IN_CHAIN', 'proxy'), {
      kind: 'tls',
      check: 'untrusted',
      reason:
        'TLS with the proxy failed: certificate not issued by a trusted CA (SELF_SIGNED_CERT_IN_CHAIN)',
      hint: "the https proxy's CA must be trusted by Node: NODE_EXTRA_CA_CERTS in a unit drop-in (telemetry.tls applies to the endpoint only)",
    });
    t.same(tlsFilesFailure('telemetry.tls.caFile /x: not found'), {
      kind: 'tls',
      check: 'files',
      reason: 'telemetry.tls.caFile /x: not found',
      hint: 'fix the file; the next send reads it again',
    });
  },
);
