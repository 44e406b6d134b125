// Text from outside reaches an admin's terminal inert: the escapes, then the
// real path (a receiver's 500 body full of terminal commands, through the
// daemon's log and `status`).
import t from 'tap';
import { terminalSafeLine, terminalSafeLines } from '../../src/base/terminal-safe.js';
import { formatLine } from '../../src/base/log.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { ownTempDir, writeConfig } from '../helpers/files.js';
import { startScriptedReceiver } from '../helpers/scripted-receiver.js';

/** Clear screen, retitle the window, a bell, a carriage return over the line, C1 CSI, a right-to-left override. */
const HOSTILE = 'busy\x1b[2J\x1b]0;pwned\x07\rok\x9b31m\u202eevil';
/** What a terminal obeys: C0 but tab and newline, DEL, C1, bidirectional controls. */
const OBEYED =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

t.test(
  'each control character becomes its escape; text, tab and (where kept) newlines stay',
  async (t) => {
    t.equal(terminalSafeLine(HOSTILE), 'busy\\x1b[2J\\x1b]0;pwned\\x07\\x0dok\\x9b31m\\u202eevil');
    t.equal(terminalSafeLine('a\tb\nc'), 'a\tb\\x0ac');
    t.equal(terminalSafeLines('a\tb\nc\x1b'), 'a\tb\nc\\x1b');
    t.equal(
      terminalSafeLine('naïve ünïcode 集群 €'),
      'naïve ünïcode 集群 €',
      'printable text is untouched',
    );
    const obeyed: string[] = [];
    for (let code = 0; code < 0x2070; code++) {
      const character = String.fromCharCode(code);
      if (character !== '\n' && character !== '\t' && OBEYED.test(terminalSafeLine(character)))
        obeyed.push(code.toString(16));
    }
    t.same(obeyed, [], 'no character up to U+206F comes out as one a terminal obeys');
  },
);

t.test('a log line: message and fields escaped, still one line', async (t) => {
  const line = formatLine('warn', `reply ${HOSTILE}`, {
    body: HOSTILE,
    endpoint: 'https://x/\x1b]8;;http://evil/\x07',
  });
  t.notMatch(line, OBEYED);
  t.equal(line.split('\n').length, 1);
  t.match(line, /\\x1b\[2J/);
});

t.test(
  "a receiver's 500 body full of terminal commands: inert in the daemon's log and in status",
  async (t) => {
    const receiver = await startScriptedReceiver([], { status: 500, body: HOSTILE });
    t.teardown(receiver.close);
    const config = await writeConfig(await ownTempDir(t), {
      endpoint: receiver.url,
      samplingInterval: '1h',
      sendingInterval: '1h',
      retry: { maxAttempts: 2, minDelay: '10ms', maxDelay: '10ms' },
    });
    const daemon = spawnCli(['run', '--config', config]);
    t.teardown(() => daemon.stop('SIGKILL'));
    await daemon.waitFor(/send failed; samples kept/, 60_000);
    const status = await runCli(['status', '--config', config]);
    t.equal(await daemon.stop('SIGTERM'), 0);
    t.match(
      status.stdout,
      /\nlast error: .*HTTP 500: busy\\x1b\[2J\\x1b\]0;pwned\\x07\\x0dok\\x9b31m\\u202eevil/,
    );
    t.notMatch(status.stdout, OBEYED, 'status prints nothing a terminal obeys');
    t.match(daemon.output().stderr, /busy\\(x1b|u001b)\[2J/);
    t.notMatch(daemon.output().stderr.replace(/\n/g, ''), OBEYED, 'nor does the log');
  },
);
