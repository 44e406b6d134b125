import t from 'tap';
import { compress } from 'snappyjs';
import { describeExport } from '../../src/commands/show-file.js';
import { exportLines } from '../../src/remote-write/export-file.js';
import { encodeWriteRequest } from '../../src/remote-write/encode.js';

const body = (value: number) =>
  compress(encodeWriteRequest([{ labels: [{ name: '__name__', value: 'm' }, { name: '_id', value: 'c1' }, { name: 'type', value: 't' }], samples: [{ value, timestampMs: 1000 + value }] }]));
const requests = [
  { body: body(1), seriesCount: 1, sampleCount: 1 },
  { body: body(2), seriesCount: 1, sampleCount: 1 },
];
const file = () => [...exportLines({ createdAtMs: 5, agent: 'edge-telemetry/0.1.0', clusterId: 'c1' }, requests)].join('\n') + '\n';

t.test('show --file prints what an export holds, and refuses a damaged one', async (t) => {
  const shown = describeExport(file());
  if (!shown.ok) return t.fail(shown.reason);
  t.equal(
    shown.text,
    [
      '# HELP m Collected by edge-telemetry.',
      '# TYPE m gauge',
      'm{_id="c1",type="t"} 1 1001',
      'm{_id="c1",type="t"} 2 1002',
      '',
      '# export of cluster c1 made 1970-01-01T00:00:00.005Z by edge-telemetry/0.1.0',
      '# 2 requests, 2 samples; nothing was sent',
      '',
    ].join('\n'),
  );
  t.same(describeExport(file().replace('"samples":2', '"samples":3')), { ok: false, reason: 'the file was changed or damaged (checksum mismatch)' });
});
