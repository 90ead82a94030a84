import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * The SSRF guard of `http_fetch`: a URL may be fetched only if every address its host resolves
 * to is public. Refused: loopback, private (RFC 1918), link-local (incl. cloud metadata
 * 169.254.169.254), CGNAT 100.64/10, "this network", multicast and reserved ranges, IPv6
 * loopback, ULA fc00::/7, link-local fe80::/10, and IPv4-mapped/compatible/NAT64 forms of any of
 * these. An explicit allow-list of `host:port` pairs (for tests and trusted local services)
 * bypasses the address check, never the scheme check.
 */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['100::', 64],
] as const)
  blocked.addSubnet(net, prefix, 'ipv6');

/** The IPv4 address embedded in an IPv6 one (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64 64:ff9b::/96), if any. */
export function embeddedIPv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|::|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const hi = parseInt(hex[1]!, 16);
    const lo = parseInt(hex[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return undefined;
}

/** True when an IP address is not publicly routable (or is any IPv6 form of such an IPv4 address). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    const v4 = embeddedIPv4(address);
    if (v4) return blocked.check(v4, 'ipv4');
    return blocked.check(address, 'ipv6');
  }
  return true;
}

export class SsrfError extends Error {}

export type Resolver = (host: string) => Promise<string[]>;

const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Checks a URL before each request (and each redirect hop). Returns the address to connect to,
 * so the connection goes exactly where the check looked (no DNS rebinding between check and use).
 */
export async function checkUrl(
  raw: string,
  allowHosts: readonly string[],
  resolve: Resolver = systemResolver,
): Promise<{ url: URL; address: string }> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SsrfError(`not a valid URL: ${raw.slice(0, 200)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new SsrfError(`only http and https URLs may be fetched, not ${url.protocol}`);
  if (url.username || url.password) throw new SsrfError('URLs with credentials may not be fetched');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const allowed = allowHosts.includes(`${host}:${port}`);
  const addresses = isIP(host)
    ? [host]
    : await resolve(host).catch(() => {
        throw new SsrfError(`could not resolve ${host}`);
      });
  if (addresses.length === 0) throw new SsrfError(`could not resolve ${host}`);
  if (!allowed) {
    const bad = addresses.find(isPrivateAddress);
    if (bad) throw new SsrfError(`refused: ${host} resolves to a private, loopback or link-local address (${bad})`);
  }
  return { url, address: addresses[0]! };
}
