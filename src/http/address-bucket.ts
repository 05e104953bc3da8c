// The key a per-address limit counts under. An IPv6 customer usually gets a whole /64 (often
// more) and may pick any address in it, so counting per IPv6 address would let one client
// rotate through 2^64 fresh budgets: IPv6 counts per /64. IPv4 stays per address, and an
// IPv4-mapped IPv6 address (::ffff:203.0.113.7, how a dual-stack socket reports an IPv4 peer)
// is that IPv4 address.
import { isIP } from 'node:net';

/** `2001:db8:1:2::/64` for any address in that /64; the IPv4 address itself for IPv4. Anything
 * that is not an IP address is its own bucket. */
export function addressBucket(address: string): string {
  const bare = withoutPortAndZone(address.trim());
  const version = isIP(bare);
  if (version === 4) return bare;
  if (version !== 6) return address;
  const groups = ipv6Groups(bare);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6);
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** `[2001:db8::1]:443` → `2001:db8::1`, `203.0.113.7:443` → `203.0.113.7`, `fe80::1%eth0` →
 * `fe80::1` (a proxy may write the client's port into X-Forwarded-For). */
function withoutPortAndZone(a: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(a);
  const host = bracketed ? (bracketed[1] as string) : /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(a)?.[1] ?? a;
  const zone = host.indexOf('%');
  return zone === -1 ? host : host.slice(0, zone);
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail split). */
function ipv6Groups(a: string): number[] {
  const parse = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((g) => {
          if (!g.includes('.')) return [parseInt(g, 16)];
          const [b0 = 0, b1 = 0, b2 = 0, b3 = 0] = g.split('.').map(Number);
          return [(b0 << 8) | b1, (b2 << 8) | b3];
        });
  const [head = '', tail] = a.split('::');
  const left = parse(head);
  if (tail === undefined) return left;
  const right = parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}
