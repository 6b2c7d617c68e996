/**
 * The audio path of a carrier whose audio travels as binary WebSocket frames of raw
 * PCM16 (Vonage): engine PCM16 → the carrier's rate → frames of exactly 20 ms. A stretch
 * whose length is not a whole number of frames is padded with silence at `flush` (before a
 * playback marker), because the carrier takes only whole frames. The frame under
 * construction is reused; each frame sent is a fresh copy the socket owns.
 */
import { createResampler } from '@prx-voice/media';
import type { SampleRate } from '@prx-voice/media';
import type { CarrierAudioFormat, CarrierOutboundAudio } from './carrier-audio.js';
import { carrierChunkSamples } from './carrier-audio.js';

/**
 * Creates the outbound path of a binary-audio carrier; `send` gets one frame of exactly
 * 20 ms of PCM16 little-endian at a time. Only PCM16 formats travel this way.
 */
export function createCarrierBinaryOutboundAudio(
  engineRate: SampleRate,
  format: CarrierAudioFormat,
  send: (frame: Uint8Array) => void,
): CarrierOutboundAudio {
  if (format.encoding !== 'pcm16') {
    throw new TypeError(`binary carrier audio is PCM16, not ${format.encoding}`);
  }
  const resampler = createResampler({ from: engineRate, to: format.sampleRate });
  const frame = new Int16Array(carrierChunkSamples(format));
  let filled = 0;
  const emit = (): void => {
    // A copy: the socket may hold a frame until written.
    send(new Uint8Array(frame.buffer.slice(0)));
    filled = 0;
  };
  const write = (samples: Int16Array): number => {
    let sent = 0;
    for (let at = 0; at < samples.length;) {
      const take = Math.min(frame.length - filled, samples.length - at);
      frame.set(samples.subarray(at, at + take), filled);
      filled += take;
      at += take;
      if (filled === frame.length) {
        emit();
        sent++;
      }
    }
    return sent;
  };
  return {
    setEnvelope: () => undefined,
    push: (samples) => write(resampler.process(samples)),
    flush: () => {
      let sent = write(resampler.flush());
      if (filled > 0) {
        frame.fill(0, filled);
        emit();
        sent++;
      }
      return sent;
    },
    reset: () => {
      resampler.reset();
      filled = 0;
    },
  };
}
