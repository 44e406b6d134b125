// The agent's timers with a fake transport at the boundary: real timers, short intervals.
import t from 'tap';
import { Agent } from '../../src/agent/agent.js';
import { every } from '../../src/agent/periodic.js';
import { MemorySampleBuffer } from '../../src/buffer/memory-buffer.js';
import type { Transport } from '../../src/transport/http-transport.js';
import type { SendResult } from '../../src/transport/send-result.js';
import { silentLogger } from '../../src/log.js';
import { sendDeps } from '../helpers/send-deps.js';

function countingTransport(answer: () => SendResult, delayMs = 0): Transport & { posts: number; inFlight: number; maxInFlight: number } {
  const transport = {
    posts: 0,
    inFlight: 0,
    maxInFlight: 0,
    async post() {
      transport.posts++;
      transport.inFlight++;
      transport.maxInFlight = Math.max(transport.maxInFlight, transport.inFlight);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      transport.inFlight--;
      return answer();
    },
    close() {},
  };
  return transport;
}

t.test('sends at start and on the interval; a slow send is never overlapped; stop sends once more', async (t) => {
  const transport = countingTransport(() => ({ kind: 'delivered', status: 200 }), 250);
  const deps = sendDeps('http://unused.invalid/', { transport, buffer: new MemorySampleBuffer({ maxSamples: 100, maxAgeMs: 86_400_000 }) });
  const agent = new Agent(deps, { samplingIntervalMs: 100, sendingIntervalMs: 100, shutdownSendTimeoutMs: 2000 });
  agent.start();
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const summary = await agent.stop();
  t.equal(transport.maxInFlight, 1, 'sends never overlap');
  t.ok(transport.posts >= 3 && transport.posts <= 6, `${transport.posts} sends in 1.2 s of 250 ms sends on a 100 ms grid`);
  t.equal(summary?.ok, true, 'the last send went out');
  t.equal(deps.buffer.size, 0, 'nothing left behind');
});

t.test('a failing tick is logged and the schedule goes on', async (t) => {
  let runs = 0;
  const errors: string[] = [];
  const log = { ...silentLogger, error: (message: string) => errors.push(message) };
  const periodic = every(30, async () => {
    runs++;
    throw new Error('boom');
  }, { name: 'test', log, runNow: true });
  await new Promise((resolve) => setTimeout(resolve, 200));
  periodic.stop();
  t.ok(runs >= 3, `${runs} runs despite every one failing`);
  t.equal(errors.length, runs);
});
