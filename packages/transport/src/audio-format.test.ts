import { describe, expect, it } from 'vitest';
import {
  createResampler,
  decodeAlaw,
  decodeMulaw,
  encodeAlaw,
  encodeMulaw,
} from '@prx-voice/media';
import type { SampleRate } from '@prx-voice/media';
import { VoiceError } from '@prx-voice/types';
import {
  audioFormatJson,
  audioFormatSchema,
  createInboundConverter,
  createOutboundConverter,
  DEFAULT_INPUT_FORMAT,
  DEFAULT_OUTPUT_FORMAT,
  WIRE_SAMPLE_RATES,
} from './audio-format.js';
import type { WireAudioFormat } from './audio-format.js';

/** A deterministic test signal: a 440 Hz tone plus a slower one, loud enough to exercise G.711. */
function signal(rate: number, samples: number): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) {
    const t = i / rate;
    out[i] = Math.round(
      9000 * Math.sin(2 * Math.PI * 440 * t) + 3000 * Math.sin(2 * Math.PI * 97 * t),
    );
  }
  return out;
}

function leBytes(samples: Int16Array): Uint8Array {
  const bytes = new Uint8Array(samples.length * 2);
  const view = new DataView(bytes.buffer);
  samples.forEach((s, i) => {
    view.setInt16(i * 2, s, true);
  });
  return bytes;
}

function concat16(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function concat8(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const ALL_FORMATS: WireAudioFormat[] = [
  ...WIRE_SAMPLE_RATES.pcm16.map((rate): WireAudioFormat => ({
    encoding: 'pcm16',
    sampleRate: rate,
  })),
  { encoding: 'mulaw', sampleRate: 8000 },
  { encoding: 'alaw', sampleRate: 8000 },
];
const ENGINE_RATES: SampleRate[] = [8000, 16000, 24000, 48000];

describe('audioFormatSchema', () => {
  it('accepts every wire format and yields the internal form', () => {
    for (const format of ALL_FORMATS) {
      expect(audioFormatSchema.parse(audioFormatJson(format))).toEqual(format);
      expect(
        audioFormatSchema.parse({ encoding: format.encoding, sample_rate: format.sampleRate }),
      ).toEqual(format);
    }
  });

  it('defaults are PCM16 16 kHz in and 24 kHz out', () => {
    expect(DEFAULT_INPUT_FORMAT).toEqual({ encoding: 'pcm16', sampleRate: 16000 });
    expect(DEFAULT_OUTPUT_FORMAT).toEqual({ encoding: 'pcm16', sampleRate: 24000 });
    expect(audioFormatJson(DEFAULT_OUTPUT_FORMAT)).toEqual({
      encoding: 'pcm16',
      sample_rate: 24000,
      channels: 1,
    });
  });

  it('names the field and the allowed values', () => {
    const badEncoding = audioFormatSchema.safeParse({ encoding: 'opus', sample_rate: 48000 });
    expect(badEncoding.success).toBe(false);
    const encodingIssue = badEncoding.error?.issues[0];
    expect(encodingIssue?.path).toEqual(['encoding']);
    expect(encodingIssue?.message).toBe('expected one of pcm16, mulaw, alaw');

    const badRate = audioFormatSchema.safeParse({ encoding: 'mulaw', sample_rate: 16000 });
    const rateIssue = badRate.error?.issues[0];
    expect(rateIssue?.path).toEqual(['sample_rate']);
    expect(rateIssue?.message).toBe('mulaw allows 8000 Hz, not 16000');

    const pcmRate = audioFormatSchema.safeParse({ encoding: 'pcm16', sample_rate: 22050 });
    expect(pcmRate.error?.issues[0]?.message).toBe(
      'pcm16 allows 8000, 16000, 24000, 48000 Hz, not 22050',
    );

    expect(
      audioFormatSchema.safeParse({ encoding: 'pcm16', sample_rate: 16000, channels: 2 }).success,
    ).toBe(false);
    expect(audioFormatSchema.safeParse({ encoding: 'pcm16', sampleRate: 16000 }).success).toBe(
      false,
    );
  });
});

describe('createInboundConverter', () => {
  it('views aligned PCM16 at the engine rate without copying', () => {
    const samples = signal(16000, 320);
    const bytes = leBytes(samples);
    const inbound = createInboundConverter({ encoding: 'pcm16', sampleRate: 16000 }, 16000);
    const out = inbound.convert(bytes);
    expect(out.buffer).toBe(bytes.buffer);
    expect(Array.from(out)).toEqual(Array.from(samples));
  });

  it('reads PCM16 at an odd byte offset correctly, into a reused buffer', () => {
    const samples = signal(16000, 320);
    const backing = new Uint8Array(641);
    backing.set(leBytes(samples), 1);
    const inbound = createInboundConverter({ encoding: 'pcm16', sampleRate: 16000 }, 16000);
    const first = inbound.convert(backing.subarray(1));
    expect(Array.from(first)).toEqual(Array.from(samples));
    const second = inbound.convert(backing.subarray(1));
    expect(second.buffer).toBe(first.buffer);
  });

  it('refuses odd-length PCM16 with INVALID_AUDIO and keeps its stream state', () => {
    const frames = Array.from({ length: 4 }, (_, i) =>
      signal(16000, 1280).subarray(i * 320, (i + 1) * 320),
    );
    const reference = createInboundConverter({ encoding: 'pcm16', sampleRate: 16000 }, 24000);
    const withError = createInboundConverter({ encoding: 'pcm16', sampleRate: 16000 }, 24000);
    const expected = frames.map((f) => Int16Array.from(reference.convert(leBytes(f))));
    const got: Int16Array[] = [];
    for (const [i, frame] of frames.entries()) {
      if (i === 2) {
        let error: unknown;
        try {
          withError.convert(new Uint8Array(7));
        } catch (err) {
          error = err;
        }
        expect(VoiceError.is(error) && error.code).toBe('INVALID_AUDIO');
      }
      got.push(Int16Array.from(withError.convert(leBytes(frame))));
    }
    expect(got).toEqual(expected);
  });

  it('decodes G.711 bit-exactly at 8 kHz', () => {
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const mulaw = createInboundConverter({ encoding: 'mulaw', sampleRate: 8000 }, 8000);
    const first = mulaw.convert(codes);
    expect(Array.from(first)).toEqual(Array.from(decodeMulaw(codes)));
    expect(mulaw.convert(codes).buffer).toBe(first.buffer); // decoded into a reused buffer
    const alaw = createInboundConverter({ encoding: 'alaw', sampleRate: 8000 }, 8000);
    expect(Array.from(alaw.convert(codes))).toEqual(Array.from(decodeAlaw(codes)));
  });

  it('decodes then resamples G.711 to the engine rate, statefully across frames', () => {
    const pcm = signal(8000, 8000);
    const mulaw = encodeMulaw(pcm);
    const inbound = createInboundConverter({ encoding: 'mulaw', sampleRate: 8000 }, 16000);
    const reference = createResampler({ from: 8000, to: 16000 });
    const parts: Int16Array[] = [];
    for (let at = 0; at < mulaw.length; at += 160)
      parts.push(Int16Array.from(inbound.convert(mulaw.subarray(at, at + 160))));
    const expected = reference.process(decodeMulaw(mulaw));
    expect(Array.from(concat16(parts))).toEqual(Array.from(expected));
  });
});

describe('createOutboundConverter', () => {
  it('sends engine PCM16 at the same rate as its own little-endian bytes', () => {
    const samples = signal(24000, 480);
    const outbound = createOutboundConverter(24000, DEFAULT_OUTPUT_FORMAT);
    expect(Array.from(outbound.convert(samples))).toEqual(Array.from(leBytes(samples)));
    expect(Array.from(outbound.convertToNew(samples))).toEqual(Array.from(leBytes(samples)));
  });

  it('G.711 bytes equal encodeMulaw / encodeAlaw of the resampled signal', () => {
    const engine = signal(24000, 24000);
    for (const encoding of ['mulaw', 'alaw'] as const) {
      const outbound = createOutboundConverter(24000, { encoding, sampleRate: 8000 });
      const reference = createResampler({ from: 24000, to: 8000 });
      const parts: Uint8Array[] = [];
      for (let at = 0; at < engine.length; at += 480)
        parts.push(Uint8Array.from(outbound.convert(engine.subarray(at, at + 480))));
      const resampled = reference.process(engine);
      const expected = encoding === 'mulaw' ? encodeMulaw(resampled) : encodeAlaw(resampled);
      expect(concat8(parts)).toEqual(expected);
    }
  });

  it('convert reuses its buffer; convertToNew gives a fresh one each call', () => {
    const outbound = createOutboundConverter(8000, { encoding: 'mulaw', sampleRate: 8000 });
    const frame = signal(8000, 160);
    const a = outbound.convert(frame);
    const b = outbound.convert(frame);
    expect(b.buffer).toBe(a.buffer);
    const c = outbound.convertToNew(frame);
    const d = outbound.convertToNew(frame);
    expect(c.buffer).not.toBe(d.buffer);
    expect(c).toEqual(encodeMulaw(frame));
    expect(c.length).toBe(160);
  });

  it('reset drops what the resampler holds back', () => {
    const outbound = createOutboundConverter(24000, { encoding: 'pcm16', sampleRate: 16000 });
    const fresh = createOutboundConverter(24000, { encoding: 'pcm16', sampleRate: 16000 });
    outbound.convert(signal(24000, 480));
    outbound.reset();
    const frame = signal(24000, 480);
    expect(Array.from(outbound.convert(frame))).toEqual(Array.from(fresh.convert(frame)));
  });
});

describe('round trips', () => {
  it('PCM16 wire → engine → wire at one rate is the identity', () => {
    for (const rate of WIRE_SAMPLE_RATES.pcm16) {
      const format: WireAudioFormat = { encoding: 'pcm16', sampleRate: rate };
      const bytes = leBytes(signal(rate, rate / 50));
      const samples = createInboundConverter(format, rate).convert(bytes);
      expect(createOutboundConverter(rate, format).convertToNew(samples)).toEqual(bytes);
    }
  });

  it('G.711 wire → engine 8 kHz → wire returns the same codes', () => {
    // µ-law 0x7F is "negative zero": it decodes to 0, which encodes as 0xFF.
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i).filter((c) => c !== 0x7f);
    for (const encoding of ['mulaw', 'alaw'] as const) {
      const format: WireAudioFormat = { encoding, sampleRate: 8000 };
      const samples = createInboundConverter(format, 8000).convert(codes);
      expect(createOutboundConverter(8000, format).convertToNew(samples)).toEqual(codes);
    }
  });

  it('a tone survives wire 8 kHz µ-law → engine 16 kHz → wire 8 kHz µ-law, time-aligned', () => {
    const tone = signal(8000, 4000);
    const wire = encodeMulaw(tone);
    const inbound = createInboundConverter({ encoding: 'mulaw', sampleRate: 8000 }, 16000);
    const outbound = createOutboundConverter(16000, { encoding: 'mulaw', sampleRate: 8000 });
    const parts: Uint8Array[] = [];
    for (let at = 0; at < wire.length; at += 160) {
      parts.push(outbound.convertToNew(inbound.convert(wire.subarray(at, at + 160))));
    }
    const back = decodeMulaw(concat8(parts));
    // The resamplers are zero-phase: sample i still lies at time i; only the tail is held back.
    expect(back.length).toBeGreaterThan(tone.length - 160);
    let errorPower = 0;
    let power = 0;
    for (let i = 200; i < back.length; i++) {
      const want = tone[i] ?? 0;
      errorPower += (want - (back[i] ?? 0)) ** 2;
      power += want ** 2;
    }
    expect(10 * Math.log10(power / errorPower)).toBeGreaterThan(25);
  });
});

describe('frame timing', () => {
  it.each(ALL_FORMATS.flatMap((format) => ENGINE_RATES.map((engine) => [format, engine] as const)))(
    'inbound %o → %i Hz: 20 ms in gives 20 ms out after the first frame',
    (format, engine) => {
      const inbound = createInboundConverter(format, engine);
      const frameIn = (format.sampleRate / 50) * (format.encoding === 'pcm16' ? 2 : 1);
      const frameOut = engine / 50;
      const bytes = new Uint8Array(frameIn).fill(format.encoding === 'pcm16' ? 0 : 0xff);
      let total = 0;
      for (let i = 0; i < 200; i++) {
        const n = inbound.convert(bytes).length;
        if (i > 0) expect(n).toBe(frameOut);
        total += n;
      }
      const held = 200 * frameOut - total;
      expect(held).toBeGreaterThanOrEqual(0);
      expect(held).toBeLessThan(frameOut);
    },
  );

  it.each(ALL_FORMATS.flatMap((format) => ENGINE_RATES.map((engine) => [engine, format] as const)))(
    'outbound %i Hz → %o: 20 ms in gives 20 ms out after the first frame',
    (engine, format) => {
      const outbound = createOutboundConverter(engine, format);
      const perSample = format.encoding === 'pcm16' ? 2 : 1;
      const frameOut = (format.sampleRate / 50) * perSample;
      const frame = signal(engine, engine / 50);
      let total = 0;
      for (let i = 0; i < 200; i++) {
        const n = outbound.convertToNew(frame).byteLength;
        if (i > 0) expect(n).toBe(frameOut);
        total += n;
      }
      const held = 200 * frameOut - total;
      expect(held).toBeGreaterThanOrEqual(0);
      expect(held).toBeLessThan(frameOut);
    },
  );
});
