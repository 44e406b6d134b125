// `edge-telemetry status`: what the daemon last did, read from dataDir/status.json.
import type { Config } from '../config/schema.js';
import { readStatus, type DaemonStatus } from '../agent/status-file.js';
import { terminalSafeLine } from '../base/terminal-safe.js';

export type ProcessProbe = (pid: number) => boolean;

/** Signal 0 checks that the pid exists without touching it; EPERM means it exists too. */
export const processAlive: ProcessProbe = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

function when(ms: number | undefined, nowMs: number): string {
  if (ms === undefined) return 'never';
  const ago = Math.round((nowMs - ms) / 1000);
  const relative = ago >= 0 ? `${formatSeconds(ago)} ago` : `in ${formatSeconds(-ago)}`;
  return `${new Date(ms).toISOString()} (${relative})`;
}

function formatSeconds(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

function droppedText(buffer: DaemonStatus['buffer']): string {
  const dropped = Object.entries(buffer.dropped).filter(([, count]) => count > 0);
  return dropped.length === 0
    ? 'none'
    : dropped.map(([reason, count]) => `${count} ${reason}`).join(', ');
}

function lastSuccessText(entry: Pick<DaemonStatus, 'lastSuccess'>, nowMs: number): string {
  return entry.lastSuccess === undefined
    ? 'never'
    : `${when(entry.lastSuccess.atMs, nowMs)}, ${entry.lastSuccess.requests} requests, ${entry.lastSuccess.samples} samples`;
}

function lastErrorText(entry: Pick<DaemonStatus, 'lastError'>, nowMs: number): string {
  return entry.lastError === undefined
    ? 'none'
    : `${when(entry.lastError.atMs, nowMs)}: ${entry.lastError.reason}`;
}

/** Which process to look for: while Node.js waits exited, the launcher that will start it. */
function pidOf(status: DaemonStatus): number {
  return status.phase === 'waiting' || status.phase === 'disabled'
    ? (status.launcherPid ?? status.pid)
    : status.pid;
}

/** Pure: the lines an admin reads; with several destinations, a block for each. */
export function formatStatus(status: DaemonStatus, alive: boolean, nowMs: number): string {
  const state = !alive
    ? `not running (last update ${when(status.updatedAtMs, nowMs)})${status.phase === 'disabled' ? ', disabled' : ''}`
    : status.phase === 'disabled'
      ? `disabled (telemetry.status: Disabled since ${when(status.updatedAtMs, nowMs)}): nothing is sampled or sent; a reload reads the config again`
      : status.phase === 'waiting'
        ? `waiting, no Node.js resident (launcher pid ${status.launcherPid ?? status.pid}; Node.js starts again ${when(status.wakeAtMs, nowMs)})`
        : `running (pid ${status.pid}, since ${when(status.startedAtMs, nowMs)})`;
  const daemon = `daemon:        ${state}`;
  const next = `next send:     ${status.phase === 'disabled' ? 'none while disabled' : alive ? when(status.nextSendAtMs, nowMs) : 'when the daemon runs'}`;
  const where = (buffer: DaemonStatus['buffer']) =>
    buffer.kind === 'disk' ? `${buffer.bytesOnDisk} bytes on disk` : 'in memory, lost at a restart';
  const destinations = status.destinations ?? [];
  const lines =
    destinations.length <= 1
      ? [
          daemon,
          `endpoint:      ${status.endpoint}`,
          `last success:  ${lastSuccessText(status, nowMs)}`,
          `last error:    ${lastErrorText(status, nowMs)}`,
          next,
          `buffered:      ${status.buffer.samples} samples (${where(status.buffer)})`,
          `oldest sample: ${when(status.buffer.oldestSampleMs, nowMs)}`,
          `dropped:       ${droppedText(status.buffer)}`,
        ]
      : [
          daemon,
          next,
          `buffer:        ${where(status.buffer)}; a sample leaves it once every destination took it`,
          ...destinations.flatMap((entry) => [
            `destination ${entry.name} (${entry.protocol}): ${entry.endpoint}`,
            `  last success:  ${lastSuccessText(entry, nowMs)}`,
            `  last error:    ${lastErrorText(entry, nowMs)}`,
            `  behind:        ${entry.buffer.samples} samples${entry.buffer.samples > 0 ? `, oldest ${when(entry.buffer.oldestSampleMs, nowMs)}` : ''}`,
            `  dropped:       ${droppedText(entry.buffer)}`,
          ]),
        ];
  // Each line is built on one; what came from outside (a reply's reason, the endpoint) is escaped.
  return lines.map(terminalSafeLine).join('\n') + '\n';
}

export async function showStatus(
  config: Config,
  probe: ProcessProbe = processAlive,
  nowMs: number = Date.now(),
): Promise<{ text: string; ok: boolean }> {
  const read = await readStatus(config.dataDir);
  switch (read.kind) {
    case 'missing':
      return {
        text: `no status in ${config.dataDir}: the daemon has not run with this dataDir yet\n`,
        ok: false,
      };
    case 'unreadable':
      return { text: `status unreadable: ${terminalSafeLine(read.reason)}\n`, ok: false };
    case 'ok':
      return { text: formatStatus(read.status, probe(pidOf(read.status)), nowMs), ok: true };
  }
}
