import { describe, expect, it } from 'vitest';
import { OPUS_FRAME_SAMPLES, createOpusReceiver, createOpusSender } from './opus-audio.js';

/** `ms` of a 440 Hz tone at `rate`. */
function tone(rate: number, ms: number, amplitude = 8000): Int16Array {
  const n = (rate * ms) / 1000;
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++)
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * 440 * i) / rate));
  return out;
}

const rms = (s: Int16Array): number => {
  let sum = 0;
  for (const v of s) sum += v * v;
  return Math.sqrt(sum / Math.max(1, s.length));
};

describe('Opus sender and receiver', () => {
  it('cuts engine audio into 20 ms packets and decodes them back at the engine rate', () => {
    const sender = createOpusSender(24000);
    const packets: Uint8Array[] = [];
    // Frames of odd sizes: the sender keeps what does not fill a packet for the next call.
    const audio = tone(24000, 200);
    for (let i = 0; i < audio.length; i += 300)
      sender.write(audio.subarray(i, i + 300), (p) => packets.push(p.slice()));
    expect(packets.length).toBeGreaterThanOrEqual(9);
    expect(packets.length).toBeLessThanOrEqual(10);
    const receiver = createOpusReceiver(16000);
    const decoded: number[] = [];
    for (const p of packets) decoded.push(...receiver.frame(p));
    expect(decoded.length).toBeGreaterThan(16 * 20 * (packets.length - 1));
    expect(rms(Int16Array.from(decoded.slice(1600)))).toBeGreaterThan(3000);
  });

  it('conceals one lost frame with the last one at half level, then silence', () => {
    const sender = createOpusSender(48000);
    const packets: Uint8Array[] = [];
    sender.write(tone(48000, 100), (p) => packets.push(p.slice()));
    const receiver = createOpusReceiver(48000);
    let last = new Int16Array(0);
    for (const p of packets) last = receiver.frame(p).slice();
    const first = receiver.frame(undefined).slice();
    expect(first.length).toBe(OPUS_FRAME_SAMPLES);
    expect(rms(first)).toBeCloseTo(rms(last) / 2, -2);
    const second = receiver.frame(undefined);
    expect(rms(second)).toBe(0);
    expect(receiver.concealed).toBe(2);
    // A corrupt packet is counted and concealed, not thrown.
    expect(rms(receiver.frame(Uint8Array.of(0xff, 0xff, 0xff)))).toBe(0);
    expect(receiver.corrupt).toBe(1);
    expect(receiver.concealed).toBe(3);
  });
});
