// The supported Node.js lines a bench measures: package.json's engines, or
// those LINES names (e.g. LINES=24 or LINES="22 26"); a line other than the
// running Node's comes from npm's node@<major> (scripts/node-line.sh, cached
// outside the checkout). Shared by bench/footprint.mjs and bench/signal-window.mjs.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);

/** The supported Node.js lines (package.json's engines) to measure, each with its binary (scripts/node-line.sh). */
export async function nodeLines() {
  const script = path.join(repo, 'scripts', 'node-line.sh');
  const all = (await run(script, ['--lines'])).stdout.trim().split('\n');
  const wanted =
    process.env.LINES === undefined
      ? all
      : process.env.LINES.split(/[ ,]+/).filter((major) => major !== '');
  const lines = [];
  for (const major of wanted) {
    if (!all.includes(major))
      throw new Error(`LINES: ${major} is not a supported line (${all.join(', ')})`);
    const binary =
      process.versions.node.split('.')[0] === major
        ? process.execPath
        : (await run(script, [major], { timeout: 600_000 })).stdout.trim();
    const version = (await run(binary, ['--version'])).stdout.trim();
    lines.push({ major, binary, version });
  }
  return lines;
}
