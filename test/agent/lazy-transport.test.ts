// The daemon's transport loads node:http, node:tls and node:net at its first
// post, not at start (a start that only samples must not pay for them); it
// behaves as the transport it wraps, and close() ends a post in every phase,
// the module's loading included. Real servers on 127.0.0.1.
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { lazyTransport } from '../../src/agent/pipeline.js';

async function listen(
  t: { teardown(fn: () => unknown): void },
  server: http.Server | net.Server,
): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        if (server instanceof http.Server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/api/v1/write`;
}

/** Accepts connections and never answers; counts them. */
function silentServer() {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  server.on('close', () => sockets.forEach((socket) => socket.destroy()));
  const close = server.close.bind(server);
  server.close = (callback) => {
    sockets.forEach((socket) => socket.destroy());
    return close(callback);
  };
  return { server, accepted: () => sockets.size };
}

const body = new Uint8Array([1, 2, 3]);
const never = () => new AbortController().signal;

t.test('a post goes out as the wrapped transport sends it, and gets its answer', async (t) => {
  const seen: { method?: string; bytes: number; auth?: string }[] = [];
  const url = await listen(
    t,
    http.createServer((request, response) => {
      let bytes = 0;
      request.on('data', (chunk: Buffer) => (bytes += chunk.length));
      request.on('end', () => {
        seen.push({ method: request.method, bytes, auth: request.headers.authorization });
        response.writeHead(204).end();
      });
    }),
  );
  const transport = lazyTransport({ url, proxy: '', timeoutMs: 5000 });
  t.match(await transport.post(body, { Authorization: 'Bearer x' }, never()), {
    kind: 'delivered',
    status: 204,
  });
  t.match(await transport.post(body, {}, never()), { kind: 'delivered', status: 204 }, 'again');
  t.same(seen, [
    { method: 'POST', bytes: 3, auth: 'Bearer x' },
    { method: 'POST', bytes: 3, auth: undefined },
  ]);
});

t.test(
  'close() right after a post, while the transport module loads: cancelled, nothing sent',
  async (t) => {
    const silent = silentServer();
    const url = await listen(t, silent.server);
    const transport = lazyTransport({ url, proxy: '', timeoutMs: 60_000 });
    const result = transport.post(body, {}, never());
    transport.close();
    t.same(await result, { kind: 'cancelled' });
    t.equal(silent.accepted(), 0, 'no connection was opened');
  },
);

t.test(
  'close() while the attempt waits for the server: cancelled; a later post still goes',
  async (t) => {
    const silent = silentServer();
    const url = await listen(t, silent.server);
    const transport = lazyTransport({ url, proxy: '', timeoutMs: 60_000 });
    const first = transport.post(body, {}, never());
    while (silent.accepted() === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    transport.close();
    t.same(await first, { kind: 'cancelled' });
    const controller = new AbortController();
    const second = transport.post(body, {}, controller.signal);
    while (silent.accepted() < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    t.same(await second, { kind: 'cancelled' }, "the caller's own signal still ends it");
    t.equal(silent.accepted(), 2, 'the later post connected');
  },
);
