// The require() of Node's builtins that the daemon's own modules use: every
// builtin by either name, and for any other name the error require() throws,
// which bundled packages' optional imports depend on.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import { builtinRequire } from '../../src/base/builtin-require.js';

t.test("Node's builtins, by either name", async (t) => {
  t.equal(builtinRequire('node:fs'), fs);
  t.equal(builtinRequire('os'), os);
});

t.test('any other name: MODULE_NOT_FOUND, as require() throws it', async (t) => {
  for (const id of ['bufferutil', './local.js', '/abs/path.js', 'node:no-such-builtin', ''])
    t.throws(() => builtinRequire(id), { code: 'MODULE_NOT_FOUND' }, JSON.stringify(id));
});
