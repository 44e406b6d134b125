// Parses arguments and calls into the rest; src/cli.ts, the entry, runs it
// once the process guards are in place. commander is loaded only for a
// command line other than the unit's own `run` (unitRunConfig): the waiting
// daemon starts Node.js at every wake, and commander's module and command
// tree were a sizeable share of a wake's CPU (docs/footprint.md).
import type { Command } from 'commander';
import { ConfigError } from './config/errors.js';
import { DEFAULT_CONFIG_FILE, loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { redactUrl } from './config/redact.js';
import { IdentityError } from './identity/errors.js';
import { checkClusterIdFile } from './identity/cluster-id.js';
import { LOG_LEVELS, createLogger, type LogLevel, type Logger } from './base/log.js';
import { AGENT_VERSION } from './base/version.js';
import { terminalSafeLine } from './base/terminal-safe.js';
import { stopSignal } from './process-guards.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_CONFIG = 2;
/** --log-level when it is not given, as the unit runs the daemon. */
const DEFAULT_LOG_LEVEL: LogLevel = 'info';

class CliExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

type Commander = typeof import('commander');

function listenParser(commander: Commander) {
  return (value: string): { host: string; port: number } => {
    const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
    const port = Number(match?.[3]);
    if (match === null || !(port >= 0 && port <= 65535))
      throw new commander.InvalidArgumentError('expected HOST:PORT, e.g. 127.0.0.1:9411');
    return { host: match[1] ?? match[2] ?? '127.0.0.1', port };
  };
}

function disabledNotice(log: Logger, config: Config): void {
  log.info(
    `telemetry is disabled (status: Disabled in ${config.setIn.status}); nothing is collected or sent. To enable it set telemetry.status: Enabled and restart or reload edge-telemetry`,
  );
}

function optOutNotice(log: Logger, config: Config): void {
  // Object counts only where cluster metrics are collected (a kubeconfig, or a pod's service account).
  const what =
    config.kubeconfig === ''
      ? 'node usage counts (CPU, memory, disk, versions'
      : 'node and cluster usage counts (CPU, memory, disk, object counts, versions';
  log.info(
    `telemetry enabled: sends ${what}; no names or workload data) ` +
      `to ${redactUrl(config.endpoint)}. See it with 'edge-telemetry show'. To opt out set telemetry.status: Disabled in ${config.file}`,
  );
}

function missingIdLine(config: Config): string {
  return `cluster id file ${config.clusterIdFile} does not exist yet (MicroShift writes it on its first start)`;
}

/** `run`'s action, whichever way the command line was read. */
async function runCommand(configFile: string, log: Logger): Promise<void> {
  const { runDaemon } = await import('./commands/run.js');
  await runDaemon(configFile, log, { disabledNotice, optOutNotice });
}

/**
 * The config file of a command line that is `run` in the unit's own forms,
 * which need no parser: `run`, `run --config FILE`, `run -c FILE`,
 * `run --config=FILE`. Undefined for anything else (another command, another
 * option, a FILE that is empty or starts with "-"), which commander reads.
 * test/program.test.ts checks each form against what commander makes of it.
 */
export function unitRunConfig(args: readonly string[]): string | undefined {
  const [command, option, value, ...rest] = args;
  if (command !== 'run' || rest.length > 0) return undefined;
  if (option === undefined) return DEFAULT_CONFIG_FILE;
  const file =
    value === undefined
      ? option.startsWith('--config=')
        ? option.slice('--config='.length)
        : undefined
      : option === '--config' || option === '-c'
        ? value
        : undefined;
  return file === undefined || file === '' || file.startsWith('-') ? undefined : file;
}

export function buildProgram(commander: Commander): Command {
  const { Command, Option } = commander;
  const program = new Command('edge-telemetry')
    .description(
      'Edge node telemetry: samples host and cluster usage and sends it to the Telemetry API as Prometheus remote-write',
    )
    .version(AGENT_VERSION)
    .addOption(
      new Option('--log-level <level>', 'error, warn, info or debug')
        .choices(LOG_LEVELS)
        .default(DEFAULT_LOG_LEVEL),
    )
    .showHelpAfterError()
    .exitOverride();
  const logger = () => createLogger(program.opts<{ logLevel: LogLevel }>().logLevel);
  const configOption = () =>
    new Option('-c, --config <file>', 'telemetry config file').default(DEFAULT_CONFIG_FILE);

  program
    .command('run')
    .description('run the daemon: sample every samplingInterval, send every sendingInterval')
    .addOption(configOption())
    .action((options: { config: string }) => runCommand(options.config, logger()));

  program
    .command('once')
    .description('collect and send one report now; exit 0 only when every request got a 2xx')
    .addOption(configOption())
    .action(async (options: { config: string }) => {
      const log = logger();
      const config = await loadConfig(options.config);
      if (config.status === 'Disabled') return disabledNotice(log, config);
      if ((await checkClusterIdFile(config.clusterIdFile)) === 'missing') {
        // The daemon would wait for it; a one-shot command cannot.
        process.stderr.write(`edge-telemetry: ${missingIdLine(config)}; nothing sent\n`);
        throw new CliExit(EXIT_FAILED);
      }
      const { sendOnce } = await import('./commands/once.js');
      if (!(await sendOnce(config, log))) throw new CliExit(EXIT_FAILED);
    });

  program
    .command('show')
    .description(
      'print the report that would be sent (Prometheus text format) and the request headers, token redacted; sends nothing',
    )
    .addOption(configOption())
    .option(
      '--file <export>',
      'print what an export file (edge-telemetry export) holds instead; reads no config',
    )
    .action(async (options: { config: string; file?: string }) => {
      if (options.file !== undefined) {
        const { showExportFile } = await import('./commands/show-file.js');
        const shown = await showExportFile(options.file);
        if (!shown.ok) {
          process.stderr.write(`edge-telemetry: ${terminalSafeLine(shown.reason)}\n`);
          throw new CliExit(EXIT_FAILED);
        }
        return void process.stdout.write(shown.text);
      }
      const config = await loadConfig(options.config);
      const { showReport } = await import('./commands/show.js');
      process.stdout.write(await showReport(config, logger()));
    });

  program
    .command('check-config')
    .description('validate the config and print the effective merged config')
    .addOption(configOption())
    .action(async (options: { config: string }) => {
      const config = await loadConfig(options.config);
      // As `run` decides at start: a broken id file or credentials file is exit 2, an id file not there yet is waited for.
      const { checkConfig } = await import('./commands/check-config.js');
      const checked = await checkConfig(config);
      process.stdout.write(checked.stdout);
      if (checked.clusterIdMissing)
        process.stderr.write(
          `edge-telemetry: note: ${missingIdLine(config)}; the daemon waits for it and sends once it appears\n`,
        );
    });

  program
    .command('export')
    .description(
      'write everything buffered plus a fresh snapshot to FILE, ready-to-send requests to carry off an air-gapped node (stop the daemon first)',
    )
    .requiredOption('-o, --output <file>', 'the file to write')
    .option('--remove', 'remove the exported samples from the buffer')
    .addOption(configOption())
    .action(async (options: { config: string; output: string; remove?: boolean }) => {
      const config = await loadConfig(options.config);
      const { exportBacklog } = await import('./commands/export.js');
      const outcome = await exportBacklog(config, logger(), {
        output: options.output,
        remove: options.remove === true,
      });
      if (!outcome.ok) {
        process.stderr.write(`edge-telemetry: ${terminalSafeLine(outcome.reason)}\n`);
        throw new CliExit(EXIT_FAILED);
      }
      process.stdout.write(
        `wrote ${options.output}: ${outcome.requests} requests, ${outcome.samples} samples${options.remove === true ? `; ${outcome.removed} samples removed from the buffer` : '; the samples stay buffered'}\n`,
      );
    });

  program
    .command('upload')
    .description(
      "send an export file's requests to this config's endpoint with this config's credentials (same retries and delivery rules as the daemon)",
    )
    .argument('<file>', 'a file written by edge-telemetry export')
    .addOption(configOption())
    .action(async (file: string, options: { config: string }) => {
      const config = await loadConfig(options.config);
      const { uploadExport } = await import('./commands/upload.js');
      const stop = stopSignal();
      const outcome = await uploadExport(config, file, logger(), stop.signal).finally(() =>
        stop.release(),
      );
      if ('reason' in outcome) {
        process.stderr.write(`edge-telemetry: ${terminalSafeLine(outcome.reason)}\n`);
        throw new CliExit(EXIT_FAILED);
      }
      process.stdout.write(
        `${file}: ${outcome.delivered} requests delivered (${outcome.samples} samples), ${outcome.dropped} refused, ${outcome.notSent} not sent\n`,
      );
      if (!outcome.ok) throw new CliExit(EXIT_FAILED);
    });

  program
    .command('status')
    .description(
      'what the daemon last did: last send, last error, buffered samples, dropped counts, next send (works while it runs)',
    )
    .addOption(configOption())
    .action(async (options: { config: string }) => {
      const { showStatus } = await import('./commands/status.js');
      const result = await showStatus(await loadConfig(options.config));
      process.stdout.write(result.text);
      if (!result.ok) throw new CliExit(EXIT_FAILED);
    });

  program
    .command('receive')
    .description(
      'an embedded receiver enforcing what the Telemetry API enforces on /metrics/v1/receive; prints each accepted series',
    )
    .requiredOption(
      '--listen <host:port>',
      'address to listen on, e.g. 127.0.0.1:9411',
      listenParser(commander),
    )
    .option('--forward <url>', 'relay accepted requests to a Prometheus remote-write URL')
    .option('--quiet', 'do not print accepted series, only a line per request')
    .option(
      '--auth <how>',
      "the Authorization asked for: telemeter (the Telemetry API's), none, bearer:FILE or basic:USER:FILE",
      'telemeter',
    )
    .action(
      async (options: {
        listen: { host: string; port: number };
        forward?: string;
        quiet?: boolean;
        auth: string;
      }) => {
        const { receiverAuth, runReceiver } = await import('./commands/receive.js');
        const auth = await receiverAuth(options.auth);
        if (!auth.ok) {
          process.stderr.write(`edge-telemetry: ${terminalSafeLine(auth.reason)}\n`);
          throw new CliExit(EXIT_CONFIG);
        }
        await runReceiver({
          ...options.listen,
          forwardUrl: options.forward,
          quiet: options.quiet === true,
          auth: auth.auth,
          log: logger(),
        });
      },
    );
  return program;
}

/** `loadCommander`: how commander is loaded, for a command line that needs it (tests count the calls). */
export async function main(
  argv: readonly string[],
  loadCommander: () => Promise<Commander> = () => import('commander'),
): Promise<number> {
  try {
    const unitRun = unitRunConfig(argv.slice(2));
    if (unitRun !== undefined) await runCommand(unitRun, createLogger(DEFAULT_LOG_LEVEL));
    else await buildProgram(await loadCommander()).parseAsync(argv);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CliExit) return error.exitCode;
    if (error instanceof ConfigError || error instanceof IdentityError) {
      process.stderr.write(`edge-telemetry: ${terminalSafeLine(error.message)}\n`);
      return EXIT_CONFIG;
    }
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      const exitCode = (error as { exitCode?: number }).exitCode ?? EXIT_CONFIG;
      return code === 'commander.helpDisplayed' || code === 'commander.version'
        ? EXIT_OK
        : exitCode === 0
          ? EXIT_OK
          : EXIT_CONFIG;
    }
    process.stderr.write(
      `edge-telemetry: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return EXIT_FAILED;
  }
}
