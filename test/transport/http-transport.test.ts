// One attempt against real servers on 127.0.0.1: the deadline holds on every
// path (a server or a proxy that accepts and never answers, over http and
// https), a huge error body is read only up to the bound, redirects are not
// followed, Retry-After is read in both forms.
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { createHttpTransport } from '../../src/transport/http-transport.js';
import { MAX_REPLY_READ_BYTES, type SendResult } from '../../src/transport/send-result.js';

/** Accepts TCP connections and never sends a byte. */
async function startSilentServer(t: {
  teardown(fn: () => unknown): void;
}): Promise<{ url: (scheme: string) => string; accepted: () => number }> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as net.AddressInfo;
  return {
    url: (scheme) => `${scheme}://127.0.0.1:${port}/metrics/v1/receive`,
    accepted: () => accepted,
  };
}

async function startHttp(
  t: { teardown(fn: () => unknown): void },
  handler: http.RequestListener,
): Promise<string> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/metrics/v1/receive`;
}

const post = (
  url: string,
  proxy = '',
  timeoutMs = 300,
  signal = new AbortController().signal,
): Promise<SendResult> =>
  createHttpTransport({ url, proxy, timeoutMs }).post(
    new Uint8Array([1, 2, 3]),
    { Authorization: 'Bearer x' },
    signal,
  );

t.test(
  'a server that accepts and never answers: a timeout result, over http and https',
  async (t) => {
    const silent = await startSilentServer(t);
    t.match(await post(silent.url('http')), {
      kind: 'retryable',
      cause: 'timeout',
      reason: 'no answer within 300 ms (waiting for the response)',
    });
    t.match(await post(silent.url('https')), {
      kind: 'retryable',
      cause: 'timeout',
      reason: 'no answer within 300 ms (in the TLS handshake)',
    });
    t.equal(silent.accepted(), 2);
  },
);

t.test(
  'a proxy that accepts and never answers: a timeout result, for http and https endpoints',
  async (t) => {
    const proxy = await startSilentServer(t);
    const proxyUrl = proxy.url('http').replace('/metrics/v1/receive', '');
    // The endpoint is never reached; the proxy is the whole path.
    t.match(await post('https://telemetry.example:443/metrics/v1/receive', proxyUrl), {
      kind: 'retryable',
      cause: 'timeout',
      reason: 'no answer within 300 ms (waiting for the proxy to open the tunnel)',
    });
    t.match(await post('http://telemetry.example/metrics/v1/receive', proxyUrl), {
      kind: 'retryable',
      cause: 'timeout',
      reason: 'no answer within 300 ms (waiting for the response)',
    });
    t.match(
      await post(
        'https://telemetry.example:443/metrics/v1/receive',
        proxyUrl.replace('http:', 'https:'),
      ),
      {
        kind: 'retryable',
        cause: 'timeout',
        reason: 'no answer within 300 ms (in the TLS handshake with the proxy)',
      },
      'an https proxy that never finishes its handshake',
    );
    t.equal(proxy.accepted(), 3);
  },
);

t.test(
  'a proxy that refuses the tunnel: 407 is a configuration matter, 502 may pass',
  async (t) => {
    for (const [status, expected] of [
      [407, { kind: 'configuration', status: 407 }],
      [502, { kind: 'retryable', cause: 'proxy', status: 502 }],
    ] as const) {
      const server = net.createServer((socket) =>
        socket.once('data', () => socket.end(`HTTP/1.1 ${status} No\r\nContent-Length: 0\r\n\r\n`)),
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const proxyUrl = `http://user:pw@127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      t.match(
        await post('https://telemetry.example/metrics/v1/receive', proxyUrl, 5000),
        expected,
        String(status),
      );
      server.close();
    }
  },
);

t.test('the caller aborting ends the attempt as cancelled, not as a failure', async (t) => {
  const silent = await startSilentServer(t);
  const controller = new AbortController();
  const result = post(silent.url('http'), '', 60_000, controller.signal);
  setTimeout(() => controller.abort(), 50);
  t.same(await result, { kind: 'cancelled' });
});

t.test('close() ends the attempts in flight', async (t) => {
  const silent = await startSilentServer(t);
  const transport = createHttpTransport({ url: silent.url('http'), proxy: '', timeoutMs: 60_000 });
  const result = transport.post(new Uint8Array([1]), {}, new AbortController().signal);
  setTimeout(() => transport.close(), 50);
  t.same(await result, { kind: 'cancelled' });
});

t.test('requestTimeout of 720h does not time out at once', async (t) => {
  const url = await startHttp(t, (request, response) => {
    request.resume();
    // Answer after 100 ms: a timer that overflowed to 1 ms would have given up by then.
    setTimeout(() => response.writeHead(204).end(), 100);
  });
  t.same(await post(url, '', 720 * 3_600_000), { kind: 'delivered', status: 204 });
});

t.test('a 10 MB error body: read up to the bound, then the connection is cut', async (t) => {
  let written = 0;
  let cut: () => void = () => {};
  const wasCut = new Promise<void>((resolve) => (cut = resolve));
  const total = 10 * 1024 * 1024;
  const url = await startHttp(t, (request, response) => {
    request.resume();
    response.writeHead(500, { 'Content-Length': String(total) });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const pump = () => {
      while (written < total) {
        written += chunk.length;
        if (!response.write(chunk)) return void response.once('drain', pump);
      }
      response.end();
    };
    response.on('close', cut);
    pump();
  });
  const result = await post(url, '', 30_000);
  t.equal(result.kind, 'retryable');
  const reason = result.kind === 'retryable' ? result.reason : '';
  t.equal(reason, `HTTP 500: ${'x'.repeat(MAX_REPLY_READ_BYTES)}…(cut)`, 'exactly the bound kept');
  await wasCut;
  t.ok(
    written < total,
    `the server could write ${written} of ${total} bytes before the connection was cut`,
  );
});

t.test(
  'a redirect is not followed: the Location is reported, the bearer goes nowhere else',
  async (t) => {
    let elsewhere = 0;
    const target = await startHttp(t, (request, response) => {
      elsewhere++;
      response.writeHead(200).end();
    });
    const url = await startHttp(t, (request, response) => {
      request.resume();
      response.writeHead(307, { Location: target }).end('moved');
    });
    t.same(await post(url), { kind: 'redirect', status: 307, location: target, body: 'moved' });
    t.equal(elsewhere, 0);
  },
);

t.test('Retry-After in seconds and as an HTTP date', async (t) => {
  const seconds = await startHttp(t, (request, response) => {
    request.resume();
    response.writeHead(429, { 'Retry-After': '2' }).end();
  });
  t.match(await post(seconds), {
    kind: 'retryable',
    cause: 'status',
    status: 429,
    retryAfterMs: 2000,
  });
  const date = await startHttp(t, (request, response) => {
    request.resume();
    response
      .writeHead(503, { 'Retry-After': new Date(Date.now() + 3_600_000).toUTCString() })
      .end();
  });
  const result = await post(date);
  const retryAfterMs = result.kind === 'retryable' ? (result.retryAfterMs ?? 0) : 0;
  t.ok(retryAfterMs > 3_500_000 && retryAfterMs <= 3_600_000, `about an hour: ${retryAfterMs} ms`);
});

t.test(
  '200 with a garbage body is delivered; a garbage reply or a reset is a network error',
  async (t) => {
    const garbageBody = await startHttp(t, (request, response) => {
      request.resume();
      response.writeHead(200).end('\u0000\u0001 not protobuf, not text');
    });
    t.same(await post(garbageBody), { kind: 'delivered', status: 200 });
    for (const behaviour of [
      (socket: net.Socket) => socket.end('NOT HTTP AT ALL\r\n\r\n'),
      (socket: net.Socket) => socket.resetAndDestroy(),
    ]) {
      const server = net.createServer((socket) => socket.once('data', () => behaviour(socket)));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      t.match(
        await post(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`, '', 5000),
        { kind: 'retryable', cause: 'network' },
      );
      server.close();
    }
  },
);

t.test('connection refused is a network error', async (t) => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  t.match(await post(`http://127.0.0.1:${port}/`, '', 5000), {
    kind: 'retryable',
    cause: 'network',
    reason: 'network error: ECONNREFUSED',
  });
});
