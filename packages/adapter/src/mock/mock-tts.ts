/**
 * The `mock` TTS of the public contract: a 440 Hz sine, 50 ms per character of
 * the text, at the requested sample rate.
 */
import type { TtsProvider } from '../interfaces.js';
import { toneSpeech } from '../internal/tone-speech.js';

/** Milliseconds of tone per character of text. */
export const MOCK_TTS_MS_PER_CHAR = 50;
/** Frequency of the mock voice, Hz. */
export const MOCK_TTS_FREQUENCY_HZ = 440;

/**
 * Creates the `mock` TTS provider. Audio comes in 20 ms chunks (the last one
 * shorter) at amplitude 0.3 with the phase continuous throughout; a text stream
 * is synthesized piece by piece as it arrives. Each word (a run of
 * non-whitespace) is reported with its span, 50 ms per character counted from
 * the start of the text; then `usage` with the characters. An aborted request
 * ends at once without throwing.
 *
 * @example
 * const tts = createMockTts();
 * for await (const event of tts.synthesize({ text: 'Hi there', sampleRate: 24000, signal })) …
 * // word 'Hi' 0–100 ms, word 'there' 150–400 ms, 20 audio chunks of 480 samples, usage 8
 */
export function createMockTts(): TtsProvider {
  return {
    id: 'mock',
    synthesize: (request) =>
      toneSpeech(request, {
        msPerChar: MOCK_TTS_MS_PER_CHAR,
        chunkMs: 20,
        frequencyHz: MOCK_TTS_FREQUENCY_HZ,
        amplitude: 0.3,
        wordTimings: true,
      }),
    healthCheck: () => Promise.resolve({ healthy: true, detail: 'built in' }),
  };
}
