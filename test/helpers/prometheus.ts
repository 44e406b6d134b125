// A real Prometheus (Debian's package, 2.42) as the remote-write receiver under test.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from './files.js';
import { ensureDebianBinary, waitUntilReady } from './debian.js';
import { freePort } from '../../scripts/free-port.mjs';

const BINARY = '/usr/bin/prometheus';

export interface RunningPrometheus {
  readonly baseUrl: string;
  readonly writeUrl: string;
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  queryRange(expr: string, startS: number, endS: number, stepS: number): Promise<{ metric: Record<string, string>; values: [number, string][] }[]>;
  stop(): Promise<void>;
}

export async function startPrometheus(): Promise<RunningPrometheus> {
  ensureDebianBinary(BINARY, 'prometheus');
  const dir = await tempDir('edge-telemetry-prometheus-');
  const port = await freePort();
  const configFile = path.join(dir, 'prometheus.yml');
  // Buffered samples are up to sendingInterval old; without an out-of-order
  // window Prometheus rolls back the whole request for one old sample.
  await writeFile(configFile, 'global:\n  scrape_interval: 1h\nstorage:\n  tsdb:\n    out_of_order_time_window: 1d\n');
  const child: ChildProcess = spawn(
    BINARY,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitUntilReady('prometheus', () => fetch(`${baseUrl}/-/ready`).then((response) => response.ok, () => false), () => child.exitCode !== null, () => log);
  const api = async (pathAndQuery: string) => {
    const response = await fetch(`${baseUrl}${pathAndQuery}`);
    const body = (await response.json()) as { status: string; data: { result: unknown } };
    if (body.status !== 'success') throw new Error(`query failed: ${JSON.stringify(body)}`);
    return body.data.result;
  };
  return {
    baseUrl,
    writeUrl: `${baseUrl}/api/v1/write`,
    query: async (expr) => (await api(`/api/v1/query?query=${encodeURIComponent(expr)}`)) as never,
    queryRange: async (expr, startS, endS, stepS) =>
      (await api(`/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${startS}&end=${endS}&step=${stepS}`)) as never,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
