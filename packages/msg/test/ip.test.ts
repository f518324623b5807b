import { formatIp, IpSet, parseIp, parseIpv6 } from '../src/ip.js';

describe('IP addresses', () => {
  it('reads and writes IPv6 as Node reports it', () => {
    const cases: Array<[string, string]> = [
      ['::1', '::1'],
      ['::', '::'],
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['2001:db8:0:1:0:0:1:0', '2001:db8:0:1::1:0'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
      ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
      ['::ffff:10.1.2.3', '::ffff:10.1.2.3'],
      ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
    ];
    for (const [text, formatted] of cases) expect(formatIp(parseIpv6(text) as Uint8Array)).toBe(formatted);
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '::g', '1.2.3.4::', '12345::', ':1:2'])
      expect(parseIpv6(bad)).toBeUndefined();
  });

  it('reads an IPv4-mapped IPv6 address as its IPv4 address', () => {
    expect(parseIp('::ffff:127.0.0.1')).toEqual(Uint8Array.of(127, 0, 0, 1));
    expect(parseIp('::FFFF:7f00:1')).toEqual(Uint8Array.of(127, 0, 0, 1));
    expect(parseIp('256.0.0.1')).toBeUndefined();
    expect(parseIp('01.2.3.4')).toBeUndefined();
  });

  it('matches addresses and networks, IPv4 clients of a dual-stack socket included', () => {
    const set = new IpSet(['127.0.0.1', '10.0.0.0/8', '192.168.1.128/25', 'fd00::/8', '::1']);
    for (const yes of [
      '127.0.0.1',
      '::ffff:127.0.0.1',
      '10.200.3.4',
      '192.168.1.200',
      'fd12::5',
      '::1',
      'fe80::1%eth0',
    ])
      expect([yes, set.has(yes)]).toEqual([yes, yes !== 'fe80::1%eth0']);
    for (const no of ['127.0.0.2', '11.0.0.1', '192.168.1.127', 'fe00::1', 'fe80::1%eth0', '::2', 'localhost', ''])
      expect([no, set.has(no)]).toEqual([no, false]);
    expect(new IpSet(['0.0.0.0/0']).has('203.0.113.9')).toBe(true);
    expect(new IpSet(['0.0.0.0/0']).has('2001:db8::1')).toBe(false);
  });

  it('refuses an entry that is not an address or network', () => {
    for (const bad of ['localhost', '10.0.0.0/33', '::/129', '10.0.0.0/8/8', '10.0.0.0/x', '10.0.0.0/'])
      expect(() => new IpSet([bad])).toThrow(expect.objectContaining({ code: 'MSG_INVALID_OPTION' }));
  });
});
