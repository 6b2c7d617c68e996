/**
 * The SSRF guard of outbound tool calls: which IP addresses a tenant's endpoint may
 * resolve to, and the resolution itself, done once so the request connects to the very
 * address that was checked (a DNS-rebinding guard).
 *
 * Refused: private (10/8, 172.16/12, 192.168/16), shared/CGNAT (100.64/10), loopback
 * (127/8, ::1), link-local (169.254/16, fe80::/10), unique-local (fc00::/7), site-local
 * (fec0::/10), unspecified and "this network" (0/8, ::), multicast (224/4, ff00::/8),
 * reserved, broadcast, benchmarking and documentation ranges, and any IPv6 form that
 * embeds one of those IPv4 addresses (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible
 * `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** One resolved address. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves a host name to all its addresses. */
export type HostLookup = (host: string) => Promise<readonly ResolvedAddress[]>;

/** Why an address is refused; `undefined` from {@link blockedAddressReason} means it is public. */
export type BlockedReason =
  | 'private'
  | 'shared'
  | 'loopback'
  | 'link_local'
  | 'unique_local'
  | 'unspecified'
  | 'multicast'
  | 'reserved';

type Range = readonly [prefix: readonly number[], bits: number, reason: BlockedReason];

const V4_RANGES: readonly Range[] = [
  [[0, 0, 0, 0], 8, 'unspecified'],
  [[10, 0, 0, 0], 8, 'private'],
  [[100, 64, 0, 0], 10, 'shared'],
  [[127, 0, 0, 0], 8, 'loopback'],
  [[169, 254, 0, 0], 16, 'link_local'],
  [[172, 16, 0, 0], 12, 'private'],
  [[192, 0, 0, 0], 24, 'reserved'],
  [[192, 0, 2, 0], 24, 'reserved'],
  [[192, 88, 99, 0], 24, 'reserved'],
  [[192, 168, 0, 0], 16, 'private'],
  [[198, 18, 0, 0], 15, 'reserved'],
  [[198, 51, 100, 0], 24, 'reserved'],
  [[203, 0, 113, 0], 24, 'reserved'],
  [[224, 0, 0, 0], 4, 'multicast'],
  [[240, 0, 0, 0], 4, 'reserved'],
];

const V6_RANGES: readonly Range[] = [
  [[0xfe, 0x80], 10, 'link_local'],
  [[0xfe, 0xc0], 10, 'private'],
  [[0xfc], 7, 'unique_local'],
  [[0xff], 8, 'multicast'],
  [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64, 'reserved'],
  [[0x20, 0x01, 0x0d, 0xb8], 32, 'reserved'],
  [[0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48, 'private'],
];

function inRange(bytes: readonly number[], prefix: readonly number[], bits: number): boolean {
  for (let i = 0; i * 8 < bits; i++) {
    const take = Math.min(8, bits - i * 8);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

function classify(bytes: readonly number[], ranges: readonly Range[]): BlockedReason | undefined {
  for (const [prefix, bits, reason] of ranges) {
    if (inRange(bytes, prefix, bits)) return reason;
  }
  return undefined;
}

function parseV4(text: string): number[] {
  return text.split('.').map((part) => Number(part));
}

/** The 16 bytes of a valid IPv6 address (`isIP(text) === 6`, zone id already removed). */
function parseV6(text: string): number[] {
  let body = text;
  let tail: number[] = [];
  const lastColon = body.lastIndexOf(':');
  if (body.includes('.', lastColon)) {
    tail = parseV4(body.slice(lastColon + 1));
    body = `${body.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = body.split('::');
  const groups = (part: string | undefined): number[] =>
    part === undefined || part === '' ? [] : part.split(':').map((g) => parseInt(g, 16));
  const left = groups(head);
  const right = groups(rest);
  const words =
    rest === undefined
      ? left
      : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

function classifyV6(bytes: readonly number[]): BlockedReason | undefined {
  const zeros = (from: number, to: number): boolean => bytes.slice(from, to).every((b) => b === 0);
  if (zeros(0, 16)) return 'unspecified';
  if (zeros(0, 15) && bytes[15] === 1) return 'loopback';
  // IPv4-mapped ::ffff:0:0/96 and IPv4-compatible ::/96: judged as their IPv4 address.
  if (zeros(0, 10) && ((bytes[10] === 0xff && bytes[11] === 0xff) || zeros(10, 12))) {
    return classify(bytes.slice(12), V4_RANGES);
  }
  // NAT64 64:ff9b::/96 and 6to4 2002::/16 reach the IPv4 address they embed.
  if (inRange(bytes, [0x00, 0x64, 0xff, 0x9b], 96)) return classify(bytes.slice(12), V4_RANGES);
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return classify(bytes.slice(2, 6), V4_RANGES);
  return classify(bytes, V6_RANGES);
}

/**
 * Why an IP address may not be called, or `undefined` when it is a public address.
 * Anything that is not an IP address is refused as `reserved`.
 */
export function blockedAddressReason(address: string): BlockedReason | undefined {
  const bare = stripBrackets(address).split('%')[0] ?? '';
  switch (isIP(bare)) {
    case 4:
      return classify(parseV4(bare), V4_RANGES);
    case 6:
      return classifyV6(parseV6(bare));
    default:
      return 'reserved';
  }
}

/** A URL's host without the brackets of an IPv6 literal, lower-cased. */
export function stripBrackets(host: string): string {
  const lower = host.toLowerCase();
  return lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
}

/** Whether operator config lets `host` resolve to non-public addresses (and be called over http://). */
export function isPrivateAllowed(allow: boolean | readonly string[], host: string): boolean {
  if (allow === true) return true;
  if (allow === false) return false;
  const bare = stripBrackets(host);
  return allow.some((entry) => stripBrackets(entry) === bare);
}

/** Resolves with `node:dns` (all addresses, in the resolver's order). */
export const systemLookup: HostLookup = async (host) => {
  const found = await dnsLookup(host, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** The outcome of {@link resolveTarget}. */
export type TargetResolution =
  | { readonly kind: 'ok'; readonly address: ResolvedAddress }
  | { readonly kind: 'blocked'; readonly reason: BlockedReason }
  | { readonly kind: 'unresolved'; readonly cause: unknown };

/**
 * Resolves a URL host (an IP literal is taken as it is) and checks every address it
 * resolves to; the first address is the one to connect to. With `allowPrivate` true
 * the addresses are not checked.
 */
export async function resolveTarget(
  host: string,
  options: { readonly lookup: HostLookup; readonly allowPrivate: boolean },
): Promise<TargetResolution> {
  const bare = stripBrackets(host);
  const literal = isIP(bare);
  let addresses: readonly ResolvedAddress[];
  if (literal === 4 || literal === 6) {
    addresses = [{ address: bare, family: literal }];
  } else {
    try {
      addresses = await options.lookup(bare);
    } catch (cause) {
      return { kind: 'unresolved', cause };
    }
  }
  const first = addresses[0];
  if (first === undefined) return { kind: 'unresolved', cause: new Error('no addresses') };
  if (!options.allowPrivate) {
    for (const { address } of addresses) {
      const reason = blockedAddressReason(address);
      if (reason !== undefined) return { kind: 'blocked', reason };
    }
  }
  return { kind: 'ok', address: first };
}
