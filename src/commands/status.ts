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

/** Pure: the lines an admin reads. */
export function formatStatus(status: DaemonStatus, alive: boolean, nowMs: number): string {
  const dropped = Object.entries(status.buffer.dropped).filter(([, count]) => count > 0);
  const lines = [
    `daemon:        ${alive ? `running (pid ${status.pid}, since ${when(status.startedAtMs, nowMs)})` : `not running (last update ${when(status.updatedAtMs, nowMs)})`}`,
    `endpoint:      ${status.endpoint}`,
    `last success:  ${status.lastSuccess === undefined ? 'never' : `${when(status.lastSuccess.atMs, nowMs)}, ${status.lastSuccess.requests} requests, ${status.lastSuccess.samples} samples`}`,
    `last error:    ${status.lastError === undefined ? 'none' : `${when(status.lastError.atMs, nowMs)}: ${status.lastError.reason}`}`,
    `next send:     ${alive ? when(status.nextSendAtMs, nowMs) : 'when the daemon runs'}`,
    `buffered:      ${status.buffer.samples} samples (${status.buffer.kind === 'disk' ? `${status.buffer.bytesOnDisk} bytes on disk` : 'in memory, lost at a restart'})`,
    `oldest sample: ${when(status.buffer.oldestSampleMs, nowMs)}`,
    `dropped:       ${dropped.length === 0 ? 'none' : dropped.map(([reason, count]) => `${count} ${reason}`).join(', ')}`,
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
      return { text: formatStatus(read.status, probe(read.status.pid), nowMs), ok: true };
  }
}
