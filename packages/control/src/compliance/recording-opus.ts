/**
 * A stored recording (a PCM16 WAV file) re-encoded on its way out as Ogg Opus: 20 ms
 * packets from libopus (`@evan/opus`: native or WASM, in the package) in the Ogg
 * encapsulation of `@prx-voice/media`, streamed — the file is never held whole. Rates Opus
 * takes (8, 16, 24, 48 kHz) are encoded as they are; 22.05 and 44.1 kHz are resampled to
 * 48 kHz first. About a tenth of the WAV's size at 64 kbit/s stereo.
 */
import { randomInt } from 'node:crypto';
import { Readable } from 'node:stream';
import { Encoder } from '@evan/opus';
import { assertSampleRate, createOggOpusMuxer, createResampler } from '@prx-voice/media';
import type { Resampler, SampleRate } from '@prx-voice/media';
import { VoiceError } from '@prx-voice/types';

/** The content type of what {@link wavToOggOpus} makes. */
export const OGG_OPUS_CONTENT_TYPE = 'audio/ogg; codecs=opus';

/** libopus' OPUS_GET_LOOKAHEAD_REQUEST: the encoder's delay, in samples at its rate. */
const GET_LOOKAHEAD = 4027;
const OPUS_RATES: readonly number[] = [8000, 12000, 16000, 24000, 48000];
const FRAME_MS = 20;

/** What the WAV's header says. */
interface WavFormat {
  readonly channels: 1 | 2;
  readonly sampleRate: SampleRate;
}

function badWav(message: string): VoiceError {
  return new VoiceError('INTERNAL', {
    message: `the stored recording is not a PCM16 WAV: ${message}`,
  });
}

/** Reads the RIFF header off the stream's first bytes; returns the format and where the samples start. */
function parseHeader(head: Buffer): { format: WavFormat; dataAt: number } | undefined {
  if (head.length < 12) return undefined;
  if (head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE')
    throw badWav('no RIFF/WAVE header');
  let at = 12;
  let format: WavFormat | undefined;
  while (at + 8 <= head.length) {
    const id = head.toString('latin1', at, at + 4);
    const size = head.readUInt32LE(at + 4);
    if (id === 'data') {
      if (format === undefined) throw badWav('data before fmt');
      return { format, dataAt: at + 8 };
    }
    if (at + 8 + size > head.length) return undefined; // the chunk is not all here yet
    if (id === 'fmt ') {
      const channels = head.readUInt16LE(at + 10);
      const bits = head.readUInt16LE(at + 22);
      if (head.readUInt16LE(at + 8) !== 1 || bits !== 16) throw badWav('not 16-bit PCM');
      if (channels !== 1 && channels !== 2) throw badWav(`${channels} channels`);
      format = { channels, sampleRate: assertSampleRate(head.readUInt32LE(at + 12)) };
    }
    at += 8 + size + (size % 2);
  }
  return undefined;
}

/**
 * Interleaved PCM16 → interleaved PCM16 at 48 kHz, one streaming resampler per channel;
 * `undefined` flushes what the resamplers hold back.
 */
function stereoResampler(
  channels: 1 | 2,
  from: SampleRate,
): (pcm: Int16Array | undefined) => Int16Array {
  const per: Resampler[] = Array.from({ length: channels }, () =>
    createResampler({ from, to: 48000 }),
  );
  return (pcm) => {
    const frames = pcm === undefined ? 0 : pcm.length / channels;
    const outs = per.map((r, c) => {
      if (pcm === undefined) return r.flush().slice();
      const mono = new Int16Array(frames);
      for (let i = 0; i < frames; i++) mono[i] = pcm[i * channels + c] as number;
      return r.process(mono).slice();
    });
    const n = Math.min(...outs.map((o) => o.length));
    const out = new Int16Array(n * channels);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < channels; c++)
        out[i * channels + c] = (outs[c] as Int16Array)[i] as number;
    return out;
  };
}

/**
 * Streams `wav` (a PCM16 mono or stereo WAV file) out as Ogg Opus. A stream that is not such
 * a file fails with INTERNAL (stored recordings always are).
 */
export function wavToOggOpus(wav: AsyncIterable<Uint8Array>, bitrate = 64_000): Readable {
  async function* encode(): AsyncGenerator<Uint8Array> {
    let head: Buffer = Buffer.alloc(0);
    let format: WavFormat | undefined;
    let pending: Buffer = Buffer.alloc(0);
    const iterator = wav[Symbol.asyncIterator]();
    while (format === undefined) {
      const next = await iterator.next();
      if (next.done === true) throw badWav('it ends before its samples');
      head = Buffer.concat([head, next.value]);
      const parsed = parseHeader(head);
      if (parsed !== undefined) {
        format = parsed.format;
        pending = head.subarray(parsed.dataAt);
      }
    }
    const { channels } = format;
    const native = OPUS_RATES.includes(format.sampleRate);
    const rate = native ? format.sampleRate : 48000;
    const resample = native ? undefined : stereoResampler(channels, format.sampleRate);
    const encoder = new Encoder({ channels, sample_rate: rate as 48000, application: 'audio' });
    encoder.bitrate = bitrate;
    const to48k = 48000 / rate;
    const preSkip = Math.round(encoder.ctl(GET_LOOKAHEAD) * to48k);
    const mux = createOggOpusMuxer({
      channels,
      inputSampleRate: format.sampleRate,
      preSkip,
      serial: randomInt(0, 2 ** 31),
    });
    yield mux.headers();
    const frameSamples = (rate * FRAME_MS) / 1000;
    const frameBytes = frameSamples * channels * 2;
    const frameAlign = 2 * channels;
    let raw: Buffer = Buffer.alloc(0); // input not yet a whole sample frame
    let carry: Buffer = Buffer.alloc(0); // samples at `rate` not yet a whole 20 ms frame
    let total = 0; // input sample frames encoded, at `rate`
    // `undefined`: the input has ended (what a resampler holds back comes out).
    const take = function* (bytes: Buffer | undefined): Generator<Uint8Array> {
      let pcm: Buffer;
      if (bytes === undefined) {
        if (resample === undefined) return;
        const out = resample(undefined);
        pcm = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
      } else {
        raw = raw.length === 0 ? bytes : Buffer.concat([raw, bytes]);
        const whole = raw.length - (raw.length % frameAlign);
        pcm = raw.subarray(0, whole);
        raw = raw.subarray(whole);
        if (resample !== undefined) {
          const out = resample(new Int16Array(Uint8Array.prototype.slice.call(pcm).buffer));
          pcm = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
        }
      }
      carry = carry.length === 0 ? pcm : Buffer.concat([carry, pcm]);
      let at = 0;
      while (carry.length - at >= frameBytes) {
        const frame = carry.subarray(at, at + frameBytes);
        at += frameBytes;
        total += frameSamples;
        const page = mux.packet(encoder.encode(frame), frameSamples * to48k);
        if (page !== undefined) yield page;
      }
      carry = carry.subarray(at);
    };
    yield* take(pending);
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) break;
      yield* take(Buffer.from(next.value));
    }
    yield* take(undefined);
    // The last partial frame padded with silence, then silence until the encoder's look-ahead
    // has let all of the input out; the end's granule position trims the padding.
    total += carry.length / frameAlign;
    const end48k = Math.round(total * to48k);
    let encoded48k = (total - carry.length / frameAlign) * to48k;
    const last = Buffer.alloc(frameBytes);
    carry.copy(last);
    for (let frame = last; encoded48k < preSkip + end48k; frame = Buffer.alloc(frameBytes)) {
      const page = mux.packet(encoder.encode(frame), frameSamples * to48k);
      if (page !== undefined) yield page;
      encoded48k += frameSamples * to48k;
    }
    yield mux.end(end48k);
  }
  return Readable.from(encode());
}
