// The import direction of src/, checked on the source: cli → program → commands → agent → deliver →
// credentials → {collect, buffer, report, remote-write, otlp, transport, identity, config} → kube → the
// shared base (src/base/: model, timers, log, …). Siblings of the middle layer never import
// each other, and nothing imports upwards. A new file outside these folders
// must be placed in LAYERS on purpose.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');

/** Each top-level module of src/ (folder, or file without .ts) and what it may import besides itself. */
// The shared base (src/base/: model, timers, log, bounded and durable files, …) and the ambient types.
const BASE = ['base', 'types'];
const PARTS = [
  'collect',
  'buffer',
  'report',
  'remote-write',
  'otlp',
  'transport',
  'identity',
  'config',
];
const LAYERS: Readonly<Record<string, readonly string[]>> = {
  base: BASE,
  types: BASE,
  // The Kubernetes client (kubeconfig, auth plugins, HTTP, paging): below the collectors that use it.
  kube: BASE,
  // Each part sees only the base (the cluster collectors the Kubernetes client too): what two parts share lives in the base.
  ...Object.fromEntries(PARTS.map((name) => [name, BASE])),
  collect: [...BASE, 'kube'],
  // The credential, pull-secret and TLS file readers, and what a send's headers are made of.
  credentials: [...BASE, 'config', 'identity', 'remote-write', 'transport'],
  // The embedded receiver decodes what remote-write encodes, forwards with the transport, and reads --auth's secret files.
  receiver: [...BASE, 'remote-write', 'transport', 'credentials'],
  // What sending points consists of, and the send itself: for the daemon and the commands alike.
  deliver: [...BASE, ...PARTS, 'credentials'],
  agent: [...BASE, ...PARTS, 'kube', 'credentials', 'deliver'],
  'process-guards': BASE,
  commands: [
    ...BASE,
    ...PARTS,
    'kube',
    'credentials',
    'agent',
    'deliver',
    'receiver',
    'process-guards',
  ],
  program: [...BASE, 'commands', 'config', 'identity', 'process-guards'],
  // The entry: the guards first, then the program.
  cli: ['process-guards', 'program'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function moduleOf(file: string): string {
  const top = path.relative(SRC, file).split(path.sep)[0] as string;
  return top.replace(/\.d\.ts$|\.ts$|\.js$/, '');
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)'(\.{1,2}\/[^']+)'/g;

t.test('every file of src/ belongs to a known layer', async (t) => {
  const unknown = [...new Set(sourceFiles(SRC).map(moduleOf))].filter(
    (name) => LAYERS[name] === undefined,
  );
  t.same(unknown, []);
});

t.test('imports point one way: no module imports a sibling or a layer above it', async (t) => {
  const violations: string[] = [];
  let imports = 0;
  for (const file of sourceFiles(SRC)) {
    const from = moduleOf(file);
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      imports++;
      const target = moduleOf(path.resolve(path.dirname(file), match[1] as string));
      if (target === from) continue;
      if (!(LAYERS[from] ?? []).includes(target))
        violations.push(`${path.relative(SRC, file)} imports ${match[1]} (${from} → ${target})`);
    }
  }
  // The pattern must see the tree's imports, or the test proves nothing.
  t.ok(imports > 200, `${imports} relative imports read`);
  t.same(violations, []);
});

t.test('the rule catches what it should: an upward import is a violation', async (t) => {
  const line = "import { Agent } from '../agent/agent.js';";
  const found = [...line.matchAll(IMPORT)].map((match) =>
    moduleOf(path.resolve(SRC, 'config', match[1] as string)),
  );
  t.same(found, ['agent']);
  t.notOk((LAYERS.config ?? []).includes('agent'));
});

// The release serves each builtin as an ES module of named exports (scripts/package.mjs,
// builtinsThroughRequire): a namespace import would read every name when its chunk loads,
// lazy modules and all. Type-only namespace imports read nothing.
const BUILTIN_NAMESPACE = /^\s*import\s+\*\s+as\s+\w+\s+from\s+'node:[^']+'/gm;

t.test('no namespace import of a builtin', async (t) => {
  const found = sourceFiles(SRC).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(BUILTIN_NAMESPACE)].map(
      (match) => `${path.relative(SRC, file)}: ${match[0].trim()}`,
    ),
  );
  t.same(found, []);
  t.same(
    "import * as util from 'node:util';\nimport type * as fs from 'node:fs';\n".match(
      BUILTIN_NAMESPACE,
    ),
    ["import * as util from 'node:util'"],
    'the pattern sees a value namespace import and passes a type-only one',
  );
});
