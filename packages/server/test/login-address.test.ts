import { loginAddressKey } from '../src/login-address.js';

describe('loginAddressKey', () => {
  it.each([
    ['192.0.2.1:5000', '192.0.2.1'],
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['[::ffff:192.0.2.1]:5000', '192.0.2.1'],
    ['[2001:db8:a:b:1:2:3:4]:5000', '2001:db8:a:b::/64'],
    ['2001:0DB8:000a:b::1', '2001:db8:a:b::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['memory:3', 'memory'],
    ['Localhost', 'localhost'],
    ['unix:/run/app.sock', 'unix:/run/app.sock'],
    ['1:2:3', '1:2:3'], // not an address: kept as it is
  ])('%s counts as %s', (address, key) => {
    expect(loginAddressKey(address)).toBe(key);
  });
});
