// The one place a process of ours meets signals: what it must survive from
// outside, and the stop signals (SIGTERM, SIGINT) the commands act on
// (onStopSignals, stopSignal). The guards are installed by the entry
// (src/cli.ts) before any other module of the program is read, so the window
// in which a stray signal still has Node's default action is Node's own
// start-up alone (bench/signal-window.mjs measures it).
// - SIGHUP to `run` is counted here and taken over by the daemon
//   (takeOverHangups): never a death with status 129, which systemd's
//   Restart=on-failure does not restart from.
// - SIGUSR1 would open Node's inspector on 127.0.0.1:9229, unauthenticated,
//   in a root process that holds the pull secret; a listener keeps it shut
//   (the launcher also passes --disable-sigusr1 where Node has it).
// - The other signals whose default action is death and that a stray `kill`
//   can send are logged once each and ignored. SIGQUIT, SIGABRT and the
//   fault signals keep their core dumps; SIGPROF is V8's profiler's.
// - A write to stdout or stderr whose reader went away (journald restarting,
//   `show | head`) is EPIPE: lost, never the end of the process.
// No imports but the base's log format and the timers' limit, on purpose:
// this runs first.
import { formatLine } from './base/log.js';
import { MAX_TIMER_MS } from './base/timers.js';

const IGNORED_SIGNALS = [
  'SIGUSR1',
  'SIGUSR2',
  'SIGALRM',
  'SIGVTALRM',
  'SIGIO',
  'SIGPWR',
  'SIGSTKFLT',
  'SIGXCPU',
] as const;

let early = 0;
const countEarly = (): void => {
  early++;
};

/** The subcommand in argv (process.argv without node and the script): the first word that is not an option or an option's value. */
export function commandOf(argv: readonly string[]): string | undefined {
  for (let index = 0; index < argv.length; index++) {
    const word = argv[index] as string;
    if (word === '--log-level') index++;
    else if (!word.startsWith('-')) return word;
  }
  return undefined;
}

/**
 * Writes that fail because nobody reads any more are dropped; so is anything
 * else a dead log pipe answers. On the stream's first use, not now: Node makes
 * process.stdout and process.stderr when first asked for them, and for the
 * journal's socket that is a net.Socket (node:net, node:stream: about 10 ms
 * of CPU under --lite-mode), which a wake between ticks that logs nothing
 * never needs.
 */
function survivePipeErrors(name: 'stdout' | 'stderr'): void {
  const own = Object.getOwnPropertyDescriptor(process, name);
  if (own?.get === undefined || own.configurable !== true) {
    process[name].on('error', () => undefined);
    return;
  }
  // An object holding Node's own accessor, to read it through.
  const descriptorOwner = Object.defineProperty({}, name, own);
  let guarded: NodeJS.WriteStream | undefined;
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: own.enumerable ?? true,
    get(): NodeJS.WriteStream {
      // Node's own getter, with process as its this: it makes the stream once and keeps it.
      const stream = Reflect.get(descriptorOwner, name, process) as NodeJS.WriteStream;
      if (stream !== guarded) {
        guarded = stream;
        stream.on('error', () => undefined);
      }
      return stream;
    },
  });
}

/** The first of each signal is one line on stderr; repeats say nothing, so a `kill` loop cannot flood the journal. */
function ignoreStraySignals(): void {
  const seen = new Set<string>();
  for (const signal of IGNORED_SIGNALS) {
    process.on(signal, () => {
      if (seen.has(signal)) return;
      seen.add(signal);
      const what = signal === 'SIGUSR1' ? ' (no inspector is opened)' : '';
      process.stderr.write(
        formatLine(
          'warn',
          `received ${signal}: ignored${what}; edge-telemetry acts on SIGHUP (reload), SIGTERM and SIGINT (stop)`,
        ) + '\n',
      );
    });
  }
}

export function installProcessGuards(argv: readonly string[]): void {
  survivePipeErrors('stdout');
  survivePipeErrors('stderr');
  ignoreStraySignals();
  if (commandOf(argv) === 'run') process.on('SIGHUP', countEarly);
}

/** SIGTERM and SIGINT, the two that stop a command: `handler` gets each with its name until the returned function is called. */
export function onStopSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  process.on('SIGTERM', handler).on('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler).off('SIGINT', handler);
  };
}

/** A one-shot command's stop: SIGTERM or SIGINT aborts the returned signal (reason "interrupted"); `release` lets them go. */
export function stopSignal(): { readonly signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const release = onStopSignals(() => controller.abort(new Error('interrupted')));
  return { signal: controller.signal, release };
}

/**
 * Holds the process until the first SIGTERM or SIGINT, then runs `stopping`
 * with it, later stop signals ignored meanwhile. Signal handlers do not keep
 * Node running, and until a stop signal the daemon must never end on its own
 * (exit 0 would not be restarted by the unit), also while telemetry is
 * Disabled by a reload or a reload is between two agents and no other timer
 * is left: one idle timer holds the process until `stopping` has ended.
 */
export async function holdUntilStopped(
  stopping: (signal: NodeJS.Signals) => Promise<void>,
  /** Resolves when the process is to end without a signal (it exits to wait); a signal after that is left unanswered. */
  until: Promise<void> = new Promise<void>(() => undefined),
): Promise<void> {
  const keepAlive = setInterval(() => undefined, MAX_TIMER_MS);
  let release = (): void => undefined;
  try {
    const signal = await new Promise<NodeJS.Signals | undefined>((resolve) => {
      let stopped = false;
      release = onStopSignals((received) => {
        if (stopped) return;
        stopped = true;
        resolve(received);
      });
      void until.then(() => {
        stopped = true;
        resolve(undefined);
      });
    });
    if (signal !== undefined) await stopping(signal);
  } finally {
    release();
    clearInterval(keepAlive);
  }
}

/**
 * Installs `handler` for SIGHUP, then removes the early one (in that order, so
 * there is no instant without a handler), and says how many came before.
 */
export function takeOverHangups(handler: () => void): number {
  process.on('SIGHUP', handler);
  process.off('SIGHUP', countEarly);
  const count = early;
  early = 0;
  return count;
}
