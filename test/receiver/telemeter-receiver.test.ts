// `edge-telemetry receive` enforces what Red Hat's telemeter server enforces
// on /metrics/v1/receive. Real HTTP against the real command.
import t from 'tap';
import { compress } from 'snappyjs';
import { randomBytes } from 'node:crypto';
import { spawnCli } from '../helpers/cli.js';
import { freePort } from '../../scripts/free-port.mjs';
import { encodeWriteRequest } from '../../src/remote-write/encode.js';
import { telemeterBearer } from '../../src/remote-write/headers.js';
import type { Series } from '../../src/base/model.js';

const bearer = `Bearer ${telemeterBearer('token', 'cluster-1')}`;
const series = (labels: [string, string][], samples = 1): Series => ({
  labels: labels.map(([name, value]) => ({ name, value })),
  samples: Array.from({ length: samples }, (_, i) => ({
    value: i + 0.5,
    timestampMs: 1_790_000_000_000 + i,
  })),
});
const good = series([
  ['__name__', 'cluster:cpu_usage_cores:sum'],
  ['_id', 'cluster-1'],
  ['type', 'microshift-rpm'],
]);

/** A valid snappy WriteRequest whose compressed size is exactly `bytes`: an incompressible label value, lengthened until it fits. */
function bodyOfExactly(bytes: number): Uint8Array {
  const noise = randomBytes(bytes).toString('base64');
  let length = bytes - 200;
  for (let tries = 0; tries < 1000; tries++) {
    const body = compress(
      encodeWriteRequest([
        series([
          ['__name__', 'm'],
          ['_id', 'cluster-1'],
          ['noise', noise.slice(0, length)],
        ]),
      ]),
    );
    if (body.length === bytes) return body;
    length += body.length < bytes ? 1 : -1;
  }
  throw new Error(`no body of exactly ${bytes} bytes`);
}

t.test('telemeter checks, one by one', async (t) => {
  const port = await freePort();
  const receiver = spawnCli(['receive', '--listen', `127.0.0.1:${port}`]);
  t.teardown(() => receiver.stop());
  await receiver.waitFor(/receiver listening/);
  const url = `http://127.0.0.1:${port}/metrics/v1/receive`;
  const post = (body: Uint8Array, authorization: string | null = bearer) =>
    fetch(url, {
      method: 'POST',
      body,
      headers: {
        'Content-Encoding': 'snappy',
        'Content-Type': 'application/x-protobuf',
        ...(authorization === null ? {} : { Authorization: authorization }),
      },
    });

  const accepted = await post(compress(encodeWriteRequest([good])));
  t.equal(accepted.status, 200);
  await receiver.waitFor(
    /cluster:cpu_usage_cores:sum\{_id="cluster-1",type="microshift-rpm"\} 0\.5 1790000000000/,
  );

  const cases: [string, Promise<Response>, number, RegExp][] = [
    [
      'no Authorization',
      post(compress(encodeWriteRequest([good])), null),
      400,
      /malformed Authorization/,
    ],
    [
      'not base64 JSON',
      post(compress(encodeWriteRequest([good])), 'Bearer bm90IGpzb24='),
      400,
      /malformed Authorization/,
    ],
    [
      'JSON without cluster_id',
      post(
        compress(encodeWriteRequest([good])),
        `Bearer ${Buffer.from('{"authorization_token":"x"}').toString('base64')}`,
      ),
      400,
      /malformed Authorization/,
    ],
    ['not snappy', post(encodeWriteRequest([good])), 400, /not snappy/],
    [
      'snappy, not protobuf',
      post(compress(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]))),
      400,
      /not a WriteRequest/,
    ],
    [
      'a series without _id',
      post(
        compress(
          encodeWriteRequest([
            good,
            series([
              ['__name__', 'x'],
              ['type', 'microshift-rpm'],
            ]),
          ]),
        ),
      ),
      400,
      /0 _id labels/,
    ],
    [
      'a series with two _id',
      post(
        compress(
          encodeWriteRequest([
            series([
              ['__name__', 'x'],
              ['_id', 'a'],
              ['_id', 'b'],
            ]),
          ]),
        ),
      ),
      400,
      /2 _id labels/,
    ],
    [
      '128 KiB compressed',
      post(new Uint8Array(randomBytes(128 * 1024))),
      413,
      /at or over the 131072-byte limit/,
    ],
    [
      'wrong path',
      fetch(`http://127.0.0.1:${port}/api/v1/write`, { method: 'POST', body: 'x' }),
      404,
      /not found/,
    ],
    ['GET', fetch(url), 405, /method not allowed/],
  ];
  for (const [name, response, status, message] of cases) {
    const answer = await response;
    t.equal(answer.status, status, name);
    t.match(await answer.text(), message, name);
  }
  // The boundary itself: a valid request one byte under the limit is taken, one at the limit is refused.
  t.equal((await post(bodyOfExactly(128 * 1024 - 1))).status, 200, '131071 bytes: accepted');
  t.equal((await post(bodyOfExactly(128 * 1024))).status, 413, '131072 bytes: refused');
  t.equal(
    (await post(compress(encodeWriteRequest([good])))).status,
    200,
    'small bodies still accepted after refusals',
  );
});

t.test(
  'receive --auth: the config a node really has (bearer, basic, none) can be tried against it',
  async (t) => {
    const { runCli } = await import('../helpers/cli.js');
    const { ownTempDir, writeConfig } = await import('../helpers/files.js');
    const { writeFile } = await import('node:fs/promises');
    const path = await import('node:path');
    const dir = await ownTempDir(t);
    await writeFile(path.join(dir, 'token'), 'tenant-token-1\n', { mode: 0o600 });
    await writeFile(path.join(dir, 'wrong'), 'not-it\n', { mode: 0o600 });
    await writeFile(path.join(dir, 'password'), 'pa55\n', { mode: 0o600 });
    // [--auth, the node's auth, the status it gets]
    const cases: [string, Record<string, unknown>, number][] = [
      [
        `bearer:${path.join(dir, 'token')}`,
        { type: 'bearer', credentialsFile: path.join(dir, 'token') },
        200,
      ],
      [
        `bearer:${path.join(dir, 'token')}`,
        { type: 'bearer', credentialsFile: path.join(dir, 'wrong') },
        401,
      ],
      [
        `basic:admin:${path.join(dir, 'password')}`,
        { type: 'basic', username: 'admin', passwordFile: path.join(dir, 'password') },
        200,
      ],
      ['none', { type: 'none' }, 200],
      // The default asks for the Telemetry API's bearer, as the real one does: 400 for any other.
      ['telemeter', { type: 'none' }, 400],
    ];
    for (const [spec, auth, status] of cases) {
      const accepted = status === 200;
      const port = await freePort();
      const receiver = spawnCli([
        'receive',
        '--listen',
        `127.0.0.1:${port}`,
        '--quiet',
        '--auth',
        spec,
      ]);
      await receiver.waitFor(/receiver listening/);
      const receivePath = spec === 'telemeter' ? '/metrics/v1/receive' : '/api/v1/write';
      const config = await writeConfig(path.join(dir, `node-${port}`), {
        endpoint: `http://127.0.0.1:${port}${receivePath}`,
        auth,
      });
      const once = await runCli(['once', '--config', config]);
      t.equal(
        once.code,
        accepted ? 0 : 1,
        `--auth ${spec.replace(dir, '…')} with ${JSON.stringify(auth.type)}: ${accepted ? 'taken' : 'refused'}`,
      );
      if (accepted) t.match(receiver.output().stdout, /# accepted \d+ series/);
      else t.match(once.stderr, new RegExp(`status=${status}`));
      t.equal(await receiver.stop(), 0);
    }
    const bad = await runCli([
      'receive',
      '--listen',
      '127.0.0.1:0',
      '--auth',
      'bearer:/no/such/file',
    ]);
    t.equal(bad.code, 2);
    t.equal(bad.stderr, 'edge-telemetry: --auth bearer:…: /no/such/file: not found\n');
    // A FIFO where the token should be: one line, at once, not a hang.
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    const fifo = await runCli(
      ['receive', '--listen', '127.0.0.1:0', '--auth', `bearer:${path.join(dir, 'fifo')}`],
      { timeoutMs: 20_000 },
    );
    t.equal(fifo.code, 2);
    t.match(
      fifo.stderr,
      /^edge-telemetry: --auth bearer:…: .*fifo: not a regular file \(a FIFO\)\n$/,
    );
  },
);
