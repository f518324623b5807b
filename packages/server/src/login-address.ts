/** An IPv4 address, or a host name, with a port. */
const WITH_PORT = /^([^:]*):\d+$/;
const BRACKETED = /^\[([^\]]+)\](?::\d+)?$/;
const MAPPED_IPV4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;
const GROUP = /^[0-9a-f]{1,4}$/i;

/**
 * The key failed logins are counted under for a client address: its host
 * without the port (a client opens connections from any port), an IPv4
 * address mapped into IPv6 as plain IPv4, and an IPv6 address as its /64
 * network, since one client is handed a whole /64 and picks addresses in it
 * at will. Unix socket clients (`unix:<path>`) share the socket's key.
 */
export function loginAddressKey(address: string): string {
  if (address.startsWith('unix:')) return address;
  const host = BRACKETED.exec(address)?.[1] ?? WITH_PORT.exec(address)?.[1] ?? address;
  const bare = host.replace(/%.*$/, ''); // the zone says which interface, not who
  const mapped = MAPPED_IPV4.exec(bare)?.[1];
  if (mapped !== undefined) return mapped;
  return bare.includes(':') ? (ipv6Network(bare) ?? bare.toLowerCase()) : bare.toLowerCase();
}

/** `2001:db8:1:2::/64` for any address in that network; undefined when `ip` is not an IPv6 address. */
function ipv6Network(ip: string): string | undefined {
  const halves = ip.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string | undefined): string[] => (part ? part.split(':') : []);
  const head = groupsOf(halves[0]);
  const tail = groupsOf(halves[1]);
  // A trailing dotted IPv4 part stands for the last two groups; only the first four matter here.
  const tailCount = tail.reduce((n, group) => n + (group.includes('.') ? 2 : 1), 0);
  const zeros = 8 - head.length - tailCount;
  if (zeros < 0 || (halves.length === 1 && zeros !== 0)) return undefined;
  const groups = [...head, ...Array<string>(zeros).fill('0'), ...tail].slice(0, 4);
  if (!groups.every((group) => GROUP.test(group))) return undefined;
  return `${groups.map((group) => Number.parseInt(group, 16).toString(16)).join(':')}::/64`;
}
