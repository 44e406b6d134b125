// How a kubeconfig `exec` credential plugin is run. @kubernetes/client-node
// speaks the ExecCredential protocol well, but runs the command with a plain
// spawn: no deadline (a plugin waiting for a browser login hangs `show` and
// `once` for ever), every byte of stdout and stderr kept (40 MB printed is
// the daemon's heap limit), and stderr put verbatim into its error (plugins
// print `token=…`, `client_secret=…` there). The library takes its spawn
// function as a field (ExecAuth.execFn); this is the one given to it: the
// same call, with a deadline, a cap on stdout, stdin closed, stderr counted
// and never kept, and the whole process group killed when it is over.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';

/** A plugin gets this long; kubectl waits for ever, a daemon cannot. */
export const PLUGIN_TIMEOUT_MS = 30_000;
/** An ExecCredential with a client certificate and key is a few KB. */
export const MAX_PLUGIN_STDOUT_BYTES = 256 * 1024;

export type PluginFailureCode = 'EPLUGINTIMEOUT' | 'EPLUGINOUTPUT' | 'EPLUGINEXIT' | 'EPLUGINSPAWN';

/** Its message is ours: it never holds a byte the plugin printed. */
export class PluginRunError extends Error {
  constructor(
    readonly code: PluginFailureCode,
    message: string,
  ) {
    super(message);
    this.name = 'PluginRunError';
  }
}

export interface PluginLimits {
  readonly timeoutMs: number;
  readonly maxStdoutBytes: number;
}

/** The part of a ChildProcess the library's ExecAuth uses. */
interface PluginProcess extends EventEmitter {
  readonly stdout: EventEmitter & { setEncoding(encoding: string): void };
  readonly stderr: EventEmitter & { setEncoding(encoding: string): void };
}

type SpawnOptions = { readonly env?: NodeJS.ProcessEnv } | undefined;

const stream = () => Object.assign(new EventEmitter(), { setEncoding: () => undefined });

/** A spawn function for ExecAuth.execFn, bounded by `limits`. */
export function boundedPluginSpawn(
  limits: PluginLimits = { timeoutMs: PLUGIN_TIMEOUT_MS, maxStdoutBytes: MAX_PLUGIN_STDOUT_BYTES },
) {
  return (
    command: string,
    args: readonly string[] | undefined,
    options: SpawnOptions,
  ): PluginProcess => {
    const facade: PluginProcess = Object.assign(new EventEmitter(), {
      stdout: stream(),
      stderr: stream(),
    });
    // Its own process group, so a plugin's children die with it.
    const child = spawn(command, args ?? [], {
      env: options?.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderrBytes = 0;
    let over = false;
    const kill = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    // Events after the facade's microtask, as a real child's come: the library attaches its listeners after the call.
    const finish = (error: PluginRunError | undefined) => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      queueMicrotask(() => {
        if (error !== undefined) facade.emit('error', error);
        else facade.stdout.emit('data', Buffer.concat(stdout).toString('utf8'));
        facade.emit('close', error === undefined ? 0 : 1);
      });
    };
    const timer = setTimeout(() => {
      kill();
      finish(
        new PluginRunError(
          'EPLUGINTIMEOUT',
          `did not finish within ${limits.timeoutMs / 1000} s (killed)`,
        ),
      );
    }, limits.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > limits.maxStdoutBytes) {
        kill();
        finish(
          new PluginRunError(
            'EPLUGINOUTPUT',
            `printed more than ${limits.maxStdoutBytes} bytes on stdout (killed)`,
          ),
        );
      } else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderrBytes += chunk.length));
    child.on('error', (error: NodeJS.ErrnoException) =>
      finish(new PluginRunError('EPLUGINSPAWN', `could not be started (${error.code ?? 'error'})`)),
    );
    child.on('close', (code, signal) => {
      if (code === 0) return finish(undefined);
      const said =
        stderrBytes === 0
          ? ''
          : `; its stderr (${stderrBytes} bytes) is not shown, as plugins print credentials there: run the command by hand to read it`;
      finish(
        new PluginRunError(
          'EPLUGINEXIT',
          `exited with ${code === null ? `signal ${signal}` : `status ${code}`}${said}`,
        ),
      );
    });
    return facade;
  };
}
