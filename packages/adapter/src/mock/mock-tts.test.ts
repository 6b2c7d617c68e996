import { rms } from '@prx-voice/media';
import { describe, expect, it } from 'vitest';
import type { TtsEvent } from '../interfaces.js';
import { createMockTts } from './mock-tts.js';

async function collect(events: AsyncIterable<TtsEvent>): Promise<TtsEvent[]> {
  const out: TtsEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

function audioOf(events: readonly TtsEvent[]): Int16Array[] {
  return events.flatMap((e) => (e.type === 'audio' ? [e.samples] : []));
}

function concat(chunks: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Estimated frequency from zero crossings (upward). */
function frequencyOf(samples: Int16Array, rate: number): number {
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) {
    if ((samples[i - 1] as number) < 0 && (samples[i] as number) >= 0) crossings += 1;
  }
  return (crossings * rate) / samples.length;
}

describe('mock TTS', () => {
  it('speaks 50 ms of 440 Hz per character in 20 ms chunks, with word timings and usage', async () => {
    const events = await collect(
      createMockTts().synthesize({
        text: 'Hi there',
        sampleRate: 24000,
        signal: new AbortController().signal,
      }),
    );
    expect(events.filter((e) => e.type !== 'audio')).toEqual([
      { type: 'word', text: 'Hi', startMs: 0, endMs: 100 },
      { type: 'word', text: 'there', startMs: 150, endMs: 400 },
      { type: 'usage', characters: 8 },
    ]);
    const chunks = audioOf(events);
    expect(chunks).toHaveLength(20);
    expect(chunks.every((c) => c.length === 480)).toBe(true);
    const audio = concat(chunks);
    expect(frequencyOf(audio, 24000)).toBeCloseTo(440, -1);
    expect(rms(audio) / 32767).toBeCloseTo(0.3 / Math.SQRT2, 2);
    // Words come before the audio.
    expect(events.findIndex((e) => e.type === 'audio')).toBe(2);
  });

  it('keeps the phase continuous across chunks (no click between them)', async () => {
    const events = await collect(
      createMockTts().synthesize({
        text: 'abcd',
        sampleRate: 16000,
        signal: new AbortController().signal,
      }),
    );
    const audio = concat(audioOf(events));
    const step = (2 * Math.PI * 440) / 16000;
    for (let i = 0; i < audio.length; i++) {
      expect(
        Math.abs((audio[i] as number) - Math.round(0.3 * 32767 * Math.sin(step * i))),
      ).toBeLessThanOrEqual(1);
    }
    expect(audio.length).toBe(3200);
  });

  it('synthesizes a text stream piece by piece, words split across pieces included', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* pieces(): AsyncGenerator<string> {
      yield 'Hel';
      await gate;
      yield 'lo wo';
      yield 'rld';
    }
    const seen: TtsEvent[] = [];
    const done = (async () => {
      for await (const event of createMockTts().synthesize({
        text: pieces(),
        sampleRate: 8000,
        signal: new AbortController().signal,
      })) {
        seen.push(event);
      }
    })();
    await new Promise((resolve) => setImmediate(resolve));
    // 'Hel' = 150 ms: 7 whole chunks of 20 ms so far, the last 10 ms wait for more text.
    expect(audioOf(seen).map((c) => c.length)).toEqual(Array<number>(7).fill(160));
    release();
    await done;
    expect(seen.filter((e) => e.type !== 'audio')).toEqual([
      { type: 'word', text: 'Hello', startMs: 0, endMs: 250 },
      { type: 'word', text: 'world', startMs: 300, endMs: 550 },
      { type: 'usage', characters: 11 },
    ]);
    const lengths = audioOf(seen).map((c) => c.length);
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(4400); // 550 ms at 8 kHz
    expect(lengths.at(-1)).toBe(80); // the 10 ms remainder at the end
  });

  it('stops promptly on abort, also while waiting for text', async () => {
    const controller = new AbortController();
    const seen: TtsEvent[] = [];
    for await (const event of createMockTts().synthesize({
      text: 'a long sentence to speak',
      sampleRate: 16000,
      signal: controller.signal,
    })) {
      seen.push(event);
      if (event.type === 'audio') controller.abort();
    }
    expect(audioOf(seen)).toHaveLength(1);
    expect(seen.some((e) => e.type === 'usage')).toBe(false);

    const waiting = new AbortController();
    let returned = false;
    const never: AsyncIterable<string> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<string>>(() => undefined),
        return: () => {
          returned = true;
          return Promise.resolve({ value: undefined, done: true });
        },
      }),
    };
    const pending = collect(
      createMockTts().synthesize({ text: never, sampleRate: 16000, signal: waiting.signal }),
    );
    waiting.abort();
    expect(await pending).toEqual([]);
    expect(returned).toBe(true);
  });

  it('gives empty text no audio and zero characters', async () => {
    const events = await collect(
      createMockTts().synthesize({
        text: '',
        sampleRate: 48000,
        signal: new AbortController().signal,
      }),
    );
    expect(events).toEqual([{ type: 'usage', characters: 0 }]);
  });
});
