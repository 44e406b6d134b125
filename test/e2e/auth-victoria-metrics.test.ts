// Own backends end to end, against a real VictoriaMetrics (Debian's
// victoria-metrics, single node):
// 1. auth.type basic, checked by VictoriaMetrics itself (-httpAuth.*): a wrong
//    password is a 401, one log line per send, samples kept; once the password
//    file holds the right one (rotation, no restart) they all arrive.
// 2. a tenant header and a bearer token, checked by a small forwarder in
//    front: single-node VictoriaMetrics ignores tenant headers (only its
//    cluster version routes by tenant, and by URL path, not header), so the
//    check a Mimir or Thanos would make is made here before forwarding.
// Between the daemon and VictoriaMetrics a recorder decodes every request, so
// the test knows exactly which samples were answered 2xx; VictoriaMetrics must
// then hold exactly those: same series, timestamps, values, each with _id and type.
import t, { type Test } from 'tap';
import http from 'node:http';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeWriteRequest } from '../../src/receiver/decode.js';
import type { Series } from '../../src/base/model.js';
import { startVictoriaMetrics, type RunningVictoriaMetrics } from '../helpers/victoria-metrics.js';
import { spawnCli } from '../helpers/cli.js';
import { CPU_USAGE_METRIC } from '../../src/collect/host/cpu.js';
import { MEMORY_USAGE_METRIC } from '../../src/collect/host/memory.js';
import { DISK_USAGE_METRIC } from '../../src/collect/host/disk.js';
import { ownTempDir, writeConfig } from '../helpers/files.js';

const DYNAMIC = [CPU_USAGE_METRIC, MEMORY_USAGE_METRIC, DISK_USAGE_METRIC];

interface Recorded {
  readonly status: number;
  readonly series: readonly Series[];
  readonly headers: http.IncomingHttpHeaders;
}

/**
 * Records every request, asks `check` first (an answer of its own ends there),
 * then forwards body and protocol headers to `target`; `passAuthorization`
 * forwards the Authorization header too (VictoriaMetrics checks it).
 */
async function startRecorder(
  target: string,
  options: {
    passAuthorization: boolean;
    check?: (request: http.IncomingMessage) => { status: number; body: string } | undefined;
  },
) {
  const recorded: Recorded[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const verdict = decodeWriteRequest(body, 64 * 1024 * 1024);
        const series = verdict.ok ? verdict.series : [];
        const refused = options.check?.(request);
        if (refused !== undefined) {
          recorded.push({ status: refused.status, series, headers: request.headers });
          return void response.writeHead(refused.status).end(refused.body);
        }
        const headers: Record<string, string> = {
          'Content-Encoding': String(request.headers['content-encoding']),
          'Content-Type': String(request.headers['content-type']),
          'X-Prometheus-Remote-Write-Version': String(
            request.headers['x-prometheus-remote-write-version'],
          ),
        };
        if (options.passAuthorization && request.headers.authorization !== undefined)
          headers.Authorization = request.headers.authorization;
        const answer = await fetch(target, { method: 'POST', body, headers });
        const text = await answer.text();
        recorded.push({ status: answer.status, series, headers: request.headers });
        response.writeHead(answer.status).end(text);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/api/v1/write`,
    recorded,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function seriesKey(labels: Readonly<Record<string, string>>): string {
  const { __name__: name, ...rest } = labels;
  return `${name ?? ''}{${Object.keys(rest)
    .sort()
    .map((key) => `${key}=${JSON.stringify(rest[key])}`)
    .join(',')}}`;
}

/** series key → timestamp → value, of the requests answered 2xx. */
function deliveredSamples(recorded: readonly Recorded[]): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const request of recorded.filter((entry) => entry.status >= 200 && entry.status < 300)) {
    for (const series of request.series) {
      const key = seriesKey(
        Object.fromEntries(series.labels.map((label) => [label.name, label.value])),
      );
      const samples = out.get(key) ?? new Map<number, number>();
      for (const sample of series.samples) samples.set(sample.timestampMs, sample.value);
      out.set(key, samples);
    }
  }
  return out;
}

/** VictoriaMetrics holds exactly what was delivered, every series with _id and type. */
async function assertStoredExactly(
  t: Test,
  vm: RunningVictoriaMetrics,
  delivered: Map<string, Map<number, number>>,
): Promise<void> {
  const expectedCount = [...delivered.values()].reduce((sum, samples) => sum + samples.size, 0);
  let stored = await vm.exportSeries('{__name__=~".+"}');
  // Rows become searchable about a second after they were taken: read until all are there (or 30 s pass).
  for (
    let tries = 0;
    tries < 60 && stored.reduce((sum, series) => sum + series.timestamps.length, 0) < expectedCount;
    tries++
  ) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    stored = await vm.exportSeries('{__name__=~".+"}');
  }
  t.equal(stored.length, delivered.size, 'exactly the series delivered');
  for (const series of stored) {
    const key = seriesKey(series.metric);
    t.equal(series.metric._id, 'cluster-0123', `${key}: _id`);
    t.equal(series.metric.type, 'microshift-rpm', `${key}: type`);
    const expected = delivered.get(key);
    if (expected === undefined) {
      t.fail(`${key} stored but never delivered`);
      continue;
    }
    t.same(
      [...series.timestamps].sort(),
      [...expected.keys()].sort(),
      `${key}: the same timestamps`,
    );
    series.timestamps.forEach((timestamp, index) => {
      const sent = expected.get(timestamp) ?? NaN;
      const kept = series.values[index] ?? NaN;
      // VictoriaMetrics keeps 12 significant digits (documented); integers come back exact.
      if (Number.isInteger(sent)) t.equal(kept, sent, `${key} @${timestamp}: exact`);
      else
        t.ok(
          Math.abs(kept - sent) <= Math.abs(sent) * 1e-11,
          `${key} @${timestamp}: ${kept} is ${sent} to 12 digits`,
        );
    });
  }
}

t.test(
  'basic auth checked by VictoriaMetrics: wrong password → 401, samples kept, one line a send; the right one → everything stored',
  async (t) => {
    const vm = await startVictoriaMetrics({ username: 'edge', password: 'vm-right-pw-3c9e' });
    t.teardown(vm.stop);
    const recorder = await startRecorder(vm.writeUrl, { passAuthorization: true });
    t.teardown(recorder.close);
    const dir = await ownTempDir(t);
    const password = path.join(dir, 'vm-password');
    await writeFile(password, 'vm-wrong-pw-71ab\n', { mode: 0o600 });
    const config = await writeConfig(dir, {
      endpoint: recorder.url,
      auth: { type: 'basic', username: 'edge', passwordFile: 'vm-password' },
      samplingInterval: '1s',
      sendingInterval: '2s',
      diskPaths: ['/'],
    });
    const daemon = spawnCli(['run', '--config', config]);
    t.teardown(() => daemon.stop('SIGKILL'));
    await daemon.waitFor(
      /receiver refused the credentials or the URL; samples kept[^\n]*status=401[^]*receiver refused the credentials or the URL; samples kept[^\n]*status=401/,
    );
    // Rotated in place: the next send reads it.
    await writeFile(password, 'vm-right-pw-3c9e\n');
    await daemon.waitFor(/report sent/);
    t.equal(await daemon.stop('SIGTERM'), 0);
    const { stderr } = daemon.output();
    const refusals = recorder.recorded.filter((entry) => entry.status === 401);
    t.ok(refusals.length >= 2, `${refusals.length} sends refused`);
    t.equal(
      stderr.match(/status=401/g)?.length,
      refusals.length,
      'one line per refused send, nothing more about it',
    );
    t.equal(
      stderr.match(
        /^<3>error: receiver refused the credentials or the URL; samples kept, no retry until the next send status=401 hint="check the pull secret \(telemetry.pullSecretFile\), or telemetry.auth when its type is not telemeter; [^\n]*$/gm,
      )?.length,
      refusals.length,
    );
    t.notMatch(stderr, /vm-(wrong|right)-pw/, 'no password in the log');
    for (const entry of recorder.recorded) {
      const expected = entry.status === 401 ? 'vm-wrong-pw-71ab' : 'vm-right-pw-3c9e';
      t.equal(
        entry.headers.authorization,
        `Basic ${Buffer.from(`edge:${expected}`).toString('base64')}`,
      );
    }
    // Kept, not lost: every sample the 401s refused is among those delivered afterwards.
    const delivered = deliveredSamples(recorder.recorded);
    const refused = deliveredSamples(refusals.map((entry) => ({ ...entry, status: 200 })));
    // The static snapshot is collected fresh at each send; the dynamic samples (sampled into the buffer) are the ones kept.
    let keptChecked = 0;
    for (const [key, samples] of refused) {
      if (!DYNAMIC.includes(key.slice(0, key.indexOf('{')))) continue;
      for (const timestamp of samples.keys()) {
        keptChecked++;
        t.ok(delivered.get(key)?.has(timestamp), `${key} @${timestamp}: refused, then delivered`);
      }
    }
    t.ok(keptChecked >= 2 * DYNAMIC.length, `${keptChecked} refused dynamic samples checked`);
    await assertStoredExactly(t, vm, delivered);
  },
);

t.test(
  'tenant header and bearer token, checked by a forwarder in front of VictoriaMetrics',
  async (t) => {
    const vm = await startVictoriaMetrics();
    t.teardown(vm.stop);
    const recorder = await startRecorder(vm.writeUrl, {
      passAuthorization: false,
      // What Mimir checks (X-Scope-OrgID) and a gateway's bearer token.
      check: (request) =>
        request.headers['x-scope-orgid'] !== 'tenant-a'
          ? { status: 401, body: 'no org id' }
          : request.headers.authorization !== 'Bearer mimir-token-0b7d'
            ? { status: 401, body: 'bad token' }
            : undefined,
    });
    t.teardown(recorder.close);
    const dir = await ownTempDir(t);
    await writeFile(path.join(dir, 'token'), 'mimir-token-0b7d\n', { mode: 0o600 });
    const config = await writeConfig(dir, {
      endpoint: recorder.url,
      auth: { type: 'bearer', credentialsFile: 'token' },
      headers: { 'X-Scope-OrgID': 'tenant-a' },
      samplingInterval: '1s',
      sendingInterval: '2s',
      diskPaths: ['/'],
    });
    const daemon = spawnCli(['run', '--config', config]);
    t.teardown(() => daemon.stop('SIGKILL'));
    await daemon.waitFor(/report sent[^]*report sent/);
    t.equal(await daemon.stop('SIGTERM'), 0);
    t.ok(recorder.recorded.length >= 3, `${recorder.recorded.length} requests`);
    t.same(
      recorder.recorded.filter((entry) => entry.status !== 204),
      [],
      'every request passed the tenant and token check and was stored (204)',
    );
    t.notMatch(daemon.output().stderr, 'mimir-token');
    await assertStoredExactly(t, vm, deliveredSamples(recorder.recorded));

    // The same forwarder refuses a request without the tenant: the check is real.
    const bare = await fetch(recorder.url, {
      method: 'POST',
      body: '',
      headers: { Authorization: 'Bearer mimir-token-0b7d' },
    });
    t.equal(bare.status, 401);
    t.equal(await bare.text(), 'no org id');
  },
);
