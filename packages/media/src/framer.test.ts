import { describe, expect, it } from 'vitest';
import { seededRandom } from '../test/signal.js';
import { createFramer } from './framer.js';

function stream(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + 7) & 0xff);
}

describe('createFramer', () => {
  it('reproduces the exact byte stream in whole frames for random split points', () => {
    const random = seededRandom(42);
    for (let trial = 0; trial < 50; trial++) {
      const frameBytes = 2 * (1 + Math.floor(random() * 400));
      const data = stream(Math.floor(random() * 5000));
      const framer = createFramer({ frameBytes });
      const frames: Uint8Array[] = [];
      for (let offset = 0; offset < data.length;) {
        const size = Math.min(data.length - offset, Math.floor(random() * 3 * frameBytes));
        framer.push(data.subarray(offset, offset + size), (frame) => {
          expect(frame.length).toBe(frameBytes);
          frames.push(Uint8Array.from(frame));
        });
        offset += size;
      }
      const tail = Uint8Array.from(framer.flush());
      expect(tail.length).toBe(data.length % frameBytes);
      expect(frames.length).toBe(Math.floor(data.length / frameBytes));
      expect(Buffer.concat([...frames, tail]).equals(Buffer.from(data))).toBe(true);
    }
  });

  it('works with 1-byte pushes and carries odd byte counts', () => {
    const framer = createFramer({ frameBytes: 4 });
    const frames: number[][] = [];
    const data = stream(11);
    for (let i = 0; i < data.length; i++) {
      framer.push(data.subarray(i, i + 1), (frame) => frames.push(Array.from(frame)));
      expect(framer.pendingBytes).toBe((i + 1) % 4);
    }
    expect(frames).toEqual([Array.from(data.subarray(0, 4)), Array.from(data.subarray(4, 8))]);
    expect(Array.from(framer.flush())).toEqual(Array.from(data.subarray(8)));
    expect(framer.pendingBytes).toBe(0);
  });

  it('emits frames that are views of the pushed chunk when aligned to it', () => {
    const framer = createFramer({ frameBytes: 640 });
    const chunk = stream(1280);
    const seen: Uint8Array[] = [];
    framer.push(chunk, (frame) => seen.push(frame));
    expect(seen).toHaveLength(2);
    expect(seen[0]!.buffer).toBe(chunk.buffer);
    expect(seen[1]!.byteOffset).toBe(chunk.byteOffset + 640);
  });

  it('flush({ pad: true }) zero-fills the last frame, and is empty when nothing is pending', () => {
    const framer = createFramer({ frameBytes: 6 });
    framer.push(Uint8Array.from([9, 9, 9, 9, 9, 9, 1, 2, 3]), () => undefined);
    expect(Array.from(framer.flush({ pad: true }))).toEqual([1, 2, 3, 0, 0, 0]);
    expect(framer.flush({ pad: true })).toHaveLength(0);
    expect(framer.flush()).toHaveLength(0);
    // After a padded flush the framer starts clean.
    const frames: number[][] = [];
    framer.push(Uint8Array.from([4, 5, 6, 7, 8, 9]), (f) => frames.push(Array.from(f)));
    expect(frames).toEqual([[4, 5, 6, 7, 8, 9]]);
  });

  it('rejects odd, zero, negative and fractional frame sizes with VALIDATION_FAILED', () => {
    for (const frameBytes of [0, -2, 3, 641, 2.5, Number.NaN]) {
      expect(() => createFramer({ frameBytes })).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED' }),
      );
    }
  });

  it('refuses a push from inside its own callback', () => {
    const framer = createFramer({ frameBytes: 2 });
    expect(() => {
      framer.push(Uint8Array.from([1, 2]), () => {
        framer.push(Uint8Array.from([3, 4]), () => undefined);
      });
    }).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    // Still usable afterwards.
    const frames: number[][] = [];
    framer.push(Uint8Array.from([5, 6]), (f) => frames.push(Array.from(f)));
    expect(frames).toEqual([[5, 6]]);
  });
});
