import t from 'tap';
import { authSecrets, authorizationHeader } from '../../src/remote-write/authorization.js';

t.test('each auth type makes its header, and names every secret form in it', async (t) => {
  const telemeter = { type: 'telemeter', token: 'tok"en', clusterId: 'c-1' } as const;
  const header = authorizationHeader(telemeter) ?? '';
  t.match(header, /^Bearer [A-Za-z0-9+/=]+$/);
  t.same(JSON.parse(Buffer.from(header.slice('Bearer '.length), 'base64').toString('utf8')), {
    authorization_token: 'tok"en',
    cluster_id: 'c-1',
  });
  t.same(authSecrets(telemeter), ['tok"en', header.slice('Bearer '.length)]);

  t.equal(authorizationHeader({ type: 'bearer', token: 'abc.def' }), 'Bearer abc.def');
  t.same(authSecrets({ type: 'bearer', token: 'abc.def' }), ['abc.def']);

  const basic = { type: 'basic', username: 'tenant-a', password: 'p:ss wörd' } as const;
  t.equal(
    authorizationHeader(basic),
    `Basic ${Buffer.from('tenant-a:p:ss wörd').toString('base64')}`,
  );
  t.same(authSecrets(basic), ['p:ss wörd', Buffer.from('tenant-a:p:ss wörd').toString('base64')]);

  t.equal(authorizationHeader({ type: 'none' }), undefined);
  t.same(authSecrets({ type: 'none' }), []);
});
