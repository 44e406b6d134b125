import t from 'tap';
import { fixtureExport, fixtureRequests } from '../helpers/export-fixture.js';
import { parseExport } from '../../src/remote-write/export-file.js';
import { decodeWriteRequest } from '../../src/receiver/decode.js';

const requests = fixtureRequests;
const file = fixtureExport;

t.test('an export round-trips to the exact request bodies', async (t) => {
  const text = file();
  const lines = text.trimEnd().split('\n');
  t.equal(lines.length, 4, 'header, two requests, end');
  t.same(JSON.parse(lines[0] as string), {
    kind: 'edge-telemetry-export',
    format: 1,
    createdAtMs: 5,
    agent: 'edge-telemetry/0.1.0',
    clusterId: 'c1',
    contentType: 'application/x-protobuf',
    contentEncoding: 'snappy',
    requests: 2,
    samples: 2,
  });
  const parsed = parseExport(text);
  if (!parsed.ok) return t.fail(parsed.reason);
  t.same(
    parsed.requests.map((request) => Buffer.from(request.body).toString('hex')),
    requests.map((request) => Buffer.from(request.body).toString('hex')),
  );
  const decoded = decodeWriteRequest(parsed.requests[1]?.body ?? new Uint8Array(), 1 << 20);
  t.match(decoded, { ok: true, clusterId: 'c1' });
});

t.test('a damaged, cut, edited or foreign file is refused as a whole', async (t) => {
  const text = file();
  const lines = text.trimEnd().split('\n');
  t.same(parseExport('hello\n'), { ok: false, reason: 'not an edge-telemetry export file' });
  t.same(parseExport(lines.slice(0, 3).join('\n')), {
    ok: false,
    reason: 'the file is cut short (no end line)',
  });
  const edited = lines
    .map((line, index) => (index === 2 ? line.replace('"samples":1', '"samples":9') : line))
    .join('\n');
  t.same(parseExport(edited), {
    ok: false,
    reason: 'the file was changed or damaged (checksum mismatch)',
  });
  t.same(parseExport(`${lines[0]?.replace('"format":1', '"format":2') ?? ''}\n`), {
    ok: false,
    reason: 'export format 2 is not one this version reads (1)',
  });
  t.same(
    parseExport([lines[0], lines[1], lines[3]].join('\n')),
    { ok: false, reason: 'the file was changed or damaged (checksum mismatch)' },
    'a request left out',
  );
});
