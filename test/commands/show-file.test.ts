import t from 'tap';
import { fixtureExport } from '../helpers/export-fixture.js';
import { describeExport } from '../../src/commands/show-file.js';

const file = fixtureExport;

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
  t.same(describeExport(file().replace('"samples":2', '"samples":3')), {
    ok: false,
    reason: 'the file was changed or damaged (checksum mismatch)',
  });
});
