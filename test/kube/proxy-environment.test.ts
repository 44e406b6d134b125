// NO_PROXY as Go reads it (golang.org/x/net/http/httpproxy, what kubectl and
// client-go use), cases taken from its documented rules, not from our code.
import t from 'tap';
import { proxyForApiServer } from '../../src/kube/proxy-environment.js';

const PROXY = 'http://proxy.corp:3128';

t.test('NO_PROXY entries, Go style', async (t) => {
  const cases: [string, string, boolean][] = [
    // [server, NO_PROXY, proxied?]
    ['https://api.example.com:6443', '', true],
    ['https://api.example.com:6443', 'example.com', false],
    ['https://example.com:6443', 'example.com', false],
    ['https://notexample.com:6443', 'example.com', true],
    ['https://api.example.com:6443', '.example.com', false],
    ['https://example.com:6443', '.example.com', true],
    ['https://api.example.com:6443', '*.example.com', false],
    ['https://api.example.com:6443', '*', false],
    ['https://api.example.com:6443', 'other.org, example.com', false],
    ['https://api.example.com:6443', 'example.com:443', true],
    ['https://api.example.com:6443', 'example.com:6443', false],
    ['https://10.43.0.1:443', '10.43.0.0/16', false],
    ['https://10.44.0.1:443', '10.43.0.0/16', true],
    ['https://10.43.0.1:443', '10.43.0.1', false],
    ['https://[fd00::1]:6443', 'fd00::/8', false],
    ['https://API.Example.COM:6443', 'example.com', false],
    // Go never proxies loopback, whatever NO_PROXY says.
    ['https://127.0.0.1:6443', '', false],
    ['https://localhost:6443', '', false],
    ['https://[::1]:6443', '', false],
  ];
  for (const [server, noProxy, proxied] of cases) {
    t.equal(
      proxyForApiServer(new URL(server), { HTTPS_PROXY: PROXY, NO_PROXY: noProxy }),
      proxied ? PROXY : '',
      `${server} with NO_PROXY=${noProxy}`,
    );
  }
  t.equal(
    proxyForApiServer(new URL('https://api.example.com'), {
      https_proxy: PROXY,
      no_proxy: 'example.com',
    }),
    '',
    'the lower-case forms',
  );
  t.equal(
    proxyForApiServer(new URL('https://api.example.com'), { HTTP_PROXY: PROXY }),
    '',
    'HTTP_PROXY is for http servers only',
  );
});
