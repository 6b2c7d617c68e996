import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { generateTone, wavHeader } from '@prx-voice/media';
import type { SampleRate } from '@prx-voice/media';
import { OGG_OPUS_CONTENT_TYPE, wavToOggOpus } from './recording-opus.js';

const dir = mkdtempSync(join(tmpdir(), 'prx-recording-opus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stereo PCM16 WAV: a 1 kHz tone on the left from `leftMs`, 440 Hz on the right from `rightMs`, 300 ms each. */
function stereoWav(rate: SampleRate, totalMs: number, leftMs: number, rightMs: number): Buffer {
  const frames = Math.round((rate * totalMs) / 1000);
  const pcm = new Int16Array(frames * 2);
  const place = (channel: 0 | 1, atMs: number, hz: number): void => {
    const tone = generateTone({
      sampleRate: rate,
      frequencyHz: hz,
      durationMs: 300,
      amplitude: 0.5,
    });
    const at = Math.round((rate * atMs) / 1000);
    tone.samples.forEach((x, i) => {
      pcm[(at + i) * 2 + channel] = x;
    });
  };
  place(0, leftMs, 1000);
  place(1, rightMs, 440);
  const data = Buffer.from(pcm.buffer);
  return Buffer.concat([
    Buffer.from(wavHeader({ sampleRate: rate, channels: 2, dataBytes: data.length })),
    data,
  ]);
}

/** The WAV split into chunks of `size` bytes (odd sizes split samples), as a store would stream it. */
async function* chunks(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
  await Promise.resolve();
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part as Uint8Array));
  return Buffer.concat(parts);
}

/** The samples of a 48 kHz stereo PCM16 WAV file (what opusdec writes), checked to be that. */
function stereoOf(file: Buffer): { samples: Int16Array } {
  expect(file.toString('latin1', 0, 4)).toBe('RIFF');
  const fmt = file.indexOf('fmt ', 12, 'latin1');
  expect(file.readUInt16LE(fmt + 10)).toBe(2);
  expect(file.readUInt32LE(fmt + 12)).toBe(48000);
  expect(file.readUInt16LE(fmt + 22)).toBe(16);
  const data = file.indexOf('data', fmt, 'latin1');
  const bytes = file.subarray(data + 8, data + 8 + file.readUInt32LE(data + 4));
  return {
    samples: new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)),
  };
}

/** Index of the first sample louder than a third of the tone's peak. */
function onset(samples: Int16Array, step: number, offset: number): number {
  for (let i = offset; i < samples.length; i += step)
    if (Math.abs(samples[i] as number) > 5000) return (i - offset) / step;
  return -1;
}

describe('wavToOggOpus', () => {
  it('is content type audio/ogg with the opus codec', () => {
    expect(OGG_OPUS_CONTENT_TYPE).toBe('audio/ogg; codecs=opus');
  });

  it.each([24000, 16000, 44100] as const)(
    'encodes a %d Hz stereo recording that opus-tools accept and decode with both channels in place',
    async (rate) => {
      const wav = stereoWav(rate, 2000, 250, 1200);
      const ogg = await collect(wavToOggOpus(chunks(wav, 4097)));
      expect(ogg.length).toBeLessThan(wav.length / 4);
      const file = join(dir, `r${rate}.opus`);
      writeFileSync(file, ogg);
      // An independent reader: opusinfo checks the pages (CRCs, granules, headers).
      const info = execFileSync('opusinfo', [file], { encoding: 'utf8' });
      expect(info).toMatch(/Channels: 2/);
      expect(info).not.toMatch(/WARNING|ERROR/i);
      const out = join(dir, `r${rate}.wav`);
      execFileSync('opusdec', ['--quiet', '--rate', '48000', file, out]);
      const decoded = stereoOf(readFileSync(out));
      // The same length (pre-skip and the last packet's padding trimmed), within a sample.
      expect(Math.abs(decoded.samples.length / 2 - 2 * 48000)).toBeLessThanOrEqual(1);
      const msOf = (frames: number): number => (frames * 1000) / 48000;
      // Each tone on its own channel, where it was, within 2 ms; silent on the other.
      expect(Math.abs(msOf(onset(decoded.samples, 2, 0)) - 250)).toBeLessThanOrEqual(2);
      expect(Math.abs(msOf(onset(decoded.samples, 2, 1)) - 1200)).toBeLessThanOrEqual(2);
    },
    60_000,
  );

  it('fails with a clear error on a file that is not a PCM16 WAV', async () => {
    const bad = Buffer.from('RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x03\0\x02\0');
    await expect(
      collect(wavToOggOpus(chunks(Buffer.concat([bad, Buffer.alloc(64)]), 7))),
    ).rejects.toThrow(/not a PCM16 WAV: not 16-bit PCM/);
    await expect(collect(wavToOggOpus(chunks(Buffer.from('nope, not audio'), 5)))).rejects.toThrow(
      /no RIFF\/WAVE header/,
    );
  });
});
