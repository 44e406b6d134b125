// One POST of bytes already encoded: one deadline for the whole attempt
// (connect, proxy CONNECT, TLS handshake, request, status line and the bounded
// read of the reply), redirects never followed, results as values. Knows
// nothing of metrics. Each attempt has its own connection: a daemon that sends
// every few hours gains nothing from keep-alive, and a fresh socket is one the
// deadline can always destroy.
import http from 'node:http';
import { getProxyForUrl } from 'proxy-from-env';
import { isLoopbackHost } from '../base/loopback.js';
import {
  MAX_REPLY_READ_BYTES,
  classifyResponse,
  REMOTE_WRITE_REPLIES,
  type ReplyRules,
  type SendResult,
} from './send-result.js';
import { openSocket, proxyAuthorization, type Stage } from './connect.js';
import { tlsFailure, tlsFilesFailure, type TlsOptions, type TlsSource } from './tls-options.js';
import { longTimeout, systemClock, type Clock } from '../base/timers.js';

export interface Transport {
  post(
    body: Uint8Array,
    headers: Readonly<Record<string, string>>,
    signal: AbortSignal,
  ): Promise<SendResult>;
  /** Ends the attempts in flight (as cancelled); later posts still work. */
  close(): void;
}

export interface HttpTransportOptions {
  readonly url: string;
  /** '' means: take HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment. */
  readonly proxy: string;
  readonly timeoutMs: number;
  /** Asked at every attempt to an https endpoint (files re-read, so rotation needs no restart); absent: Node's defaults. */
  readonly tls?: TlsSource;
  readonly clock?: Clock;
  /** The protocol's reading of replies; remote-write's when absent. */
  readonly reply?: ReplyRules;
}

type Route = { readonly proxy: URL | undefined } | { readonly problem: string };

/**
 * Never throws: the config's proxy key is validated, but HTTPS_PROXY from the
 * environment is not, and a bad one must fail sends, not crash the daemon.
 * The URL itself is never repeated: it may carry the proxy's password.
 */
function routeFor(url: URL, proxy: string): Route {
  const proxyUrl = proxy !== '' ? proxy : getProxyForUrl(url.toString());
  if (proxyUrl === '') return { proxy: undefined };
  const source = proxy !== '' ? 'telemetry.proxy' : 'the proxy from HTTPS_PROXY/HTTP_PROXY';
  try {
    const parsed = new URL(proxyUrl);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      return { problem: `${source} is unusable: only http:// and https:// proxies are supported` };
    return { proxy: parsed };
  } catch (error) {
    return {
      problem: `${source} is unusable: ${(error as NodeJS.ErrnoException).code ?? 'not a URL'}`,
    };
  }
}

/**
 * Plain http with an Authorization header: the config allows it only to a loopback endpoint, because the
 * credential then stays on this node. Through a proxy it would cross the network in clear text to the proxy
 * (whose own loopback is not ours anyway), so such a request always goes directly.
 */
function carriesClearCredentials(url: URL, headers: Readonly<Record<string, string>>): boolean {
  return (
    url.protocol === 'http:' &&
    isLoopbackHost(url.hostname) &&
    Object.keys(headers).some((name) => name.toLowerCase() === 'authorization')
  );
}

const STAGE_TEXT: Readonly<Record<Stage, string>> = {
  connect: 'connecting',
  'proxy-tls': 'in the TLS handshake with the proxy',
  proxy: 'waiting for the proxy to open the tunnel',
  tls: 'in the TLS handshake',
  response: 'waiting for the response',
  body: 'reading the response body',
};

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function createHttpTransport(options: HttpTransportOptions): Transport {
  const url = new URL(options.url);
  const route = routeFor(url, options.proxy);
  const clock = options.clock ?? systemClock;
  const replies = options.reply ?? REMOTE_WRITE_REPLIES;
  const inFlight = new Set<() => void>();

  const attempt = (
    body: Uint8Array,
    headers: Readonly<Record<string, string>>,
    signal: AbortSignal,
    proxy: URL | undefined,
    tlsOptions: TlsOptions,
  ) =>
    new Promise<SendResult>((resolve) => {
      const owned = new Set<{ destroy(): void }>();
      let stage: Stage = 'connect';
      let settled = false;
      const settle = (result: SendResult) => {
        if (settled) return;
        settled = true;
        deadline.cancel();
        signal.removeEventListener('abort', onCancel);
        inFlight.delete(onCancel);
        // Whatever state each step is in, the attempt owns nothing once it ends.
        for (const item of owned) item.destroy();
        resolve(result);
      };
      const onCancel = () => settle({ kind: 'cancelled' });
      const deadline = longTimeout(
        () =>
          settle({
            kind: 'retryable',
            cause: 'timeout',
            reason: `no answer within ${options.timeoutMs} ms (${STAGE_TEXT[stage]})`,
          }),
        options.timeoutMs,
        clock,
      );
      signal.addEventListener('abort', onCancel, { once: true });
      inFlight.add(onCancel);
      const failed = (error: unknown) => {
        const code = (error as NodeJS.ErrnoException).code;
        // A failed check is final; TLS 1.3 servers refuse a client certificate after the client's handshake, so this is asked at every stage.
        const tls = tlsFailure(code, stage === 'proxy-tls' ? 'proxy' : 'endpoint');
        if (tls !== undefined) {
          settle(tls);
          return;
        }
        settle({
          kind: 'retryable',
          cause: stage === 'proxy' || stage === 'proxy-tls' ? 'proxy' : 'network',
          reason: `network error: ${code ?? (error as Error).message}`,
        });
      };
      const context = {
        track: (item: { destroy(): void }) => (settled ? item.destroy() : owned.add(item)),
        stage: (next: Stage) => (stage = next),
      };

      openSocket(url, proxy, tlsOptions, context).then((opened) => {
        if (settled) return;
        if ('result' in opened) return settle(opened.result);
        stage = 'response';
        // Through a proxy without a tunnel (http endpoint): absolute form, with the proxy's credentials.
        const viaProxy = proxy !== undefined && url.protocol !== 'https:';
        const authorization = viaProxy ? proxyAuthorization(proxy) : undefined;
        const request = http.request({
          method: 'POST',
          path: viaProxy ? url.href : `${url.pathname}${url.search}`,
          setHost: false,
          headers: {
            ...headers,
            Host: url.host,
            'Content-Length': String(body.byteLength),
            Connection: 'close',
            ...(authorization === undefined ? {} : { 'Proxy-Authorization': authorization }),
          },
          createConnection: () => opened.socket,
        });
        context.track(request);
        request.on('error', failed);
        request.on('response', (response) => {
          stage = 'body';
          const status = response.statusCode ?? 0;
          const success = status >= 200 && status < 300;
          // A 2xx is the receiver's word; its body is not needed (a garbage one changes nothing), unless the protocol says more in it.
          if (success && !replies.readSuccessBody) return settle({ kind: 'delivered', status });
          const chunks: Buffer[] = [];
          let kept = 0;
          const finish = (note: string) => {
            const bytes = Buffer.concat(chunks).subarray(0, MAX_REPLY_READ_BYTES);
            // A 2xx whose body was cut or reset is still a delivery; only a whole body is read for what else it says.
            if (success) {
              settle({ kind: 'delivered', status, ...(note === '' ? { body: bytes } : {}) });
              return;
            }
            const text = replies.text(bytes, headerText(response.headers['content-type'])).trim();
            const replyHeaders = {
              retryAfter: headerText(response.headers['retry-after']),
              location: headerText(response.headers.location),
            };
            settle(
              classifyResponse(
                status,
                `${text}${note}`,
                replyHeaders,
                Date.now(),
                replies.retryable,
              ),
            );
          };
          response.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            kept += chunk.length;
            // The bound: the rest is never read, the connection is cut (settle destroys it).
            if (kept >= MAX_REPLY_READ_BYTES) finish('…(cut)');
          });
          response.on('end', () => finish(''));
          // Reset mid-body: the status line came whole, so it is still the receiver's answer.
          response.on('error', () => finish('…(connection reset)'));
          response.on('close', () => finish(response.complete ? '' : '…(connection closed)'));
        });
        request.end(body);
      }, failed);
    });

  return {
    async post(body, headers, signal) {
      if (signal.aborted) return { kind: 'cancelled' };
      if ('problem' in route) return { kind: 'retryable', cause: 'proxy', reason: route.problem };
      // Before the attempt's deadline starts: the files have their own bound (a FIFO or a stuck mount fails, never hangs).
      let tlsOptions: TlsOptions = {};
      if (url.protocol === 'https:' && options.tls !== undefined) {
        const material = await options.tls();
        if (!material.ok) return tlsFilesFailure(material.reason);
        tlsOptions = material.options;
      }
      // Reading the files took time: the send may have been cancelled meanwhile.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (signal.aborted) return { kind: 'cancelled' };
      return attempt(
        body,
        headers,
        signal,
        carriesClearCredentials(url, headers) ? undefined : route.proxy,
        tlsOptions,
      );
    },
    close() {
      for (const cancel of [...inFlight]) cancel();
    },
  };
}
