// YAML text to data (src/base/yaml-parse.ts), and the release's stand-in that
// compiles the parser for each read and keeps nothing (src/base/yaml-parse-evictable.ts):
// the same answers from a real CommonJS bundle of the parser, built here with
// esbuild as scripts/package.mjs builds it, and in a fresh Node with --expose-gc,
// the parser's heap given back once it is dropped, against keeping it.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { MAX_ALIASES, parseYamlText, type YamlParse } from '../../src/base/yaml-parse.js';
import { loadYamlParser, YamlParserMissingError } from '../../src/base/yaml-parse-evictable.js';
import { launcherFlags } from '../helpers/launcher.js';

const run = promisify(execFile);
const checkout = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const aliasBomb = [
  'a: &a [x, x]',
  ...Array.from({ length: MAX_ALIASES + 1 }, (_, i) => `k${i}: *a`),
].join('\n');
const CASES: readonly { name: string; text: string; prettyErrors: boolean; expected: YamlParse }[] =
  [
    {
      name: 'a mapping',
      text: 'telemetry:\n  status: Enabled\n  n: 3\n',
      prettyErrors: true,
      expected: { ok: true, value: { telemetry: { status: 'Enabled', n: 3 } } },
    },
    {
      name: 'an empty text is null',
      text: '',
      prettyErrors: true,
      expected: { ok: true, value: null },
    },
    {
      name: 'a repeated key, pretty: line and column',
      text: 'telemetry:\n  status: Enabled\n  status: Disabled\n',
      prettyErrors: true,
      expected: {
        ok: false,
        kind: 'syntax',
        code: 'DUPLICATE_KEY',
        message:
          'Map keys must be unique at line 3, column 3:\n\n  status: Enabled\n  status: Disabled\n  ^\n',
        offset: 31,
        line: 3,
        col: 3,
      },
    },
    {
      name: 'a repeated key, plain: the offset only, the line not quoted',
      text: 'a: 1\na: 2\n',
      prettyErrors: false,
      expected: {
        ok: false,
        kind: 'syntax',
        code: 'DUPLICATE_KEY',
        message: 'Map keys must be unique',
        offset: 5,
        line: undefined,
        col: undefined,
      },
    },
    {
      name: 'an alias with no anchor',
      text: 'a: *nowhere\n',
      prettyErrors: false,
      expected: {
        ok: false,
        kind: 'convert',
        message: 'Unresolved alias (the anchor must be set before the alias): nowhere',
      },
    },
    {
      name: `more than ${MAX_ALIASES} aliases`,
      text: aliasBomb,
      prettyErrors: false,
      expected: {
        ok: false,
        kind: 'convert',
        message: 'Excessive alias count indicates a resource exhaustion attack',
      },
    },
  ];

t.test('parseYamlText: values, syntax errors with their place, conversions refused', async (t) => {
  for (const { name, text, prettyErrors, expected } of CASES)
    t.same(parseYamlText(text, { prettyErrors }), expected, name);
});

const work = await mkdtemp(path.join(os.tmpdir(), 'edge-telemetry-yaml-parse-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const bundled = path.join(work, 'yaml-parse.cjs');
await build({
  absWorkingDir: checkout,
  entryPoints: ['src/base/yaml-parse.ts'],
  outfile: bundled,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20.16',
  logLevel: 'warning',
});
const bundledUrl = pathToFileURL(bundled);

t.test('the evictable parser, from the CommonJS bundle, answers as the module does', async (t) => {
  const parser = loadYamlParser(bundledUrl);
  for (const { name, text, prettyErrors, expected } of CASES)
    t.same(parser.parse(text, { prettyErrors }), expected, name);
});

t.test(
  'a missing or foreign parser file is a broken install, said in one line with a code',
  async (t) => {
    const missing = pathToFileURL(path.join(work, 'absent.cjs'));
    t.throws(() => loadYamlParser(missing), {
      code: 'EYAMLPARSER',
      message: `edge-telemetry is not installed whole: ${missing.pathname}: ENOENT; reinstall the release`,
    });
    const foreign = path.join(work, 'foreign.cjs');
    await writeFile(foreign, 'module.exports = { parse() {} };\n');
    const error = t.throws(() => loadYamlParser(pathToFileURL(foreign)));
    t.ok(error instanceof YamlParserMissingError);
    t.match(error, { message: /no openYamlParser in it/ });
  },
);

t.test(
  `in a fresh Node.js ${process.versions.node} with the launcher's flags, a dropped parser leaves nothing; a kept one holds its heap`,
  async (t) => {
    const moduleUrl = pathToFileURL(path.join(checkout, 'src/base/yaml-parse-evictable.ts')).href;
    /** Heap used after full collections, before the parser, and after one read with it kept (or dropped). */
    const measure = async (
      keep: boolean,
    ): Promise<{ base: number; after: number; collected: boolean }> => {
      const script = [
        "const v8 = await import('node:v8');",
        `const { loadYamlParser } = await import(${JSON.stringify(moduleUrl)});`,
        // The read compiles lazily what it runs; V8 flushes unused bytecode over a few full collections.
        'const settle = async () => { for (let i = 0; i < 6; i++) { gc(); await new Promise((resolve) => setTimeout(resolve, 50)); } };',
        'const used = () => v8.getHeapStatistics().used_heap_size;',
        'await settle();',
        'const base = used();',
        `let parser = loadYamlParser(new URL(${JSON.stringify(bundledUrl.href)}));`,
        "parser.parse('telemetry:\\n  status: Enabled\\n  list: [a, b]\\n', { prettyErrors: true });",
        'const ref = new WeakRef(parser);',
        `if (!${String(keep)}) parser = undefined;`,
        'await settle();',
        'process.stdout.write(JSON.stringify({ base, after: used(), collected: ref.deref() === undefined, kept: parser !== undefined }));',
      ].join('\n');
      // The launcher's flags: on Node 22 and later its --no-compilation-cache is what lets the parser go.
      const { stdout } = await run(
        process.execPath,
        [
          ...launcherFlags(),
          '--import',
          '@tapjs/typescript/import',
          '--input-type=module',
          '-e',
          script,
        ],
        {
          cwd: checkout,
          timeout: 60_000,
        },
      );
      return JSON.parse(stdout) as { base: number; after: number; collected: boolean };
    };
    const kept = await measure(true);
    const dropped = await measure(false);
    t.equal(kept.collected, false, 'kept: still there');
    t.equal(dropped.collected, true, 'dropped: collected');
    const keptBytes = kept.after - kept.base;
    const droppedBytes = dropped.after - dropped.base;
    t.ok(keptBytes > 256 * 1024, `kept, the parser holds ${keptBytes} bytes of heap`);
    t.ok(
      droppedBytes < keptBytes / 8,
      `dropped, ${droppedBytes} bytes stay of the ${keptBytes} it held`,
    );
  },
);
