// A real VictoriaMetrics (Debian's victoria-metrics, single node) as a
// remote-write receiver under test: /api/v1/write in, /api/v1/export out.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../scripts/free-port.mjs';
import { ensureDebianBinary, waitUntilReady } from './debian.js';
import { tempDir } from './files.js';

const BINARY = '/usr/bin/victoria-metrics';

export interface ExportedSeries {
  readonly metric: Record<string, string>;
  readonly values: number[];
  readonly timestamps: number[];
}

export interface RunningVictoriaMetrics {
  readonly writeUrl: string;
  /** Every stored sample of the series `match` selects, exactly as stored (flushed first). */
  exportSeries(match: string): Promise<ExportedSeries[]>;
  stop(): Promise<void>;
}

export async function startVictoriaMetrics(
  options: { username?: string; password?: string } = {},
): Promise<RunningVictoriaMetrics> {
  ensureDebianBinary(BINARY, 'victoria-metrics');
  const dir = await tempDir('edge-telemetry-vm-');
  const port = await freePort();
  const auth =
    options.username === undefined
      ? []
      : [`-httpAuth.username=${options.username}`, `-httpAuth.password=${options.password ?? ''}`];
  const child: ChildProcess = spawn(
    BINARY,
    [
      `-storageDataPath=${path.join(dir, 'data')}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      '-retentionPeriod=100y',
      '-loggerLevel=ERROR',
      // Without these the newest 30 s of samples are hidden from reads, and a read may be served from cache.
      '-search.latencyOffset=0s',
      '-search.disableCache',
      ...auth,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const headers: Record<string, string> =
    options.username === undefined
      ? {}
      : {
          Authorization: `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`,
        };
  await waitUntilReady(
    'victoria-metrics',
    () =>
      fetch(`${baseUrl}/health`, { headers }).then(
        (response) => response.ok,
        () => false,
      ),
    () => child.exitCode !== null,
    () => log,
  );
  return {
    writeUrl: `${baseUrl}/api/v1/write`,
    async exportSeries(match) {
      // Samples are searchable once the in-memory parts are flushed.
      await fetch(`${baseUrl}/internal/force_flush`, { headers });
      const response = await fetch(
        `${baseUrl}/api/v1/export?match[]=${encodeURIComponent(match)}`,
        { headers },
      );
      if (!response.ok)
        throw new Error(`export failed: HTTP ${response.status} ${await response.text()}`);
      const text = await response.text();
      return text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as ExportedSeries);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
