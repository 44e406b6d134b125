// One POST of bytes already encoded: a per-attempt timeout, a bounded read of
// the response, results as values. Knows nothing of metrics.
import http from 'node:http';
import type https from 'node:https';
import { getProxyForUrl } from 'proxy-from-env';
import { MAX_ERROR_BODY_BYTES, classifyResponse, type SendResult } from './send-result.js';
import { linkedSignal } from '../abort.js';

export interface Transport {
  post(body: Uint8Array, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<SendResult>;
  close(): void;
}

export interface HttpTransportOptions {
  readonly url: string;
  /** '' means: take HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment. */
  readonly proxy: string;
  readonly timeoutMs: number;
}

type ProxyChoice = { readonly agent: http.Agent | undefined } | { readonly problem: string };

/**
 * hpagent is loaded only when a proxy is in use, as most nodes have none.
 * Never rejects: the config's proxy key is validated, but HTTPS_PROXY from the
 * environment is not, and a bad one must fail sends, not crash the daemon.
 */
async function agentFor(url: URL, proxy: string): Promise<ProxyChoice> {
  const proxyUrl = proxy !== '' ? proxy : getProxyForUrl(url.toString());
  if (proxyUrl === '') return { agent: undefined };
  try {
    const { HttpProxyAgent, HttpsProxyAgent } = await import('hpagent');
    // TLS verification stays on through the tunnel too (see rejectUnauthorized below).
    const options = { proxy: proxyUrl, keepAlive: false, rejectUnauthorized: true };
    return { agent: url.protocol === 'https:' ? new HttpsProxyAgent(options) : new HttpProxyAgent(options) };
  } catch (error) {
    // The URL itself is not repeated: it may carry the proxy's password.
    const source = proxy !== '' ? 'telemetry.proxy' : 'the proxy from HTTPS_PROXY/HTTP_PROXY';
    return { problem: `${source} is unusable: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
}

export function createHttpTransport(options: HttpTransportOptions): Transport {
  const url = new URL(options.url);
  const agent = agentFor(url, options.proxy);
  // node:https (TLS) is loaded only for https endpoints.
  // http.request takes https' options and ignores the TLS ones, so one signature serves both.
  const client: Promise<{ request: typeof https.request }> =
    url.protocol === 'https:' ? import('node:https').then((module) => module.default) : Promise.resolve(http as unknown as { request: typeof https.request });
  return {
    async post(body, headers, signal) {
      const [proxyChoice, transportModule] = await Promise.all([agent, client]);
      if ('problem' in proxyChoice) return { kind: 'retryable', reason: proxyChoice.problem };
      const proxyAgent = proxyChoice.agent;
      const linked = linkedSignal(signal, options.timeoutMs, () => new Error('request timeout'));
      const attemptSignal = linked.signal;
      return new Promise<SendResult>((resolve) => {
        let settled = false;
        const settle = (result: SendResult) => {
          if (!settled) {
            settled = true;
            linked.dispose();
            resolve(result);
          }
        };
        const request = transportModule.request(
          url,
          {
            method: 'POST',
            headers: { ...headers, 'Content-Length': String(body.byteLength) },
            signal: attemptSignal,
            // Explicit, so that NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment
            // cannot turn verification off for the token-carrying request.
            rejectUnauthorized: true,
            ...(proxyAgent === undefined ? {} : { agent: proxyAgent }),
          },
          (response) => {
            const chunks: Buffer[] = [];
            let kept = 0;
            response.on('data', (chunk: Buffer) => {
              if (kept < MAX_ERROR_BODY_BYTES) {
                chunks.push(chunk);
                kept += chunk.length;
              }
            });
            response.on('end', () => {
              const text = Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY_BYTES).toString('utf8');
              const truncated = kept > MAX_ERROR_BODY_BYTES ? `${text}…(truncated)` : text;
              settle(classifyResponse(response.statusCode ?? 0, truncated.trim(), headerText(response.headers['retry-after']), Date.now()));
            });
            response.on('error', (error) => settle(networkFailure(error, attemptSignal, signal, options.timeoutMs)));
          },
        );
        request.on('error', (error) => settle(networkFailure(error, attemptSignal, signal, options.timeoutMs)));
        request.end(body);
      });
    },
    close() {
      void agent.then((choice) => ('agent' in choice ? choice.agent?.destroy() : undefined));
    },
  };
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function networkFailure(error: Error, attemptSignal: AbortSignal, callerSignal: AbortSignal, timeoutMs: number): SendResult {
  if (callerSignal.aborted) return { kind: 'retryable', reason: 'cancelled' };
  if (attemptSignal.aborted) return { kind: 'retryable', reason: `no answer within ${timeoutMs} ms` };
  const code = (error as NodeJS.ErrnoException).code;
  return { kind: 'retryable', reason: `network error: ${code ?? error.message}` };
}
