// `once` against an endpoint that accepts the connection and never answers:
// it says what happened (not "kept for the next send": there is none) and
// exits 1 after its attempts, each ended by requestTimeout.
import t from 'tap';
import net from 'node:net';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeConfig, TOKEN } from '../helpers/files.js';

t.test(
  'once against a silent endpoint: two attempts, each timed out, exit 1, a clear line',
  async (t) => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.teardown(() => {
      for (const socket of sockets) socket.destroy();
      silent.close();
    });
    const port = (silent.address() as net.AddressInfo).port;
    const config = await writeConfig(await tempDir(), {
      endpoint: `http://127.0.0.1:${port}/metrics/v1/receive`,
      requestTimeout: '300ms',
      retry: { maxAttempts: 2, minDelay: '100ms', maxDelay: '100ms', maxElapsed: '10s' },
      diskPaths: ['/'],
    });
    const result = await runCli(['once', '--config', config], { timeoutMs: 60_000 });
    t.equal(result.code, 1);
    t.equal(
      result.stderr.match(/send attempt failed, retrying/g)?.length,
      1,
      'one retry after the first attempt',
    );
    t.match(
      result.stderr,
      /send failed; nothing more is delivered by this run \(once does not keep samples\) attempts=2 reason="no answer within 300 ms[^"]*" delivered=0 requests=1/,
    );
    t.notMatch(result.stderr, /kept for the next send/);
    t.notMatch(result.stderr, TOKEN);
  },
);
