/**
 * Opus (RFC 7587: 48 kHz RTP clock, 20 ms frames here) ↔ the engine's PCM16 mono.
 * In: each packet the jitter buffer releases is decoded (a stereo stream is asked for
 * mono: Opus downmixes) and resampled to the engine's input rate; a lost frame is
 * concealed by repeating the last decoded one at half level once, then by silence (the
 * codec binding has no PLC entry point). Out: engine-rate frames of any length are
 * resampled to 48 kHz and cut into 960-sample frames, each encoded into one packet.
 * The codec is `@evan/opus` (libopus, native binary or WASM in the package).
 */
import { Decoder, Encoder } from '@evan/opus';
import { createResampler } from '@prx-voice/media';
import type { Resampler, SampleRate } from '@prx-voice/media';

/** Opus's RTP clock and the rate audio is coded at. */
export const OPUS_RATE = 48000;
/** Samples of one 20 ms frame at 48 kHz. */
export const OPUS_FRAME_SAMPLES = 960;

/** The inbound side; see {@link createOpusReceiver}. */
export interface OpusReceiver {
  /**
   * One frame from the jitter buffer (`undefined`: lost). Returns engine-rate samples
   * (a view of a reused buffer: valid until the next call; may be empty).
   */
  frame(payload: Uint8Array | undefined): Int16Array;
  /** Frames concealed so far. */
  readonly concealed: number;
  /** Packets the decoder refused (counted, skipped as lost). */
  readonly corrupt: number;
}

/** Creates an Opus receiver delivering audio at `engineRate`. */
export function createOpusReceiver(engineRate: SampleRate): OpusReceiver {
  const decoder = new Decoder({ channels: 1, sample_rate: OPUS_RATE });
  const resampler: Resampler = createResampler({ from: OPUS_RATE, to: engineRate });
  const last = new Int16Array(OPUS_FRAME_SAMPLES);
  const silence = new Int16Array(OPUS_FRAME_SAMPLES);
  let lastLength = 0;
  let lostRun = 0;
  let concealed = 0;
  let corrupt = 0;

  const conceal = (): Int16Array => {
    concealed++;
    lostRun++;
    if (lostRun > 1 || lastLength === 0) return resampler.process(silence);
    const n = lastLength;
    for (let i = 0; i < n; i++) last[i] = (last[i] as number) >> 1;
    return resampler.process(last.subarray(0, n));
  };

  return {
    frame(payload) {
      if (payload === undefined || payload.byteLength === 0) return conceal();
      let bytes: Uint8Array;
      try {
        bytes = decoder.decode(payload);
      } catch {
        corrupt++;
        return conceal();
      }
      lostRun = 0;
      const n = bytes.byteLength >> 1;
      const pcm =
        bytes.byteOffset % 2 === 0
          ? new Int16Array(bytes.buffer, bytes.byteOffset, n)
          : new Int16Array(bytes.slice().buffer, 0, n);
      lastLength = Math.min(n, OPUS_FRAME_SAMPLES);
      last.set(pcm.subarray(0, lastLength));
      return resampler.process(pcm);
    },
    get concealed() {
      return concealed;
    },
    get corrupt() {
      return corrupt;
    },
  };
}

/** The outbound side; see {@link createOpusSender}. */
export interface OpusSender {
  /** Engine-rate samples; calls `emit` with each whole 20 ms packet they complete (valid during the call). */
  write(samples: Int16Array, emit: (packet: Uint8Array) => void): void;
  /** Drops audio held for the next frame and the resampler's state (barge-in). */
  reset(): void;
}

/** Creates an Opus sender taking audio at `engineRate`. */
export function createOpusSender(engineRate: SampleRate): OpusSender {
  const encoder = new Encoder({ channels: 1, sample_rate: OPUS_RATE, application: 'voip' });
  const resampler: Resampler = createResampler({ from: engineRate, to: OPUS_RATE });
  const frame = new Int16Array(OPUS_FRAME_SAMPLES);
  let filled = 0;
  return {
    write(samples, emit) {
      const up = resampler.process(samples);
      let i = 0;
      while (i < up.length) {
        const take = Math.min(OPUS_FRAME_SAMPLES - filled, up.length - i);
        frame.set(up.subarray(i, i + take), filled);
        filled += take;
        i += take;
        if (filled === OPUS_FRAME_SAMPLES) {
          emit(encoder.encode(frame));
          filled = 0;
        }
      }
    },
    reset() {
      filled = 0;
      resampler.reset();
    },
  };
}
