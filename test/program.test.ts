// The unit's own `run` command lines are read without commander
// (unitRunConfig); commander itself is the oracle: for every command line the
// short path takes, commander's `run` must get the same config file, and the
// short path must leave to commander every line it is not sure of.
import t from 'tap';
import * as commander from 'commander';
import { DEFAULT_CONFIG_FILE } from '../src/config/load.js';
import { buildProgram, unitRunConfig } from '../src/program.js';

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
