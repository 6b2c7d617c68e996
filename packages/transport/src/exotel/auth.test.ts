import { describe, expect, it } from 'vitest';
import { createIpAllowList, verifyExotelBasicAuth } from './auth.js';

const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('Exotel authentication', () => {
  it('accepts exactly the configured Basic credentials', () => {
    expect(verifyExotelBasicAuth(basic('key', 'token'), 'key', 'token')).toBe(true);
    expect(verifyExotelBasicAuth(basic('key', 'tokeN'), 'key', 'token')).toBe(false);
    expect(verifyExotelBasicAuth(basic('key', 'token:x'), 'key', 'token')).toBe(false);
    expect(verifyExotelBasicAuth('Bearer abc', 'key', 'token')).toBe(false);
    expect(verifyExotelBasicAuth(undefined, 'key', 'token')).toBe(false);
  });

  it('allows listed addresses and ranges, IPv4-mapped IPv6 included', () => {
    const list = createIpAllowList(['203.0.113.7', '198.51.100.0/24', '2001:db8::/32']);
    expect(list.allows('203.0.113.7')).toBe(true);
    expect(list.allows('::ffff:198.51.100.9')).toBe(true);
    expect(list.allows('2001:db8::1')).toBe(true);
    expect(list.allows('203.0.113.8')).toBe(false);
    expect(list.allows(undefined)).toBe(false);
    expect(list.allows('not-an-ip')).toBe(false);
    expect(createIpAllowList([]).allows('127.0.0.1')).toBe(false);
    expect(() => createIpAllowList(['10.0.0.0/33'])).toThrow(/10.0.0.0\/33/);
    expect(() => createIpAllowList(['example.com'])).toThrow(TypeError);
  });
});
