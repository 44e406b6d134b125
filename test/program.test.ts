// The unit's own `run` command lines are read without commander
// (unitRunConfig); commander itself is the oracle: for every command line the
// short path takes, commander's `run` must get the same config file, and the
// short path must leave to commander every line it is not sure of.
import t, { type Test } from 'tap';
import * as commander from 'commander';
import path from 'node:path';
import { DEFAULT_CONFIG_FILE } from '../src/config/load.js';
import { buildProgram, main, unitRunConfig } from '../src/program.js';
import { ownTempDir } from './helpers/files.js';

/** What commander's `run` gets as its config for `args`, or the code of commander's refusal. */
async function commanderRun(args: readonly string[]): Promise<{ config?: string; error?: string }> {
  const program = buildProgram(commander);
  program.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  let config: string | undefined;
  const run = program.commands.find((command) => command.name() === 'run');
  if (run === undefined) throw new Error('no run command');
  run.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  run.action((options: { config: string }) => {
    config = options.config;
  });
  try {
    await program.parseAsync(['node', 'edge-telemetry', ...args]);
    return config === undefined ? { error: 'no run' } : { config };
  } catch (error) {
    return { error: String((error as { code?: unknown }).code) };
  }
}

const shortForms: readonly (readonly [readonly string[], string])[] = [
  [['run'], DEFAULT_CONFIG_FILE],
  [['run', '--config', '/etc/edge-telemetry/telemetry.yaml'], '/etc/edge-telemetry/telemetry.yaml'],
  [['run', '-c', 'relative.yaml'], 'relative.yaml'],
  [['run', '--config=/etc/microshift/config.yaml'], '/etc/microshift/config.yaml'],
  [['run', '--config', 'with space.yaml'], 'with space.yaml'],
  [['run', '--config', 'run'], 'run'],
];

t.test('the unit forms of run: the short path and commander agree', async (t) => {
  for (const [args, expected] of shortForms) {
    t.equal(unitRunConfig(args), expected, `short path: ${args.join(' ')}`);
    t.same(await commanderRun(args), { config: expected }, `commander: ${args.join(' ')}`);
  }
});

t.test('every other command line is left to commander', async (t) => {
  const others: readonly string[][] = [
    [],
    ['once'],
    ['show', '--config', 'x.yaml'],
    ['--log-level', 'debug', 'run'],
    ['run', '--log-level', 'debug'],
    ['run', '--config'],
    ['run', '--config', ''],
    ['run', '--config='],
    ['run', '--config', '-x'],
    ['run', '--config', '--help'],
    ['run', '-c', '-'],
    ['run', '--help'],
    ['run', '--version'],
    ['run', 'extra'],
    ['run', '--config', 'a.yaml', 'extra'],
    ['run', '--config', 'a.yaml', '--config', 'b.yaml'],
    ['run', '--conf', 'a.yaml'],
    ['run', '-c=a.yaml'],
    ['run', '-ca.yaml'],
    ['RUN'],
  ];
  for (const args of others) t.equal(unitRunConfig(args), undefined, args.join(' ') || '(none)');
  // Where commander does run with a config of its own reading, that is why the short path must not guess.
  t.same(await commanderRun(['run', '-ca.yaml']), { config: 'a.yaml' }, 'commander reads -ca.yaml');
  t.same(
    await commanderRun(['run', '--config', 'a.yaml', '--config', 'b.yaml']),
    { config: 'b.yaml' },
    'commander takes the last --config',
  );
  t.same(await commanderRun(['run', 'extra']), { error: 'commander.excessArguments' });
  t.same(await commanderRun(['run', '--config']), { error: 'commander.optionMissingArgument' });
});

t.test("main: the unit's run never loads commander; other lines do", async (t) => {
  const dir = await ownTempDir(t);
  const missing = path.join(dir, 'missing.yaml');
  let loads = 0;
  const loadCommander = async () => {
    loads++;
    return commander;
  };
  const stderr = captureStderr(t);
  // A config that does not exist: run's own path to exit 2, one line, without starting a daemon.
  t.equal(await main(['node', 'edge-telemetry', 'run', '--config', missing], loadCommander), 2);
  t.equal(loads, 0, 'run --config FILE: no commander');
  t.equal(await main(['node', 'edge-telemetry', 'run', `--config=${missing}`], loadCommander), 2);
  t.equal(loads, 0, 'run --config=FILE: no commander');
  t.equal(
    await main(['node', 'edge-telemetry', 'check-config', '--config', missing], loadCommander),
    2,
  );
  t.equal(loads, 1, 'check-config: commander');
  t.equal(
    await main(
      ['node', 'edge-telemetry', '--log-level', 'debug', 'run', '--config', missing],
      loadCommander,
    ),
    2,
  );
  t.equal(loads, 2, '--log-level debug run: commander');
  const lines = stderr().trim().split('\n');
  t.equal(lines.length, 4, 'one line each');
  t.equal(new Set(lines).size, 1, 'the same line whichever way run was read');
  t.match(lines[0], missing);
});

/** What process.stderr is written while `t` runs, swallowed. */
function captureStderr(t: Test): () => string {
  let written = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk: string | Uint8Array) => {
    written += chunk.toString();
    return true;
  };
  t.teardown(() => {
    process.stderr.write = write;
  });
  return () => written;
}
