/**
 * @prx-voice/media — the audio DSP layer of PRX Voice: PCM16 frames and
 * zero-copy views, G.711 µ-law/A-law, streaming resampling, fixed-size framing,
 * WAV files, levels and test tones. Hot-path functions take output buffers and
 * stateful objects return views of reused buffers, so per-frame calls do not allocate.
 *
 * @example
 * import { createFramer, createResampler, encodeMulaw, pcm16View } from '@prx-voice/media';
 *
 * // 16 kHz PCM16 from a client → 8 kHz µ-law frames of 20 ms for a telephony leg.
 * const framer = createFramer({ frameBytes: 640 });
 * const resampler = createResampler({ from: 16000, to: 8000 });
 * const mulaw = new Uint8Array(160);
 * framer.push(chunk, (frame) => {
 *   const narrow = resampler.process(pcm16View(frame));
 *   send(encodeMulaw(narrow, mulaw));
 * });
 *
 * @packageDocumentation
 */
export { createAudioFrame, pcm16Bytes, pcm16View } from './frame.js';
export type { AudioFrame, AudioFrameInit } from './frame.js';
export { createFramer } from './framer.js';
export type { Framer, FramerFlushOptions, FramerOptions } from './framer.js';
export {
  decodeAlaw,
  decodeAlawSample,
  decodeMulaw,
  decodeMulawSample,
  encodeAlaw,
  encodeAlawSample,
  encodeMulaw,
  encodeMulawSample,
} from './g711.js';
export { dbfs, peak, rms, rmsDbfs } from './levels.js';
export { createResampler } from './resampler.js';
export type { Resampler, ResamplerOptions } from './resampler.js';
export type { ResamplerQuality } from './resampler-filter.js';
export {
  assertSampleRate,
  durationMsOf,
  isSampleRate,
  SAMPLE_RATES,
  samplesForMs,
} from './sample-rate.js';
export type { SampleRate } from './sample-rate.js';
export { generateTone } from './tone.js';
export type { Tone, ToneOptions } from './tone.js';
export { createOggOpusMuxer, oggCrc } from './ogg-opus.js';
export type { OggOpusMuxer, OggOpusOptions } from './ogg-opus.js';
export { readWav, wavHeader, writeWav } from './wav.js';
export type { ReadWavOptions, WavAudio, WavHeaderInput, WavInput } from './wav.js';
