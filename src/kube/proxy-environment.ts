// The proxy for the Kubernetes API server from the environment, read the way
// kubectl and client-go read it (Go's net/http ProxyFromEnvironment), which is
// not curl's: HTTPS_PROXY (or https_proxy) for an https server; none for a
// loopback server; NO_PROXY (or no_proxy) entries, comma-separated, where
// "*" matches every host, an IP address or CIDR range matches addresses in
// it, a name matches itself and every subdomain ("example.com" matches
// "api.example.com"), a leading "." or "*." matches subdomains only, and an
// entry with ":port" matches that port only.
import net from 'node:net';
import { isLoopbackHost } from '../base/loopback.js';

const env = (name: string, source: NodeJS.ProcessEnv): string =>
  source[name] ?? source[name.toLowerCase()] ?? '';

function noProxyMatches(hostname: string, port: string, noProxy: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  for (const raw of noProxy.split(',')) {
    let entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    if (entry.includes('/')) {
      const [base, bits] = entry.split('/');
      const family = net.isIPv6(base ?? '') ? 'ipv6' : 'ipv4';
      if (net.isIP(host) !== 0 && net.isIP(base ?? '') !== 0) {
        const list = new net.BlockList();
        list.addSubnet(base as string, Number(bits), family);
        if (list.check(host, net.isIPv6(host) ? 'ipv6' : 'ipv4')) return true;
      }
      continue;
    }
    const withPort = /^(.*):(\d+)$/.exec(entry);
    if (withPort !== null && !net.isIPv6(entry)) {
      if (withPort[2] !== port) continue;
      entry = withPort[1] as string;
    }
    entry = entry.replace(/^\[|\]$/g, '');
    if (net.isIP(entry) !== 0) {
      if (entry === host) return true;
      continue;
    }
    if (entry.startsWith('*.')) entry = entry.slice(1);
    if (entry.startsWith('.')) {
      if (host.endsWith(entry)) return true;
    } else if (host === entry || host.endsWith(`.${entry}`)) return true;
  }
  return false;
}

/** The proxy URL text for `server`, or '' for a direct connection. */
export function proxyForApiServer(server: URL, source: NodeJS.ProcessEnv = process.env): string {
  if (isLoopbackHost(server.hostname)) return '';
  const proxy =
    server.protocol === 'https:' ? env('HTTPS_PROXY', source) : env('HTTP_PROXY', source);
  if (proxy === '') return '';
  const port = server.port !== '' ? server.port : server.protocol === 'https:' ? '443' : '80';
  return noProxyMatches(server.hostname, port, env('NO_PROXY', source)) ? '' : proxy;
}
