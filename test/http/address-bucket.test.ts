// Per-address limits (issue 18 part 5): an IPv6 client may use any address of its /64, so the
// limits count IPv6 per /64; IPv4, however spelled (::ffff:a.b.c.d included), per address.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressBucket } from '../../src/http/address-bucket.js';

describe('addressBucket', () => {
  it.each([
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['[2001:db8:1:2::9]:443', '2001:db8:1:2::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['2001:db8:1:2::1.2.3.4', '2001:db8:1:2::/64'],
    ['203.0.113.7', '203.0.113.7'],
    ['203.0.113.7:5123', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::ffff:cb00:7107', '203.0.113.7'],
    ['0:0:0:0:0:ffff:203.0.113.7', '203.0.113.7'],
    ['unknown', 'unknown'],
    ['not an address', 'not an address'],
  ])('%s → %s', (address, bucket) => {
    expect(addressBucket(address)).toBe(bucket);
  });

  const group = fc.integer({ min: 0, max: 0xffff });
  const groups = fc.array(group, { minLength: 8, maxLength: 8 });
  const full = (g: number[]) => g.map((x) => x.toString(16)).join(':');

  it('every address of a /64, however written, has one bucket; another /64 another', () => {
    fc.assert(
      fc.property(groups, groups, groups, (a, b, c) => {
        fc.pre(!(a[0] === 0 && a[1] === 0 && a[2] === 0 && a[3] === 0)); // not the ::ffff: range
        const sameNet = [...a.slice(0, 4), ...b.slice(4)];
        // Node's own compressed spelling (URL hostnames use it) must bucket like the long form.
        const compressed = new URL(`http://[${full(sameNet)}]/`).hostname.slice(1, -1);
        expect(addressBucket(compressed)).toBe(addressBucket(full(a)));
        expect(addressBucket(full(sameNet).toUpperCase())).toBe(addressBucket(full(a)));
        fc.pre(c.slice(0, 4).join() !== a.slice(0, 4).join());
        expect(addressBucket(full(c))).not.toBe(addressBucket(full(a)));
      }),
    );
  });

  it('IPv4 stays per address, and its IPv4-mapped IPv6 form is the same address', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV4(), (a, b) => {
        expect(addressBucket(a)).toBe(a);
        expect(addressBucket(`::ffff:${a}`)).toBe(a);
        if (a !== b) expect(addressBucket(b)).not.toBe(addressBucket(a));
      }),
    );
  });
});
