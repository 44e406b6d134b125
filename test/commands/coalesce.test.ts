import t from 'tap';
import { coalescing } from '../../src/commands/coalesce.js';
import { commandOf } from '../../src/process-guards.js';

t.test('asked 20 times while it runs: runs once more after, not 20 times', async (t) => {
  let runs = 0;
  let release: () => void = () => {};
  const coalesced = coalescing(
    async () => {
      runs++;
      await new Promise<void>((resolve) => (release = resolve));
    },
    () => {},
  );
  coalesced.request();
  for (let i = 0; i < 20; i++) coalesced.request();
  t.equal(runs, 1);
  release();
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(runs, 2, 'one more for all the asks that came while it ran');
  release();
  await coalesced.idle();
  t.equal(runs, 2);
  coalesced.request();
  release();
  await coalesced.idle();
  t.equal(runs, 3, 'asked again once idle: runs again');
});

t.test('a failing run is reported and does not stop later ones', async (t) => {
  const errors: unknown[] = [];
  let runs = 0;
  const coalesced = coalescing(
    async () => {
      runs++;
      throw new Error('boom');
    },
    (error) => errors.push(error),
  );
  coalesced.request();
  await coalesced.idle();
  coalesced.request();
  await coalesced.idle();
  t.equal(runs, 2);
  t.equal(errors.length, 2);
});

t.test('the subcommand is found past global options', async (t) => {
  t.equal(commandOf(['run', '--config', 'x']), 'run');
  t.equal(commandOf(['--log-level', 'debug', 'run']), 'run');
  t.equal(commandOf(['--log-level=debug', 'run']), 'run');
  t.equal(commandOf(['once', '--config', 'run']), 'once');
  t.equal(commandOf(['--version']), undefined);
});
