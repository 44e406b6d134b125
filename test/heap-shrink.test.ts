// The heap shrink: a real full GC under the unit's --expose-gc, nothing without it.
import t from 'tap';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { heapShrink } from '../src/heap-shrink.js';

const run = promisify(execFile);
const moduleUrl = pathToFileURL(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/heap-shrink.ts')).href;

/** In a fresh Node with `flags`: is an object nobody references still there after one heap shrink? */
async function survivesShrink(flags: string[]): Promise<string> {
  const script = [
    `const { heapShrink } = await import(${JSON.stringify(moduleUrl)});`,
    'const shrink = heapShrink();',
    'let ref = new WeakRef({ payload: new Array(1000).fill(1) });',
    // A WeakRef target lives until the current job ends.
    'await new Promise((resolve) => setImmediate(resolve));',
    'shrink();',
    "process.stdout.write(ref.deref() === undefined ? 'collected' : 'alive');",
  ].join('\n');
  const { stdout } = await run(process.execPath, [...flags, '--import', '@tapjs/typescript/import', '--input-type=module', '-e', script], { timeout: 60_000 });
  return stdout;
}

t.test('with --expose-gc (as the unit starts Node) it collects what nothing references', async (t) => {
  t.equal(await survivesShrink(['--expose-gc']), 'collected');
});

t.test('without --expose-gc it does nothing, and there is no gc to call', async (t) => {
  t.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'tap runs this file without --expose-gc');
  t.equal(await survivesShrink([]), 'alive');
});

t.test('it calls the gc Node exposes, once per call, and only that', async (t) => {
  let calls = 0;
  (globalThis as { gc?: unknown }).gc = () => calls++;
  t.teardown(() => delete (globalThis as { gc?: unknown }).gc);
  const shrink = heapShrink();
  shrink();
  shrink();
  t.equal(calls, 2);
});
