// A thin HTTPS client for the few calls cluster metrics need. Connection and
// credentials come from kubeconfig.ts (and, for exec and auth-provider users,
// from @kubernetes/client-node); the requests are our own so that we choose
// the compact list forms and count as pages arrive.
import https from 'node:https';
import { NO_MEMORY_POLICY, type MemoryPolicy } from '../base/heap-shrink.js';
import http from 'node:http';
import { createInterface } from 'node:readline';
import { linkedSignal } from '../base/abort.js';
import type { Loaded } from './kubeconfig-error.js';

export type ApiResult<T> =
  | { readonly kind: 'ok'; readonly value: T }
  /** 403 or 404: this resource is not there for us; the others may be. */
  | { readonly kind: 'denied'; readonly status: number }
  /** Network error, timeout, 5xx, 401: the API as a whole is not usable now. */
  | { readonly kind: 'unreachable'; readonly reason: string; readonly status?: number }
  /** An answer we cannot read: truncated, not JSON, not the expected shape. */
  | { readonly kind: 'bad-response'; readonly reason: string };

export interface KubeApi {
  /** GET a JSON document, at most MAX_JSON_BYTES of it. */
  getJson(path: string, accept: string, signal: AbortSignal): Promise<ApiResult<unknown>>;
  /** GET a text document, line by line, without holding it whole. */
  getLines(
    path: string,
    onLine: (line: string) => void,
    signal: AbortSignal,
  ): Promise<ApiResult<null>>;
}

export interface KubeEndpoint {
  readonly server: string;
  readonly options: https.RequestOptions;
  /** The kubeconfig names a proxy: `options.agent` is the proxy agent, with the TLS options on it. */
  readonly proxied: boolean;
  /** A bearer token kept in a file (tokenFile, a service account's): asked before each request, as it rotates. */
  readonly bearerToken?: () => Promise<Loaded<string>>;
}

/**
 * One answer's bytes, enforced while they arrive (the connection is cut past
 * it). A page is at most PAGE_LIMIT metadata rows or FULL_OBJECTS_PAGE_LIMIT
 * whole objects: well under 1 MB for real clusters. The cap is what the
 * daemon's 64 MB heap can parse with room to spare (JSON.parse makes several
 * times the text's size of objects); an API, or anything posing as one,
 * answering more is a wrong answer, not a reason to die.
 */
export const MAX_JSON_BYTES = 4 * 1024 * 1024;
/** A metrics text (the kubelet's, the API server's) is read line by line; its whole size is bounded too, as is a line without end. */
export const MAX_TEXT_BYTES = 16 * 1024 * 1024;

/**
 * `memory.betweenSteps` runs after each request ends, whatever its outcome:
 * the daemon's minor collection (src/base/heap-shrink.ts). A tick's 20-odd requests
 * allocate ~45 KB each; a collection between them keeps a tick from growing
 * V8's young generation by 1 MB, which at one tick a second it then kept 42%
 * of the time (v8.getHeapSpaceStatistics every 100 ms; 3% with this).
 */
export function createKubeApi(
  endpoint: KubeEndpoint,
  timeoutMs: number,
  memory: MemoryPolicy = NO_MEMORY_POLICY,
): KubeApi {
  // One keep-alive agent with the credentials: a tick's 20-odd requests share
  // a TLS context and connections instead of a handshake each. Idle sockets are
  // unref'd by the agent and closed after a minute.
  const {
    headers: baseHeaders,
    agent: givenAgent,
    ca,
    cert,
    key,
    pfx,
    passphrase,
    rejectUnauthorized,
    servername,
  } = endpoint.options;
  // Verification is on unless the kubeconfig itself says insecure-skip-tls-verify; the environment cannot turn it off.
  const tls = {
    ca,
    cert,
    key,
    pfx,
    passphrase,
    rejectUnauthorized: rejectUnauthorized ?? true,
    servername,
  };
  const agent =
    // A SOCKS agent (the library's) is an http.Agent, not an https.Agent.
    endpoint.proxied && givenAgent instanceof http.Agent
      ? givenAgent
      : new https.Agent({
          ...Object.fromEntries(Object.entries(tls).filter(([, value]) => value !== undefined)),
          keepAlive: true,
          maxSockets: 4,
          timeout: 60_000,
        });
  // The server may carry a path (an API behind a gateway): requests go below it.
  const base = endpoint.server.replace(/\/+$/, '');
  const request = async (
    path: string,
    accept: string,
    signal: AbortSignal,
    onResponse: (
      response: http.IncomingMessage,
      done: (result: ApiResult<unknown>) => void,
    ) => void,
  ) => {
    // Our loaders and the library's set headers as an object, never the raw array form.
    const headers: http.OutgoingHttpHeaders = {
      ...((baseHeaders as http.OutgoingHttpHeaders | undefined) ?? {}),
      Accept: accept,
    };
    if (endpoint.bearerToken !== undefined) {
      const token = await endpoint.bearerToken();
      if (!token.ok) return { kind: 'unreachable', reason: token.error.message } as const;
      headers.Authorization = `Bearer ${token.value}`;
    }
    return new Promise<ApiResult<unknown>>((resolve) => {
      const linked = linkedSignal(signal, timeoutMs, () => new Error('API request timeout'));
      let settled = false;
      const done = (result: ApiResult<unknown>) => {
        if (settled) return;
        settled = true;
        linked.dispose();
        memory.betweenSteps();
        resolve(result);
      };
      const url = new URL(base + path);
      const req = https.request(
        url,
        { agent, method: 'GET', signal: linked.signal, headers },
        (response) => {
          const status = response.statusCode ?? 0;
          if (status === 403 || status === 404) {
            response.resume();
            return done({ kind: 'denied', status });
          }
          if (status < 200 || status >= 300) {
            response.resume();
            return done({ kind: 'unreachable', reason: `HTTP ${status}`, status });
          }
          response.on('error', (error) =>
            done({ kind: 'bad-response', reason: `response broke off: ${error.message}` }),
          );
          onResponse(response, done);
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) =>
        done(
          linked.signal.aborted
            ? {
                kind: 'unreachable',
                reason: signal.aborted ? 'cancelled' : `no answer within ${timeoutMs} ms`,
              }
            : { kind: 'unreachable', reason: error.code ?? error.message },
        ),
      );
      req.end();
    });
  };

  return {
    getJson(path, accept, signal) {
      return request(path, accept, signal, (response, done) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_JSON_BYTES) {
            done({ kind: 'bad-response', reason: `answer larger than ${MAX_JSON_BYTES} bytes` });
            chunks.length = 0;
            response.destroy();
          } else chunks.push(chunk);
        });
        response.on('end', () => {
          try {
            done({
              kind: 'ok',
              value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
            });
          } catch (error) {
            done({ kind: 'bad-response', reason: `not JSON: ${(error as Error).message}` });
          }
        });
      });
    },
    getLines(path, onLine, signal) {
      return request(path, 'text/plain;version=0.0.4, text/plain', signal, (response, done) => {
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_TEXT_BYTES) {
            done({ kind: 'bad-response', reason: `answer larger than ${MAX_TEXT_BYTES} bytes` });
            response.destroy();
          }
        });
        const lines = createInterface({ input: response, crlfDelay: Infinity });
        // readline re-emits its input's errors: unhandled, a dropped connection would end the process.
        lines.on('error', (error: Error) =>
          done({ kind: 'bad-response', reason: `response broke off: ${error.message}` }),
        );
        lines.on('line', onLine);
        lines.on('close', () =>
          done(
            response.complete
              ? { kind: 'ok', value: null }
              : { kind: 'bad-response', reason: 'answer truncated' },
          ),
        );
      }) as Promise<ApiResult<null>>;
    },
  };
}
