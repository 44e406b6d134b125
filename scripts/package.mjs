// npm run package [-- --out DIR] [-- --single-file]
//
// Builds the release every install path uses (README "Install"):
//   DIR/edge-telemetry-<version>/{install.sh, uninstall.sh, edge-telemetry.spec, root/…}
//   DIR/edge-telemetry-<version>.tar.gz of that directory
// root/ mirrors the node's filesystem. The program is one esbuild bundle of
// src/cli.ts with every runtime dependency inside, run by the system's Node, so
// a node needs no node_modules. Modules loaded with import() (the Kubernetes
// client, the commands) go into on-demand chunks beside it, loaded only when
// used; --single-file puts everything in one file instead (to measure the two).
// DIR defaults to ./release. Earlier releases in DIR (edge-telemetry-*) are
// removed; nothing else there is touched.
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import {
  chmod,
  copyFile,
  cp,
  mkdir,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import { builtinModules, createRequire } from 'node:module';
import { build } from 'esbuild';

const source = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: { out: { type: 'string' }, 'single-file': { type: 'boolean' } },
});

/** The paths inside root/, as the contract names them. */
const LAYOUT = {
  libDir: 'usr/local/lib/edge-telemetry',
  bundle: 'usr/local/lib/edge-telemetry/edge-telemetry.mjs',
  /** packaging/launcher.sh: picks the node's Node.js and its line's V8 flags, then execs the bundle. */
  launcher: 'usr/local/lib/edge-telemetry/edge-telemetry',
  link: 'usr/local/bin/edge-telemetry',
  linkTarget: '../lib/edge-telemetry/edge-telemetry',
  unit: 'etc/systemd/system/edge-telemetry.service',
  config: 'etc/edge-telemetry/telemetry.yaml',
  dropInDir: 'etc/edge-telemetry/telemetry.d',
  docDir: 'usr/local/share/doc/edge-telemetry',
};

const fail = (message) => {
  process.stderr.write(`package: ${message}\n`);
  process.exit(1);
};

const { version } = JSON.parse(await readFile(path.join(source, 'package.json'), 'utf8'));
const spec = await readFile(path.join(source, 'packaging', 'edge-telemetry.spec'), 'utf8');
const specVersion = /^Version:\s*(\S+)\s*$/m.exec(spec)?.[1];
if (specVersion !== version)
  fail(
    `packaging/edge-telemetry.spec says Version: ${specVersion}, package.json says ${version}; make them equal`,
  );

const outDir = path.resolve(args.out ?? path.join(source, 'release'));
const name = `edge-telemetry-${version}`;
const releaseDir = path.join(outDir, name);
const tarball = path.join(outDir, `${name}.tar.gz`);
const root = path.join(releaseDir, 'root');
// Only this release in DIR: README's ./release/edge-telemetry-*/install.sh
// must not find an older version's beside it.
await mkdir(outDir, { recursive: true });
for (const entry of await readdir(outDir)) {
  if (/^edge-telemetry-\d[^/]*?(\.tar\.gz)?$/.test(entry))
    await rm(path.join(outDir, entry), { recursive: true, force: true });
}
await mkdir(path.join(root, LAYOUT.libDir), { recursive: true });

// The .proto texts the receiver decodes with; the bundle has no proto/ beside it.
const protoDir = path.join(source, 'proto');
const protoTexts = {};
for (const file of (await readdir(protoDir)).filter((entry) => entry.endsWith('.proto')).sort()) {
  protoTexts[file] = await readFile(path.join(protoDir, file), 'utf8');
}

const splitting = args['single-file'] !== true;
// The YAML parser is not part of the program's module graph: yaml-parse.ts and
// the yaml package are bundled on their own, as CommonJS, and the program is
// built with src/base/yaml-parse-evictable.ts in their place, which compiles that
// file for each read and drops it (its header says why).
const YAML_PARSER = path.join(source, 'src', 'base', 'yaml-parse.ts');
const YAML_PARSER_EVICTABLE = path.join(source, 'src', 'base', 'yaml-parse-evictable.ts');
const EVICTABLE_PARSER_FILE = 'yaml-parse.cjs';
const yamlParser = await build({
  absWorkingDir: source,
  entryPoints: ['src/base/yaml-parse.ts'],
  outfile: path.join(root, LAYOUT.libDir, EVICTABLE_PARSER_FILE),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20.16',
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});
const swapYamlParser = {
  name: 'evictable-yaml-parser',
  setup(plugin) {
    plugin.onResolve({ filter: /(^|\/)yaml-parse\.js$/ }, (args) =>
      path.resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts')) === YAML_PARSER
        ? { path: YAML_PARSER_EVICTABLE }
        : undefined,
    );
  },
};
/** Every bundle file's first line: its require(), of Node's builtins alone. */
const BUILTIN_REQUIRE_BANNER =
  "const require = (id) => { const builtin = process.getBuiltinModule(id); if (builtin === undefined) throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' }); return builtin; };";

const result = await build({
  absWorkingDir: source,
  entryPoints: { 'edge-telemetry': 'src/cli.ts' },
  outdir: path.join(root, LAYOUT.libDir),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting,
  chunkNames: 'chunk-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20.16',
  // CommonJS dependencies call require() for Node's built-in modules; an ES
  // module has no require, so each output file makes its own, which serves
  // only those: src/base/builtin-require.ts's function, in one line (why
  // process.getBuiltinModule, and why it throws for any other name, is
  // there; -0.0 to -0.4 MB resident on 20 to 26 against node:module's
  // createRequire, docs/footprint.md).
  banner: { js: BUILTIN_REQUIRE_BANNER },
  define: {
    EDGE_TELEMETRY_VERSION: JSON.stringify(version),
    EDGE_TELEMETRY_BUNDLED_PROTO: JSON.stringify(protoTexts),
  },
  minifySyntax: true,
  minifyWhitespace: true,
  // Licence texts go to THIRD-PARTY-LICENSES in the docs, whole, not as comments.
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  plugins: [
    swapYamlParser,
    deferredBuiltin('commander', 'child_process'),
    builtinsThroughRequire(builtinModules),
  ],
});

/**
 * `import … from 'node:X'` in an ES module makes Node build the builtin's ESM
 * facade, which reads every export once, getters included. node:http's lazy
 * `WebSocket` (Node 22 on) then loads all of Node's bundled undici: 11-12 MB
 * of RSS for the daemon's whole life on Node 24 and 26, and on Node 22 under
 * the launcher's --lite-mode (no WebAssembly) a crash at start, since undici
 * compiles its HTTP parser to WebAssembly as it loads. And every facade costs
 * CPU at every start: the ESM loader's builtin translation was 17 ms of the
 * ~155 ms a wake between ticks spends under --lite-mode on Node 20 (a
 * --cpu-prof of one wake). So every static import of a builtin is served by
 * require() instead (the banner's), which builds no facade. Dynamic import()
 * of a builtin is refused below: esbuild's namespace for it would hold only a
 * default, and it would build a facade.
 */
/**
 * commander requires node:child_process as it loads, for executable
 * subcommands, which edge-telemetry has none of; with it come node:net and
 * node:dgram: about 8 ms of CPU at every start under --lite-mode, and the
 * daemon starts again at every wake between ticks. For `dependency` alone,
 * `name` is served by an object that requires the builtin at its first use.
 */
function deferredBuiltin(dependency, name) {
  const importer = `${path.sep}node_modules${path.sep}${dependency}${path.sep}`;
  return {
    name: `deferred-${name}-for-${dependency}`,
    setup(builder) {
      builder.onResolve({ filter: new RegExp(`^(node:)?${name}$`) }, (resolved) =>
        resolved.importer.includes(importer)
          ? { path: name, namespace: 'deferred-builtin' }
          : undefined,
      );
      builder.onLoad({ filter: /.*/, namespace: 'deferred-builtin' }, (loaded) => ({
        contents: `let loaded; const builtin = () => (loaded ??= require(${JSON.stringify(`node:${loaded.path}`)}));
module.exports = new Proxy({}, { get: (_, key) => builtin()[key], has: (_, key) => key in builtin() });`,
        loader: 'js',
      }));
    },
  };
}

/**
 * Each builtin is served as an ES module of its own: `export default` the
 * builtin, and one named export per name the builtin has on the Node.js that
 * builds the release, each read from the builtin by a pure call, so that
 * esbuild keeps only the names the code imports. Not as a CommonJS module
 * (`module.exports = require(...)`): an ES module's import of one goes through
 * esbuild's __toESM, which reads every own property's descriptor of the
 * builtin, once per chunk that imports it. On Node 22 and later that is what
 * loaded a builtin's lazy properties: node:util's `diff` (node:assert's diff,
 * whose colours open process.stderr, and with it node:net when stderr is a
 * pipe, as the journal's is), `parseArgs` and `setTraceSigInt`
 * (node:worker_threads), node:fs's `Dir`: modules the daemon never uses,
 * loaded at every start and kept. A named import is the builtin's value when
 * its chunk loads, so a name that is an accessor (a lazy module, a stream made
 * at first read such as process.stderr, a setting such as
 * EventEmitter.defaultMaxListeners) is not exported: the code reads those
 * through the default import, when it needs them. A name the code imports
 * that is not exported, or that this Node.js lacks, fails the build (esbuild:
 * no matching export). A namespace import (`import * as`) would read every
 * name at once; test/architecture.test.ts refuses one.
 */
function builtinsThroughRequire(names) {
  const escaped = names.map((name) => name.replace(/[/.]/g, '\\$&'));
  const filter = new RegExp(`^(node:)?(${escaped.join('|')})$`);
  const buildRequire = createRequire(import.meta.url);
  return {
    name: 'builtins-through-require',
    setup(builder) {
      builder.onResolve({ filter }, (resolved) =>
        resolved.namespace === 'builtin-require' || resolved.kind !== 'import-statement'
          ? undefined
          : { path: resolved.path.replace(/^node:/, ''), namespace: 'builtin-require' },
      );
      builder.onLoad({ filter: /.*/, namespace: 'builtin-require' }, (loaded) => {
        const specifier = JSON.stringify(`node:${loaded.path}`);
        const builtin = buildRequire(`node:${loaded.path}`);
        const exported = Object.getOwnPropertyNames(builtin).filter(
          (name) =>
            name !== 'default' &&
            /^[A-Za-z_$][\w$]*$/.test(name) &&
            Object.getOwnPropertyDescriptor(builtin, name)?.get === undefined,
        );
        return {
          contents: [
            `const builtin = require(${specifier});`,
            'const read = (name) => builtin[name];',
            'export default builtin;',
            ...exported.map(
              (name, index) => `const v${index} = /* @__PURE__ */ read(${JSON.stringify(name)});`,
            ),
            `export { ${exported.map((name, index) => `v${index} as ${name}`).join(', ')} };`,
          ].join('\n'),
          loader: 'js',
        };
      });
    },
  };
}
const builtinNames = new Set(builtinModules);
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  const facades = output.imports.filter(
    (entry) =>
      entry.external &&
      entry.kind !== 'require-call' &&
      builtinNames.has(entry.path.replace(/^node:/, '')),
  );
  if (facades.length > 0)
    fail(
      `${path.basename(file)} imports ${facades.map((entry) => `${entry.path} (${entry.kind})`).join(', ')} as an ES module: its ESM facade costs every start, and node:http's loads undici; import builtins statically (served by require())`,
    );
}

// Anything left outside the bundle must be part of Node itself: the node has
// no node_modules. Optional peers that the code only tries in a try/catch
// (ws' native speed-ups, node-fetch's charset converter) stay out on purpose
// and fall back when absent.
const OPTIONAL_MISSING = new Set(['bufferutil', 'utf-8-validate', 'encoding']);
const builtin = builtinNames;
const outsiders = new Set();
for (const output of Object.values(result.metafile.outputs)) {
  for (const entry of output.imports) {
    if (!entry.external) continue;
    const bare = entry.path.replace(/^node:/, '');
    if (!builtin.has(bare) && !builtin.has(bare.split('/')[0]) && !OPTIONAL_MISSING.has(entry.path))
      outsiders.add(entry.path);
  }
}
if (outsiders.size > 0)
  fail(`left outside the bundle, and no node has them: ${[...outsiders].join(', ')}`);

// The daemon must not load the YAML parser with its code (see yaml-parse-evictable.ts):
// no file that `run` loads, from the entry through every import after it,
// may hold the yaml package or src/base/yaml-parse.ts. One file (--single-file)
// holds everything, check-config's YAML writer included, so this is for
// the split release only.
if (splitting) {
  const outputs = result.metafile.outputs;
  const loadedByRun = new Set();
  // The entry imports the program, which imports each command's chunk
  // dynamically: from those two only what they import statically (and the
  // program itself), from run's chunk on everything.
  const dispatchers = ['src/cli.ts', 'src/program.ts'];
  const pending = Object.keys(outputs).filter((file) =>
    [...dispatchers, 'src/commands/run.ts'].includes(outputs[file].entryPoint ?? ''),
  );
  while (pending.length > 0) {
    const file = pending.pop();
    if (loadedByRun.has(file)) continue;
    loadedByRun.add(file);
    for (const entry of outputs[file].imports) {
      if (
        !entry.external &&
        (entry.kind === 'import-statement' || !dispatchers.includes(outputs[file].entryPoint ?? ''))
      )
        pending.push(entry.path);
    }
  }
  const withYaml = [...loadedByRun].filter((file) =>
    Object.keys(outputs[file].inputs).some(
      (input) => input.startsWith('node_modules/yaml/') || input === 'src/base/yaml-parse.ts',
    ),
  );
  if (withYaml.length > 0)
    fail(
      `the daemon would load the YAML parser with its code, in ${withYaml.map((file) => path.basename(file)).join(', ')}: import YAML only through src/base/yaml-parse.ts`,
    );
  if (loadedByRun.size < 2)
    fail('found no chunk for src/commands/run.ts: the check above checked nothing');
}

const bundlePath = path.join(root, LAYOUT.bundle);
const bundleText = await readFile(bundlePath, 'utf8');
if (!bundleText.startsWith('#!/usr/bin/env node\n'))
  fail('the bundle does not start with #!/usr/bin/env node');
await chmod(bundlePath, 0o755);
const chunks = (await readdir(path.join(root, LAYOUT.libDir))).filter((file) =>
  file.startsWith('chunk-'),
);
for (const chunk of chunks) await chmod(path.join(root, LAYOUT.libDir, chunk), 0o644);

await copyFile(path.join(source, 'packaging', 'launcher.sh'), path.join(root, LAYOUT.launcher));
await mkdir(path.dirname(path.join(root, LAYOUT.link)), { recursive: true });
await symlink(LAYOUT.linkTarget, path.join(root, LAYOUT.link));

/** Copies a file of the checkout into root/ with an exact mode. */
const place = async (from, to, mode) => {
  const target = path.join(root, to);
  await mkdir(path.dirname(target), { recursive: true });
  await copyFile(path.join(source, from), target);
  await chmod(target, mode);
};
await place('systemd/edge-telemetry.service', LAYOUT.unit, 0o644);
// 0600: the daemon (root) is its only reader, and a proxy URL with a password
// is a secret that may end up in it.
await place('config/telemetry.yaml', LAYOUT.config, 0o600);
await mkdir(path.join(root, LAYOUT.dropInDir), { recursive: true });
await place('README.md', `${LAYOUT.docDir}/README.md`, 0o644);
await place('telemetry.example.yaml', `${LAYOUT.docDir}/telemetry.example.yaml`, 0o644);
await place('config/rbac.yaml', `${LAYOUT.docDir}/rbac.yaml`, 0o644);
await cp(path.join(source, 'docs'), path.join(root, LAYOUT.docDir, 'docs'), { recursive: true });
const thirdParty = await thirdPartyLicenses({
  inputs: { ...result.metafile.inputs, ...yamlParser.metafile.inputs },
});
await writeFile(path.join(root, LAYOUT.docDir, 'THIRD-PARTY-LICENSES'), thirdParty.text);
// The RPM's License: tag must name every licence the bundle carries.
const specLicences = new Set(
  (/^License:\s*(.+)$/m.exec(spec)?.[1] ?? '').split(/\s+AND\s+/).map((id) => id.trim()),
);
const unnamed = [...thirdParty.licences].filter((id) => !specLicences.has(id));
if (unnamed.length > 0)
  fail(
    `packaging/edge-telemetry.spec's License: does not name ${unnamed.join(', ')}, which the bundle carries`,
  );

await copyFile(path.join(source, 'packaging', 'install.sh'), path.join(releaseDir, 'install.sh'));
await copyFile(
  path.join(source, 'packaging', 'uninstall.sh'),
  path.join(releaseDir, 'uninstall.sh'),
);
await copyFile(
  path.join(source, 'packaging', 'edge-telemetry.spec'),
  path.join(releaseDir, 'edge-telemetry.spec'),
);
await normaliseModes(releaseDir);
await chmod(path.join(releaseDir, 'install.sh'), 0o755);
await chmod(path.join(releaseDir, 'uninstall.sh'), 0o755);
await chmod(bundlePath, 0o755);
await chmod(path.join(root, LAYOUT.launcher), 0o755);
await chmod(path.join(root, LAYOUT.config), 0o600);

await writeTarball();

const bundleBytes = (await stat(bundlePath)).size;
let chunkBytes = 0;
for (const chunk of chunks) chunkBytes += (await stat(path.join(root, LAYOUT.libDir, chunk))).size;
const release = await treeSize(releaseDir);
const mb = (bytes) => `${(bytes / 1e6).toFixed(2)} MB`;
console.log(
  `bundle   ${path.relative(process.cwd(), bundlePath)}  ${mb(bundleBytes)}` +
    (chunks.length > 0
      ? ` (+ ${chunks.length} on-demand chunks beside it, ${mb(chunkBytes)})`
      : ' (single file)'),
);
console.log(
  `release  ${path.relative(process.cwd(), releaseDir)}/  ${mb(release.bytes)} in ${release.files} files`,
);
console.log(`tarball  ${path.relative(process.cwd(), tarball)}  ${mb((await stat(tarball)).size)}`);

/** Directories 0755, files 0644 unless set otherwise after: the umask of whoever builds must not leak into the release. */
async function normaliseModes(dir) {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await normaliseModes(full);
    else if (entry.isFile()) await chmod(full, 0o644);
  }
}

async function treeSize(dir) {
  let bytes = 0;
  let files = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    bytes += (await stat(path.join(entry.parentPath ?? entry.path, entry.name))).size;
    files++;
  }
  return { bytes, files };
}

/** The licence of every package whose code is in the bundle, whole: MIT and the like ask that it travel with the code. */
async function thirdPartyLicenses(metafile) {
  const packages = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
    if (match !== null) packages.set(match[1], match[2]);
  }
  const sections = [];
  const licences = new Set(['Apache-2.0']);
  for (const [dir, packageName] of [...packages].sort((a, b) => a[1].localeCompare(b[1]))) {
    const manifest = JSON.parse(await readFile(path.join(source, dir, 'package.json'), 'utf8'));
    const licenceFile = (await readdir(path.join(source, dir))).find((file) =>
      /^(licen[cs]e|copying)(\.|$)/i.test(file),
    );
    const text =
      licenceFile === undefined
        ? '(no licence file in the package)'
        : (await readFile(path.join(source, dir, licenceFile), 'utf8')).trim();
    const licence = typeof manifest.license === 'string' ? manifest.license : 'see text';
    licences.add(licence);
    sections.push(`${packageName} ${manifest.version} (${licence})\n\n${text}\n`);
  }
  const unique = [...new Set(sections)];
  return {
    licences,
    text: `Third-party code bundled in /${LAYOUT.bundle} and its chunks:\n\n${unique.join(`\n${'-'.repeat(72)}\n\n`)}`,
  };
}

/** tar of the release directory, owned by root, sorted, with the last commit's time: the same tree gives the same bytes. */
async function writeTarball() {
  let epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch === undefined) {
    try {
      epoch = execFileSync('git', ['log', '-1', '--format=%ct'], {
        cwd: source,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      epoch = '0';
    }
  }
  const tar = spawn(
    'tar',
    [
      '-C',
      outDir,
      '--sort=name',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      `--mtime=@${epoch || '0'}`,
      '-cf',
      '-',
      name,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise((resolve) => tar.once('close', resolve));
  await pipeline(tar.stdout, createGzip({ level: 9 }), createWriteStream(tarball));
  const code = await exited;
  if (code !== 0) fail(`tar exited with ${code}`);
}
