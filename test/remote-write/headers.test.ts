// The request headers: reserved first, configured next, credentials last; and
// what `show` prints of them.
import t from 'tap';
import {
  requestHeaders,
  requestSecrets,
  shownHeaders,
  telemeterBearer,
} from '../../src/remote-write/headers.js';

const EXTRA = [
  { name: 'X-Scope-OrgID', value: 'tenant-a', secret: false },
  { name: 'X-Api-Key', value: 'key-7f3e9c1d', secret: true },
];
const RESERVED = {
  'Content-Encoding': 'snappy',
  'Content-Type': 'application/x-protobuf',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
  'User-Agent': 'edge-telemetry/9.9.9',
};

t.test('every header of a request, for each auth type', async (t) => {
  t.same(
    requestHeaders('edge-telemetry/9.9.9', EXTRA, {
      type: 'basic',
      username: 'tenant-a',
      password: 'pw',
    }),
    {
      ...RESERVED,
      'X-Scope-OrgID': 'tenant-a',
      'X-Api-Key': 'key-7f3e9c1d',
      Authorization: `Basic ${Buffer.from('tenant-a:pw').toString('base64')}`,
    },
  );
  t.same(
    Object.keys(requestHeaders('edge-telemetry/9.9.9', EXTRA, { type: 'bearer', token: 't0k' })),
    [...Object.keys(RESERVED), 'X-Scope-OrgID', 'X-Api-Key', 'Authorization'],
    'in this order',
  );
  t.equal(requestHeaders('a', [], { type: 'bearer', token: 't0k' }).Authorization, 'Bearer t0k');
  t.equal(
    requestHeaders('a', [], { type: 'telemeter', token: 't0k', clusterId: 'c' }).Authorization,
    `Bearer ${telemeterBearer('t0k', 'c')}`,
  );
  t.same(
    requestHeaders('edge-telemetry/9.9.9', [], { type: 'none' }),
    RESERVED,
    'none: no Authorization at all',
  );
});

t.test(
  'the secrets of a request: the credentials and the secret-looking headers, not the tenant',
  async (t) => {
    t.same(requestSecrets(EXTRA, { type: 'bearer', token: 'tok-123456' }), [
      'tok-123456',
      'key-7f3e9c1d',
    ]);
    t.same(requestSecrets(EXTRA, { type: 'basic', username: 'u', password: 'pw-123456' }), [
      'pw-123456',
      Buffer.from('u:pw-123456').toString('base64'),
      'key-7f3e9c1d',
    ]);
    t.same(requestSecrets([], { type: 'none' }), []);
  },
);

t.test('show: the same headers, the scheme kept and every secret redacted', async (t) => {
  t.same(shownHeaders('edge-telemetry/9.9.9', EXTRA, 'basic'), {
    ...RESERVED,
    'X-Scope-OrgID': 'tenant-a',
    'X-Api-Key': '<redacted>',
    Authorization: 'Basic <redacted>',
  });
  t.equal(shownHeaders('a', [], 'bearer').Authorization, 'Bearer <redacted>');
  t.equal(shownHeaders('a', [], 'telemeter').Authorization, 'Bearer <redacted>');
  t.same(shownHeaders('edge-telemetry/9.9.9', [], 'none'), RESERVED);
});
