import { Agent } from './dist/agent/agent.js';
import { MemorySampleBuffer } from './dist/buffer/sample-buffer.js';
import { createHttpTransport } from './dist/transport/http-transport.js';
import { hostCollectors } from './dist/collect/host/index.js';
import { startReceiver } from './dist/receiver/telemeter-receiver.js';
import { silentLogger } from './dist/log.js';
const receiver = await startReceiver({ host: '127.0.0.1', port: 0, log: silentLogger });
const deps = {
  log: silentLogger, collectors: hostCollectors({ host: { root: '' }, diskPaths: ['/'], deploymentType: async () => 'microshift-rpm', version: async () => '4.18' }),
  buffer: new MemorySampleBuffer(1000), transport: createHttpTransport({ url: receiver.url, proxy: '', timeoutMs: 5000 }),
  identity: { clusterId: 'c', deploymentType: 'microshift-rpm' }, readToken: async () => 't', userAgent: 'x',
  retry: { maxAttempts: 2, minDelayMs: 10, maxDelayMs: 100, maxElapsedMs: 1000 }, maxRequestBytes: 131072, collectTimeoutMs: 1000,
};
const agent = new Agent(deps, { samplingIntervalMs: 5, sendingIntervalMs: 20, shutdownSendTimeoutMs: 1000 });
agent.start();
const heap = () => { gc(); gc(); return (process.memoryUsage().heapUsed / 1e6).toFixed(2); };
for (let i = 0; i < 6; i++) { await new Promise((r) => setTimeout(r, 8000)); console.log(`t=${(i + 1) * 8}s heap ${heap()} MB`); }
const v8 = await import('node:v8');
await agent.stop(); await receiver.close();
