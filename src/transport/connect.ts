// The socket an attempt writes its request on: TCP, TLS, and the CONNECT tunnel
// of an HTTP(S) proxy, each step ours, so the attempt's deadline covers every
// one of them (a proxy that accepts and never answers CONNECT ends in a timeout
// like any other silence). Every socket opened is handed to `track`, which the
// attempt destroys when it ends, whatever state the step is in.
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { SendResult } from './send-result.js';
import { classifyResponse } from './send-result.js';
import type { TlsOptions } from './tls-options.js';

/** 'proxy-tls': the handshake with an https proxy (Node's trust), 'tls': the one with the endpoint (telemetry.tls). */
export type Stage = 'connect' | 'proxy-tls' | 'proxy' | 'tls' | 'response' | 'body';

export interface StepContext {
  /** Registers something to destroy when the attempt ends. */
  track(destroyable: { destroy(): void }): void;
  stage(stage: Stage): void;
}

/** A socket ready for HTTP, or an outcome that ends the attempt (a proxy refusing the tunnel). */
export type Opened = { readonly socket: Duplex } | { readonly result: SendResult };

function portOf(url: URL): number {
  return url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

function connectTcp(url: URL, context: StepContext): Promise<net.Socket> {
  context.stage('connect');
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: portOf(url) });
    context.track(socket);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * TLS over `socket`, verified: `rejectUnauthorized` is explicit, so that
 * NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment cannot turn verification
 * off for the token-carrying request, and so is the TLS 1.2 minimum, which
 * `--tls-min-v1.0` in NODE_OPTIONS cannot lower. Without `options.ca` Node's
 * own roots apply (NODE_EXTRA_CA_CERTS included); nothing here can switch
 * verification off.
 */
function startTls(
  socket: net.Socket | Duplex,
  url: URL,
  options: TlsOptions,
  stage: 'tls' | 'proxy-tls',
  context: StepContext,
): Promise<tls.TLSSocket> {
  context.stage(stage);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // serverName replaces the host for both SNI and the name check (the connection still goes to the URL's host).
  const name = options.serverName ?? host;
  return new Promise((resolve, reject) => {
    const secure = tls.connect({
      socket,
      host: name,
      // SNI takes names only; an IP address is checked against the certificate's IP SANs by `host`.
      ...(net.isIP(name) === 0 ? { servername: name } : {}),
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ALPNProtocols: ['http/1.1'],
      ...(options.ca === undefined ? {} : { ca: [...options.ca] }),
      ...(options.clientCertificate === undefined
        ? {}
        : { cert: options.clientCertificate.cert, key: options.clientCertificate.key }),
    });
    context.track(secure);
    secure.once('secureConnect', () => resolve(secure));
    secure.once('error', reject);
  });
}

/** Basic credentials of a proxy URL (http://user:password@host:port), if any. */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (proxy.username === '' && proxy.password === '') return undefined;
  return `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`, 'utf8').toString('base64')}`;
}

async function connectProxy(proxy: URL, context: StepContext): Promise<Duplex> {
  const socket = await connectTcp(proxy, context);
  // The proxy's own certificate is checked with Node's trust: telemetry.tls (and the client certificate) is for the endpoint only.
  return proxy.protocol === 'https:' ? startTls(socket, proxy, {}, 'proxy-tls', context) : socket;
}

/** CONNECT host:port through the proxy (RFC 9110 §9.3.6); the tunnel's socket, or the proxy's refusal as a result. */
function tunnel(
  proxySocket: Duplex,
  proxy: URL,
  target: URL,
  context: StepContext,
): Promise<Opened> {
  context.stage('proxy');
  const authority = `${target.hostname}:${portOf(target)}`;
  const authorization = proxyAuthorization(proxy);
  return new Promise((resolve, reject) => {
    const request = http.request({
      method: 'CONNECT',
      path: authority,
      setHost: false,
      headers: {
        Host: authority,
        ...(authorization === undefined ? {} : { 'Proxy-Authorization': authorization }),
      },
      createConnection: () => proxySocket,
    });
    context.track(request);
    // Node reports every answer to CONNECT, 2xx or not, as 'connect'.
    request.once('connect', (response: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      const status = response.statusCode ?? 0;
      if (status === 200) {
        if (head.length > 0) socket.unshift(head);
        return resolve({ socket });
      }
      // 407: the proxy wants credentials, a configuration matter; any other refusal may pass.
      resolve({
        result:
          status === 407
            ? classifyResponse(407, '', {}, Date.now())
            : {
                kind: 'retryable',
                cause: 'proxy',
                status,
                reason: `the proxy answered CONNECT with HTTP ${status}`,
              },
      });
    });
    request.once('error', reject);
    request.end();
  });
}

/**
 * The socket for a request to `target`: direct, or through `proxy` (absolute
 * form for http targets, a CONNECT tunnel for https ones), TLS to the target
 * when it is https, with `tlsOptions`.
 */
export async function openSocket(
  target: URL,
  proxy: URL | undefined,
  tlsOptions: TlsOptions,
  context: StepContext,
): Promise<Opened> {
  if (proxy === undefined) {
    const socket = await connectTcp(target, context);
    return {
      socket:
        target.protocol === 'https:'
          ? await startTls(socket, target, tlsOptions, 'tls', context)
          : socket,
    };
  }
  const proxySocket = await connectProxy(proxy, context);
  if (target.protocol !== 'https:') return { socket: proxySocket };
  const tunnelled = await tunnel(proxySocket, proxy, target, context);
  if ('result' in tunnelled) return tunnelled;
  // Through the tunnel the endpoint gets exactly the TLS of a direct connection.
  return { socket: await startTls(tunnelled.socket, target, tlsOptions, 'tls', context) };
}
