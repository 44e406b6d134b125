// A real Prometheus (Debian's 2.42) serving remote-write over TLS and
// requiring a verified client certificate (--web.config.file with
// client_auth_type: RequireAndVerifyClientCert), every certificate made by
// openssl in the test's own directory: the daemon is refused without a client
// certificate or with one Prometheus does not trust, and delivers with
// telemetry.tls.certFile/keyFile; what arrived is queried back exactly.
import t from 'tap';
import path from 'node:path';
import type { Collector } from '../../src/collect/collector.js';
import { sendReport } from '../../src/deliver/send-report.js';
import { MemorySampleBuffer } from '../../src/buffer/memory-buffer.js';
import { tlsSourceFor } from '../../src/agent/pipeline.js';
import { createHttpTransport } from '../../src/transport/http-transport.js';
import { createLogger } from '../../src/base/log.js';
import { startPrometheus } from '../helpers/prometheus.js';
import { runCli } from '../helpers/cli.js';
import { ownTempDir, writeConfig, TOKEN } from '../helpers/files.js';
import { makeCa } from '../helpers/pki.js';
import { sendDeps } from '../helpers/send-deps.js';

t.test(
  'Prometheus requiring a client certificate: refused without one, delivered with certFile/keyFile, queried back exactly',
  async (t) => {
    const dir = await ownTempDir(t);
    const serverCa = makeCa(dir, 'server-ca');
    const clientCa = makeCa(dir, 'client-ca');
    const server = serverCa.issue('prometheus', { sans: ['IP:127.0.0.1', 'DNS:localhost'] });
    const node = clientCa.issue('node-1', { clientAuth: true });
    const helper = clientCa.issue('test-helper', { clientAuth: true });
    const prometheus = await startPrometheus({
      tls: {
        certFile: server.cert,
        keyFile: server.key,
        clientCaFile: clientCa.cert,
        caFile: serverCa.cert,
        client: { certFile: helper.cert, keyFile: helper.key },
      },
    });
    t.teardown(prometheus.stop);
    t.match(prometheus.writeUrl, /^https:\/\/127\.0\.0\.1:\d+\/api\/v1\/write$/);
    const retry = { maxAttempts: 3, minDelay: '10ms', maxDelay: '50ms' };

    const noCert = await runCli([
      'once',
      '--config',
      await writeConfig(path.join(dir, 'no-cert'), {
        endpoint: prometheus.writeUrl,
        retry,
        tls: { caFile: serverCa.cert },
      }),
    ]);
    t.equal(noCert.code, 1);
    // Go answers a missing certificate with a bad_certificate alert (Node's own servers: certificate_required).
    t.match(
      noCert.stderr,
      // OpenSSL 3.0 (Node 20) names the alert SSLV3_ALERT, 3.5 (Node 22 on) SSL/TLS_ALERT.
      /TLS with the endpoint failed: the receiver requires a client certificate or refused the one sent \(ERR_SSL_(SSLV3|SSL\/TLS)_ALERT_BAD_CERTIFICATE\); nothing more is delivered by this run \(once does not keep samples\)/,
    );
    t.notMatch(noCert.stderr, /retrying/);

    const stranger = makeCa(dir, 'stranger-ca').issue('node-x', { clientAuth: true });
    const wrongCert = await runCli([
      'once',
      '--config',
      await writeConfig(path.join(dir, 'wrong-cert'), {
        endpoint: prometheus.writeUrl,
        retry,
        tls: { caFile: serverCa.cert, certFile: stranger.cert, keyFile: stranger.key },
      }),
    ]);
    t.equal(wrongCert.code, 1);
    t.match(
      wrongCert.stderr,
      /TLS with the endpoint failed: the receiver requires a client certificate or refused the one sent \(ERR_SSL_(SSLV3|SSL\/TLS)_ALERT_BAD_CERTIFICATE\); nothing more is delivered by this run/,
    );
    t.notMatch(wrongCert.stderr, /retrying/);
    t.same(await prometheus.query('count({__name__=~".+"})'), [], 'nothing stored so far');

    const once = await runCli([
      'once',
      '--config',
      await writeConfig(path.join(dir, 'with-cert'), {
        endpoint: prometheus.writeUrl,
        retry,
        tls: { caFile: serverCa.cert, certFile: node.cert, keyFile: node.key },
      }),
    ]);
    t.equal(once.code, 0, once.stderr);
    t.notMatch(once.stderr, TOKEN);
    const fromOnce = await prometheus.query('{_id="cluster-0123"}');
    t.ok(
      fromOnce.some((series) => series.metric.__name__ === 'cluster:capacity_cpu_cores:sum'),
      "the daemon's report is stored",
    );

    // The send path with figures the test knows: a backlog of three ticks, then the current values.
    const now = Date.now();
    const ticks = [now - 180_000, now - 120_000, now - 60_000];
    const buffer = new MemorySampleBuffer({ maxSamples: 1000, maxAgeMs: 86_400_000 });
    await buffer.append(
      ticks.map((timestampMs, index) => ({
        name: 'cluster:usage:containers:sum',
        labels: {},
        value: 10 + index,
        timestampMs,
      })),
    );
    let staticAtMs = 0;
    const staticCollector: Collector = {
      name: 'cluster:capacity_memory_bytes:sum',
      kind: 'static',
      help: {},
      collect: async ({ nowMs }) => {
        staticAtMs = nowMs;
        return [
          {
            name: 'cluster:capacity_memory_bytes:sum',
            labels: { label_kubernetes_io_arch: 'arm64' },
            value: 8_589_934_592,
            timestampMs: nowMs,
          },
        ];
      },
    };
    const lines: string[] = [];
    const tls = tlsSourceFor({
      caFile: { path: serverCa.cert, setIn: 'test' },
      certFile: { path: node.cert, setIn: 'test' },
      keyFile: { path: node.key, setIn: 'test' },
    });
    const transport = createHttpTransport({
      url: prometheus.writeUrl,
      proxy: '',
      timeoutMs: 10_000,
      ...(tls === undefined ? {} : { tls }),
    });
    const summary = await sendReport(
      sendDeps(prometheus.writeUrl, {
        transport,
        buffer,
        collectors: [staticCollector],
        log: createLogger('info', (line) => lines.push(line)),
      }),
      AbortSignal.timeout(30_000),
    );
    t.equal(summary.ok, true, lines.join('\n'));
    t.equal(summary.samplesSent, 4);

    const stored = (await prometheus.query(
      '{__name__=~"cluster:usage:containers:sum|cluster:capacity_memory_bytes:sum", type="microshift-rpm"}[1h]',
    )) as unknown as { metric: Record<string, string>; values: [number, string][] }[];
    const byName = new Map(stored.map((series) => [series.metric.__name__, series]));
    t.same(
      byName.get('cluster:usage:containers:sum'),
      {
        metric: {
          __name__: 'cluster:usage:containers:sum',
          _id: 'cluster-0123',
          type: 'microshift-rpm',
        },
        values: ticks.map((timestampMs, index) => [timestampMs / 1000, String(10 + index)]),
      },
      'every buffered sample, exact timestamps and values, with _id and type',
    );
    t.same(byName.get('cluster:capacity_memory_bytes:sum'), {
      metric: {
        __name__: 'cluster:capacity_memory_bytes:sum',
        _id: 'cluster-0123',
        type: 'microshift-rpm',
        label_kubernetes_io_arch: 'arm64',
      },
      values: [[staticAtMs / 1000, '8589934592']],
    });
    const all = await prometheus.query('{__name__=~".+"}');
    t.ok(
      all.length > 0 &&
        all.every((series) => series.metric._id !== undefined && series.metric.type !== undefined),
      'every stored series has _id and type',
    );
  },
);
