// OTLP replies as the official schema writes them (protobufjs over
// opentelemetry-proto, and google.rpc.Status as googleapis defines it), and
// bytes no server should send: read as nothing said, never a throw.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { decodePartialSuccess, statusText } from '../../src/otlp/reply.js';
import { ExportResponse, RpcStatus } from '../helpers/otlp-receiver.js';

const response = (value: object) => ExportResponse.encode(ExportResponse.create(value)).finish();

t.test('partial_success as the schema encodes it', async (t) => {
  t.equal(decodePartialSuccess(response({})), undefined, 'a full success');
  t.same(
    decodePartialSuccess(
      response({ partialSuccess: { rejectedDataPoints: 7, errorMessage: 'too old' } }),
    ),
    { rejectedDataPoints: 7, errorMessage: 'too old' },
  );
  t.same(decodePartialSuccess(response({ partialSuccess: { errorMessage: 'a warning' } })), {
    rejectedDataPoints: 0,
    errorMessage: 'a warning',
  });
  t.equal(
    decodePartialSuccess(response({ partialSuccess: { rejectedDataPoints: -5 } })),
    undefined,
    'a negative count is no count',
  );
});

t.test('google.rpc.Status as text', async (t) => {
  const status = (value: object) => RpcStatus.encode(RpcStatus.create(value)).finish();
  t.equal(statusText(status({ code: 3, message: 'bad metric' })), 'bad metric (code 3)');
  t.equal(statusText(status({ message: 'only a message' })), 'only a message');
  t.equal(statusText(new Uint8Array()), undefined);
});

t.test('garbage never throws', async (t) => {
  for (let i = 0; i < 2000; i++) {
    const bytes = randomBytes(i % 64);
    decodePartialSuccess(bytes);
    statusText(bytes);
  }
  t.equal(
    decodePartialSuccess(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])),
    undefined,
    'a length past the end',
  );
  t.pass('2000 random replies read');
});
