/**
 * What the load bench's callers say each turn, as 16 kHz PCM16 in whole 20 ms
 * frames whose sound runs to the last sample (so the speech ends where the
 * caller's last speech frame ends): a 300 Hz tone for the energy VAD, or a
 * sentence said by espeak-ng for Silero, which a tone does not fool.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTone } from '@prx-voice/media';
import { corpusToolsMissing, speak } from './turns/corpus-tools.js';
import { activeSpan } from './turns/pcm.js';
import { FRAME_MS, INPUT_FRAME_BYTES, INPUT_RATE } from './wire.js';

/** What the Silero runs say: about 650 ms of sound with espeak-ng's en-us at 175 wpm, near the tone's default 600. */
export const SPOKEN_TEXT = 'good morning';

const FRAME_SAMPLES = INPUT_FRAME_BYTES / 2;

/** A 300 Hz tone of `speechMs` rounded to whole frames (at least one). */
export function toneSpeech(speechMs: number): Int16Array {
  const frames = Math.max(1, Math.round(speechMs / FRAME_MS));
  const tone = generateTone({
    sampleRate: INPUT_RATE,
    frequencyHz: 300,
    durationMs: frames * FRAME_MS,
    amplitude: 0.3,
  });
  return Int16Array.from(tone.samples);
}

/**
 * {@link SPOKEN_TEXT} said by espeak-ng, resampled by sox, cut to its sound (the
 * 10 ms windows within 30 dB of the loudest) and padded with digital silence in
 * front to whole frames. Throws, saying what to install, when either tool is missing.
 */
export async function spokenSpeech(): Promise<Int16Array> {
  const missing = await corpusToolsMissing();
  if (missing !== undefined) {
    throw new Error(
      `bench: the Silero runs stream speech made with espeak-ng and sox, but ${missing}; install them (apt-get install espeak-ng sox) or pass --vad energy`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'prx-load-speech-'));
  try {
    const made = await speak({
      dir,
      name: 'speech',
      text: SPOKEN_TEXT,
      voice: 'en-us',
      rate: 175,
      peaks: [-12],
    });
    const samples = made.get(-12);
    const span = samples === undefined ? undefined : activeSpan(samples, INPUT_RATE, 30);
    if (samples === undefined || span === undefined)
      throw new Error('bench: espeak-ng said nothing');
    const sound = samples.subarray(
      (span.startMs * INPUT_RATE) / 1000,
      (span.endMs * INPUT_RATE) / 1000,
    );
    const padded = new Int16Array(Math.ceil(sound.length / FRAME_SAMPLES) * FRAME_SAMPLES);
    padded.set(sound, padded.length - sound.length);
    return padded;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `samples` as the caller's 20 ms frames (the last one padded with silence). */
export function speechFrames(samples: Int16Array): Buffer[] {
  const frames: Buffer[] = [];
  for (let i = 0; i < samples.length; i += FRAME_SAMPLES) {
    const frame = Buffer.alloc(INPUT_FRAME_BYTES);
    const part = samples.subarray(i, i + FRAME_SAMPLES);
    Buffer.from(part.buffer, part.byteOffset, part.byteLength).copy(frame);
    frames.push(frame);
  }
  return frames;
}

/** PCM16 samples to base64 (for IPC) and back. */
export function samplesToBase64(samples: Int16Array): string {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength).toString('base64');
}

/** The inverse of {@link samplesToBase64}. */
export function samplesFromBase64(text: string): Int16Array {
  const bytes = Buffer.from(text, 'base64');
  const out = new Int16Array(bytes.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(i * 2);
  return out;
}
