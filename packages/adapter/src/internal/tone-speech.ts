/**
 * Speech stand-in shared by the mock and the fake TTS: a sine tone lasting a
 * fixed time per character, cut into fixed-size chunks with the phase carried
 * across chunks and text pieces, plus word timings in proportion to characters.
 */
import type { Clock } from '@prx-voice/core';
import { generateTone, samplesForMs } from '@prx-voice/media';
import type { VoiceError } from '@prx-voice/types';
import type { TtsEvent, TtsRequest } from '../interfaces.js';
import { clockDelay, closeQuietly, isAborted, nextUnlessAborted } from './clock-delay.js';

/** How the tone speaks. */
export interface ToneSpeechSettings {
  readonly msPerChar: number;
  readonly chunkMs: number;
  readonly frequencyHz: number;
  /** Peak amplitude, fraction of full scale. */
  readonly amplitude: number;
  readonly wordTimings: boolean;
  /** Needed for the delays below. */
  readonly clock?: Clock;
  /** Wait before the first audio chunk. */
  readonly firstByteDelayMs?: number;
  /** Wait between audio chunks. */
  readonly chunkIntervalMs?: number;
  /** Fail (throw `failure()`) once this many audio chunks have been emitted. */
  readonly failAfterChunks?: number;
  readonly failure?: () => VoiceError;
  /** Called with each text piece as it arrives (the fakes record them). */
  readonly onText?: (text: string) => void;
}

/** Word separators, as `\s` in a regular expression (characters are counted as `String.length` counts them). */
const SPACE = /\s/;

/** Synthesizes the request's text as a tone; ends without throwing when the request aborts. */
export async function* toneSpeech(
  request: TtsRequest,
  settings: ToneSpeechSettings,
): AsyncGenerator<TtsEvent> {
  const { signal, sampleRate } = request;
  const chunkSamples = Math.max(1, samplesForMs(sampleRate, settings.chunkMs));
  let totalChars = 0;
  let emittedSamples = 0;
  let phase = 0;
  let chunks = 0;
  let wordStart = -1;
  let word = '';

  /** Word events completed by the text so far; the last word waits for whitespace or the end. */
  function completedWords(piece: string): TtsEvent[] {
    const events: TtsEvent[] = [];
    for (let i = 0; i < piece.length; i++) {
      const space = SPACE.test(piece.charAt(i));
      if (!space) {
        if (wordStart < 0) wordStart = totalChars + i;
        continue;
      }
      if (wordStart >= 0) {
        word += piece.slice(Math.max(0, wordStart - totalChars), i);
        events.push(wordEvent(word, wordStart, totalChars + i));
        wordStart = -1;
        word = '';
      }
    }
    if (wordStart >= 0) word += piece.slice(Math.max(0, wordStart - totalChars));
    return events;
  }

  function wordEvent(text: string, startChar: number, endChar: number): TtsEvent {
    return {
      type: 'word',
      text,
      startMs: startChar * settings.msPerChar,
      endMs: endChar * settings.msPerChar,
    };
  }

  /** Audio for the characters so far, in whole chunks; with `last`, the remainder too. */
  async function* audioUpTo(last: boolean): AsyncGenerator<TtsEvent> {
    const target = samplesForMs(sampleRate, totalChars * settings.msPerChar);
    while (target - emittedSamples >= chunkSamples || (last && target > emittedSamples)) {
      const count = Math.min(chunkSamples, target - emittedSamples);
      const delay = chunks === 0 ? settings.firstByteDelayMs : settings.chunkIntervalMs;
      if (delay !== undefined && delay > 0) {
        if (settings.clock === undefined) throw new TypeError('A TTS delay needs a clock');
        await clockDelay(settings.clock, delay, signal);
      }
      if (isAborted(signal)) return;
      if (settings.failAfterChunks === chunks && settings.failure !== undefined) {
        throw settings.failure();
      }
      const tone = generateTone({
        sampleRate,
        frequencyHz: settings.frequencyHz,
        durationMs: (count * 1000) / sampleRate,
        amplitude: settings.amplitude,
        phase,
        out: new Int16Array(count),
      });
      phase = tone.phase;
      emittedSamples += count;
      chunks += 1;
      yield { type: 'audio', samples: tone.samples };
    }
  }

  async function* speak(piece: string, last: boolean): AsyncGenerator<TtsEvent> {
    settings.onText?.(piece);
    const words = settings.wordTimings ? completedWords(piece) : [];
    totalChars += piece.length;
    if (last && settings.wordTimings && wordStart >= 0) {
      words.push(wordEvent(word, wordStart, totalChars));
      wordStart = -1;
      word = '';
    }
    for (const event of words) {
      if (isAborted(signal)) return;
      yield event;
    }
    yield* audioUpTo(last);
  }

  if (isAborted(signal)) return;
  if (typeof request.text === 'string') {
    yield* speak(request.text, true);
  } else {
    const iterator = request.text[Symbol.asyncIterator]();
    for (;;) {
      const next = await nextUnlessAborted(iterator, signal);
      if (next === undefined || isAborted(signal)) return;
      if (next.done === true) break;
      yield* speak(next.value, false);
      if (isAborted(signal)) {
        closeQuietly(iterator);
        return;
      }
    }
    yield* speak('', true);
  }
  if (isAborted(signal)) return;
  yield { type: 'usage', characters: totalChars };
}
