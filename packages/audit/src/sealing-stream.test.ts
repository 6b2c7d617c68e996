import { randomBytes } from 'node:crypto';
import { VoiceError } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import { newDataKey } from './sealing.js';
import { openStream, sealStream, sealedSize } from './sealing-stream.js';

const AAD = 'ten_1\0subj_0123';
const HEADER = 16;
const TAG = 16;

/** Yields `bytes` in pieces of the given sizes, cycling; the whole at once by default. */
async function* pieces(
  bytes: Uint8Array,
  sizes: readonly number[] = [bytes.length],
): AsyncGenerator<Uint8Array> {
  let offset = 0;
  for (let i = 0; offset < bytes.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length] ?? 1);
    await Promise.resolve();
    yield bytes.subarray(offset, offset + size);
    offset += size;
  }
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const bytes of source) out.push(Buffer.from(bytes));
  return Buffer.concat(out);
}

async function seal(key: Uint8Array, plain: Uint8Array, chunkBytes?: number): Promise<Buffer> {
  const opts = chunkBytes === undefined ? {} : { chunkBytes };
  return collect(sealStream(key, pieces(plain), AAD, opts));
}

async function open(
  key: Uint8Array,
  sealed: Uint8Array,
  aad = AAD,
  sizes?: number[],
): Promise<Buffer> {
  return collect(openStream(key, pieces(sealed, sizes), aad));
}

/** Splits a sealed stream into its header and records. */
function split(sealed: Buffer, chunkBytes: number): { header: Buffer; records: Buffer[] } {
  const records: Buffer[] = [];
  for (let at = HEADER; at < sealed.length; at += chunkBytes + TAG) {
    records.push(sealed.subarray(at, at + chunkBytes + TAG));
  }
  return { header: sealed.subarray(0, HEADER), records };
}

/** Hex, so large buffers compare fast and differ readably. */
function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function flipBit(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return copy;
}

async function expectFailure(promise: Promise<unknown>, reason: string): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(VoiceError.is(error)).toBe(true);
  expect(error).toMatchObject({ code: 'INTERNAL', retryable: false, details: { reason } });
}

describe('sealed streams', () => {
  const key = newDataKey();

  it.each([
    ['empty', 0, 16],
    ['shorter than a record', 5, 16],
    ['one record less a byte', 15, 16],
    ['an exact record', 16, 16],
    ['an exact multiple', 64, 16],
    ['several records and a short one', 16 * 7 + 3, 16],
    ['the default record size, several', 65_536 * 2 + 100, undefined],
    ['one-byte records', 9, 1],
  ])('round-trips %s, sized as sealedSize says', async (_name, length, chunkBytes) => {
    const plain = randomBytes(length);
    const sealed = await seal(key, plain, chunkBytes);
    expect(sealed.length).toBe(sealedSize(length, chunkBytes));
    expect(sealed.subarray(0, 5).toString('latin1')).toBe('PRXS\x01');
    expect(sealed.readUInt32BE(5)).toBe(chunkBytes ?? 65_536);
    expect(hex(await open(key, sealed))).toBe(hex(plain));
  });

  it('ends with an empty final record when the plaintext is empty or an exact multiple', async () => {
    expect(sealedSize(0, 16)).toBe(HEADER + TAG);
    expect(sealedSize(32, 16)).toBe(HEADER + 32 + 3 * TAG);
    expect(sealedSize(33, 16)).toBe(HEADER + 33 + 3 * TAG);
    expect(sealedSize(100_000)).toBe(HEADER + 100_000 + 2 * TAG);
    expect((await seal(key, Buffer.alloc(0), 16)).length).toBe(HEADER + TAG);
  });

  it('opens whatever the input chunking: 1 byte, odd sizes, all at once', async () => {
    const plain = randomBytes(16 * 5 + 7);
    const sealed = await seal(key, plain, 16);
    for (const sizes of [[1], [3], [7, 1, 31, 2], [17], [32], [1000]]) {
      expect(hex(await open(key, sealed, AAD, sizes))).toBe(hex(plain));
    }
  });

  it('seals whatever the input chunking, with fresh nonces each time', async () => {
    const plain = randomBytes(100);
    const sealed = await collect(
      sealStream(key, pieces(plain, [1, 5, 33]), AAD, { chunkBytes: 16 }),
    );
    expect(sealed.length).toBe(sealedSize(100, 16));
    expect(hex(await open(key, sealed))).toBe(hex(plain));
    expect(await seal(key, plain, 16)).not.toEqual(sealed);
  });

  it('never holds the whole object: records come out as input goes in', async () => {
    let fed = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        fed += 10;
        await Promise.resolve();
        yield new Uint8Array(10);
      }
    }
    let sealedBytes = 0;
    for await (const bytes of sealStream(key, endless(), AAD, { chunkBytes: 16 })) {
      sealedBytes += bytes.length;
      if (sealedBytes >= HEADER + 10 * (16 + TAG)) break;
    }
    expect(fed).toBeLessThanOrEqual(10 * 16 + 20);
  });

  it('refuses a wrong key or a wrong aad', async () => {
    const sealed = await seal(key, randomBytes(40), 16);
    await expectFailure(open(newDataKey(), sealed), 'authentication_failed');
    await expectFailure(open(key, sealed, 'ten_2\0subj_0123'), 'authentication_failed');
    const empty = await seal(key, Buffer.alloc(0), 16);
    await expectFailure(open(key, empty, 'other'), 'authentication_failed');
  });

  it('refuses any flipped bit: magic, version, chunk size, nonce prefix, records and tags', async () => {
    const sealed = await seal(key, randomBytes(40), 16);
    await expectFailure(open(key, flipBit(sealed, 0)), 'malformed');
    await expectFailure(open(key, flipBit(sealed, 4)), 'unsupported_version');
    // The top byte of chunkBytes: past the 16 MiB limit, refused before any record.
    await expectFailure(open(key, flipBit(sealed, 5)), 'malformed');
    for (let at = 6; at < sealed.length; at++) {
      await expectFailure(open(key, flipBit(sealed, at)), 'authentication_failed');
    }
  });

  it('refuses a changed chunk size even of a one-record stream', async () => {
    const sealed = await seal(key, randomBytes(10), 16);
    const bigger = Buffer.from(sealed);
    bigger.writeUInt32BE(4096, 5);
    await expectFailure(open(key, bigger), 'authentication_failed');
    const zero = Buffer.from(sealed);
    zero.writeUInt32BE(0, 5);
    await expectFailure(open(key, zero), 'malformed');
  });

  it('refuses a truncated stream: no final record, a cut record, a cut header', async () => {
    const sealed = await seal(key, randomBytes(16 * 3 + 5), 16);
    const { records } = split(sealed, 16);
    const withoutLast = sealed.subarray(0, sealed.length - (records.at(-1)?.length ?? 0));
    await expectFailure(open(key, withoutLast), 'truncated');
    await expectFailure(open(key, sealed.subarray(0, HEADER)), 'truncated');
    await expectFailure(open(key, sealed.subarray(0, HEADER + 20)), 'authentication_failed');
    await expectFailure(open(key, sealed.subarray(0, sealed.length - 1)), 'authentication_failed');
    await expectFailure(open(key, sealed.subarray(0, HEADER + 16 + TAG + 3)), 'truncated');
    await expectFailure(open(key, sealed.subarray(0, 9)), 'truncated');
    await expectFailure(open(key, Buffer.alloc(0)), 'truncated');
    const exact = await seal(key, randomBytes(32), 16);
    await expectFailure(open(key, exact.subarray(0, exact.length - TAG)), 'truncated');
  });

  it('refuses data after the final record', async () => {
    for (const length of [0, 5, 32, 37]) {
      const sealed = await seal(key, randomBytes(length), 16);
      for (const extra of [1, 15, 16, 32, 100]) {
        const appended = Buffer.concat([sealed, randomBytes(extra)]);
        await expectFailure(open(key, appended), 'authentication_failed');
      }
      const twice = Buffer.concat([sealed, sealed.subarray(HEADER)]);
      await expectFailure(open(key, twice), 'authentication_failed');
    }
  });

  it('refuses swapped, dropped and duplicated records', async () => {
    const sealed = await seal(key, randomBytes(16 * 3 + 5), 16);
    const { header, records } = split(sealed, 16);
    const [r0, r1, r2, r3] = records as [Buffer, Buffer, Buffer, Buffer];
    await expectFailure(
      open(key, Buffer.concat([header, r1, r0, r2, r3])),
      'authentication_failed',
    );
    await expectFailure(open(key, Buffer.concat([header, r0, r2, r3])), 'authentication_failed');
    await expectFailure(
      open(key, Buffer.concat([header, r0, r0, r1, r2, r3])),
      'authentication_failed',
    );
    // A record of another stream under the same key does not fit either.
    const other = split(await seal(key, randomBytes(16 * 3 + 5), 16), 16).records;
    await expectFailure(
      open(key, Buffer.concat([header, r0, other[1] ?? r1, r2, r3])),
      'authentication_failed',
    );
  });

  it('yields only authentic records before it fails', async () => {
    const plain = randomBytes(16 * 3);
    const sealed = await seal(key, plain, 16);
    const out: Buffer[] = [];
    const bad = flipBit(sealed, HEADER + 2 * (16 + TAG) + 1);
    await expect(
      (async () => {
        for await (const bytes of openStream(key, pieces(bad, [5]), AAD))
          out.push(Buffer.from(bytes));
      })(),
    ).rejects.toThrow(VoiceError);
    expect(hex(Buffer.concat(out))).toBe(hex(plain.subarray(0, 32)));
  });

  it('checks its arguments up front', () => {
    expect(() => sealStream(key, pieces(Buffer.alloc(1)), AAD, { chunkBytes: 0 })).toThrow(
      /chunkBytes/,
    );
    expect(() => sealStream(key, pieces(Buffer.alloc(1)), AAD, { chunkBytes: 1.5 })).toThrow(
      VoiceError,
    );
    expect(() => sealStream(new Uint8Array(16), pieces(Buffer.alloc(1)), AAD)).toThrow(/32 bytes/);
    expect(() => openStream(new Uint8Array(31), pieces(Buffer.alloc(1)), AAD)).toThrow(VoiceError);
    expect(() => sealedSize(-1)).toThrow(VoiceError);
    expect(() => sealedSize(2 ** 40, 1)).toThrow(VoiceError);
  });
});
