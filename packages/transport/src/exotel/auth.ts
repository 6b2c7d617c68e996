/**
 * How Exotel authenticates to the bot, as Exotel documents it for the Voicebot applet:
 * HTTP Basic credentials written into the applet URL (`wss://KEY:TOKEN@host/path`), which
 * Exotel sends as an `Authorization: Basic` header, or an allow-list of Exotel's source
 * addresses. Both are checked here without leaking timing.
 */
import { timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';

/** Whether `header` is `Basic base64(user:password)` with exactly these credentials. */
export function verifyExotelBasicAuth(
  header: string | undefined,
  user: string,
  password: string,
): boolean {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (m?.[1] === undefined) return false;
  const given = Buffer.from(m[1], 'base64');
  const expected = Buffer.from(`${user}:${password}`, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** An allow-list of addresses and CIDR ranges (IPv4 or IPv6). */
export interface IpAllowList {
  /** Whether `address` is on the list (an IPv4-mapped IPv6 address is read as IPv4). */
  allows(address: string | undefined): boolean;
}

/**
 * Builds an allow-list from entries such as `203.0.113.7`, `203.0.113.0/24`, `2001:db8::/32`.
 * Throws `TypeError` naming an entry that is neither an address nor a range.
 */
export function createIpAllowList(entries: readonly string[]): IpAllowList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.trim().split('/');
    const family = isIP(address);
    const bits = prefix === undefined ? undefined : Number(prefix);
    const max = family === 6 ? 128 : 32;
    if (
      family === 0 ||
      (bits !== undefined && !(Number.isInteger(bits) && bits >= 0 && bits <= max))
    ) {
      throw new TypeError(`${JSON.stringify(entry)} is not an IP address or CIDR range`);
    }
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, bits, type);
  }
  return {
    allows: (raw) => {
      if (raw === undefined || entries.length === 0) return false;
      const address = raw.startsWith('::ffff:') && isIP(raw.slice(7)) === 4 ? raw.slice(7) : raw;
      const family = isIP(address);
      if (family === 0) return false;
      return list.check(address, family === 6 ? 'ipv6' : 'ipv4');
    },
  };
}
