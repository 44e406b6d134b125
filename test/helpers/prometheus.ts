// A real Prometheus (Debian's package, 2.42) as the remote-write receiver under test.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import { tempDir } from './files.js';
import { ensureDebianBinary, waitUntilReady } from './debian.js';
import { freePort } from '../../scripts/free-port.mjs';

const BINARY = '/usr/bin/prometheus';

export interface RunningPrometheus {
  readonly baseUrl: string;
  readonly writeUrl: string;
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  queryRange(
    expr: string,
    startS: number,
    endS: number,
    stepS: number,
  ): Promise<{ metric: Record<string, string>; values: [number, string][] }[]>;
  stop(): Promise<void>;
}

/**
 * Prometheus serving https (its --web.config.file), requiring a client
 * certificate issued by `clientCaFile` when it is given; the helper's own
 * queries present `client` and trust `caFile`. PEM file paths.
 */
export interface PrometheusTls {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile?: string;
  /** The CA that issued certFile, for the helper's queries. */
  readonly caFile: string;
  readonly client?: { readonly certFile: string; readonly keyFile: string };
}

/** GET over https with the helper's own CA and client certificate. */
function httpsGet(url: string, tls: PrometheusTls): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      url,
      {
        ca: readFileSync(tls.caFile),
        ...(tls.client === undefined
          ? {}
          : { cert: readFileSync(tls.client.certFile), key: readFileSync(tls.client.keyFile) }),
        timeout: 10_000,
      },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
  });
}

export async function startPrometheus(
  options: { tls?: PrometheusTls } = {},
): Promise<RunningPrometheus> {
  ensureDebianBinary(BINARY, 'prometheus');
  const dir = await tempDir('edge-telemetry-prometheus-');
  const port = await freePort();
  const configFile = path.join(dir, 'prometheus.yml');
  // Buffered samples are up to sendingInterval old; without an out-of-order
  // window Prometheus rolls back the whole request for one old sample.
  await writeFile(
    configFile,
    'global:\n  scrape_interval: 1h\nstorage:\n  tsdb:\n    out_of_order_time_window: 1d\n',
  );
  const { tls } = options;
  const webConfig = path.join(dir, 'web.yml');
  if (tls !== undefined) {
    // Prometheus' exporter-toolkit web config: TLS, and with client_ca_file a verified client certificate required.
    const clientAuth =
      tls.clientCaFile === undefined
        ? ''
        : `  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${tls.clientCaFile}\n`;
    await writeFile(
      webConfig,
      `tls_server_config:\n  cert_file: ${tls.certFile}\n  key_file: ${tls.keyFile}\n  min_version: TLS12\n${clientAuth}`,
    );
  }
  const child: ChildProcess = spawn(
    BINARY,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--log.level=warn',
      ...(tls === undefined ? [] : [`--web.config.file=${webConfig}`]),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const baseUrl = `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`;
  const get = async (url: string): Promise<{ status: number; body: string }> => {
    if (tls !== undefined) return httpsGet(url, tls);
    const response = await fetch(url);
    return { status: response.status, body: await response.text() };
  };
  await waitUntilReady(
    'prometheus',
    () =>
      get(`${baseUrl}/-/ready`).then(
        (response) => response.status === 200,
        () => false,
      ),
    () => child.exitCode !== null,
    () => log,
  );
  const api = async (pathAndQuery: string) => {
    const response = await get(`${baseUrl}${pathAndQuery}`);
    const body = JSON.parse(response.body) as { status: string; data: { result: unknown } };
    if (body.status !== 'success') throw new Error(`query failed: ${JSON.stringify(body)}`);
    return body.data.result;
  };
  return {
    baseUrl,
    writeUrl: `${baseUrl}/api/v1/write`,
    query: async (expr) => (await api(`/api/v1/query?query=${encodeURIComponent(expr)}`)) as never,
    queryRange: async (expr, startS, endS, stepS) =>
      (await api(
        `/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${startS}&end=${endS}&step=${stepS}`,
      )) as never,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
