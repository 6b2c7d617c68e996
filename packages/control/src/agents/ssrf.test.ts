import { describe, expect, it } from 'vitest';
import { blockedAddressReason, isPrivateAllowed, resolveTarget } from './ssrf.js';

describe('blockedAddressReason', () => {
  it.each([
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.254', 'shared'],
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['169.254.169.254', 'link_local'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['febf::1', 'link_local'],
    ['fc00::1', 'unique_local'],
    ['fd12:3456::1', 'unique_local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['[::ffff:10.1.2.3]', 'private'],
    ['::ffff:a9fe:a9fe', 'link_local'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::a00:1', 'private'],
    ['2002:c0a8:0101::1', 'private'],
    ['2001:db8::1', 'reserved'],
    ['not-an-ip', 'reserved'],
  ])('refuses %s as %s', (address, reason) => {
    expect(blockedAddressReason(address)).toBe(reason);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '192.169.0.1',
    '169.255.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:0808:0808::1',
    'fe00::1',
  ])('allows the public address %s', (address) => {
    expect(blockedAddressReason(address)).toBeUndefined();
  });
});

describe('isPrivateAllowed', () => {
  it('matches hosts case-insensitively, with or without IPv6 brackets', () => {
    expect(isPrivateAllowed(true, 'anything')).toBe(true);
    expect(isPrivateAllowed(false, '127.0.0.1')).toBe(false);
    expect(isPrivateAllowed(['Tools.Internal'], 'tools.internal')).toBe(true);
    expect(isPrivateAllowed(['::1'], '[::1]')).toBe(true);
    expect(isPrivateAllowed(['127.0.0.1'], '127.0.0.2')).toBe(false);
  });
});

describe('resolveTarget', () => {
  const lookupOf =
    (...addresses: string[]) =>
    (): Promise<{ address: string; family: 4 | 6 }[]> =>
      Promise.resolve(
        addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      );

  it('refuses a host when any of its addresses is not public', async () => {
    const resolution = await resolveTarget('api.example.com', {
      lookup: lookupOf('93.184.216.34', '10.0.0.1'),
      allowPrivate: false,
    });
    expect(resolution).toEqual({ kind: 'blocked', reason: 'private' });
  });

  it('takes an IP literal as it is, without a lookup', async () => {
    const resolution = await resolveTarget('[2606:4700:4700::1111]', {
      lookup: () => Promise.reject(new Error('no lookup expected')),
      allowPrivate: false,
    });
    expect(resolution).toEqual({
      kind: 'ok',
      address: { address: '2606:4700:4700::1111', family: 6 },
    });
  });

  it('returns the first address to connect to, and reports failed lookups', async () => {
    expect(
      await resolveTarget('api.example.com', {
        lookup: lookupOf('8.8.8.8', '8.8.4.4'),
        allowPrivate: false,
      }),
    ).toEqual({ kind: 'ok', address: { address: '8.8.8.8', family: 4 } });
    expect(
      await resolveTarget('none.example', { lookup: lookupOf(), allowPrivate: false }),
    ).toMatchObject({
      kind: 'unresolved',
    });
    expect(
      await resolveTarget('none.example', {
        lookup: () => Promise.reject(new Error('ENOTFOUND')),
        allowPrivate: false,
      }),
    ).toMatchObject({ kind: 'unresolved' });
  });

  it('skips the check when private addresses are allowed', async () => {
    expect(
      await resolveTarget('db.internal', { lookup: lookupOf('10.0.0.5'), allowPrivate: true }),
    ).toEqual({
      kind: 'ok',
      address: { address: '10.0.0.5', family: 4 },
    });
  });
});
