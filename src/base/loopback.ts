// Whether a URL's host is this node itself. Shared by the config (a credential
// may go in clear text only to loopback) and the transport (a loopback endpoint
// is reached directly, never through a proxy, whose own loopback is another host).

/** 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
