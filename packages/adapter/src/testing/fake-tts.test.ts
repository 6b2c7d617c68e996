import { SimulatedClock } from '@prx-voice/core/testing';
import { describe, expect, it } from 'vitest';
import { canFallback } from '../interfaces.js';
import type { TtsEvent } from '../interfaces.js';
import { drainOnClock } from './drive.js';
import { createFakeTts } from './fake-tts.js';

const signal = (): AbortSignal => new AbortController().signal;

describe('createFakeTts', () => {
  it('waits the first-byte delay on the clock, then speaks msPerChar per character', async () => {
    const clock = new SimulatedClock();
    const start = clock.now();
    const tts = createFakeTts({ clock, firstByteDelayMs: 120, msPerChar: 60, wordTimings: false });
    const times: number[] = [];
    const events = await drainOnClock(
      tts.synthesize({ text: 'hey', sampleRate: 16000, signal: signal() }),
      clock,
      { onItem: (event) => event.type === 'audio' && times.push(clock.now() - start) },
    );
    const audio = events.filter((e) => e.type === 'audio');
    expect(audio.reduce((n, e) => n + e.samples.length, 0)).toBe(2880); // 180 ms
    expect(events.some((e) => e.type === 'word')).toBe(false);
    expect(events.at(-1)).toEqual({ type: 'usage', characters: 3 });
    expect(times.every((t) => t === 120)).toBe(true);
    expect(tts.syntheses[0]).toMatchObject({ text: 'hey', aborted: false });
  });

  it('paces chunks on the clock and reports word timings', async () => {
    const clock = new SimulatedClock();
    const start = clock.now();
    const tts = createFakeTts({ clock, firstByteDelayMs: 50, chunkMs: 40, chunkIntervalMs: 40 });
    const times: number[] = [];
    const events = await drainOnClock(
      tts.synthesize({ text: 'a bc', sampleRate: 8000, signal: signal() }),
      clock,
      { onItem: (event) => event.type === 'audio' && times.push(clock.now() - start) },
    );
    expect(times).toEqual([50, 90, 130, 170, 210]);
    expect(events.filter((e) => e.type === 'word')).toEqual([
      { type: 'word', text: 'a', startMs: 0, endMs: 50 },
      { type: 'word', text: 'bc', startMs: 100, endMs: 200 },
    ]);
  });

  it('fails after the set number of chunks with an error that allows a fallback', async () => {
    const clock = new SimulatedClock();
    const tts = createFakeTts({ clock, failAfterChunks: 2 });
    const seen: TtsEvent[] = [];
    const failure = await drainOnClock(
      tts.synthesize({ text: 'hello world', sampleRate: 16000, signal: signal() }),
      clock,
      { onItem: (event) => seen.push(event) },
    ).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'PROVIDER_ERROR', retryable: true });
    expect(canFallback(failure)).toBe(true);
    expect(seen.filter((e) => e.type === 'audio')).toHaveLength(2);
  });

  it('stops during the first-byte delay on abort and records it', async () => {
    const clock = new SimulatedClock();
    const tts = createFakeTts({ clock, firstByteDelayMs: 500 });
    const controller = new AbortController();
    const pending = drainOnClock(
      tts.synthesize({ text: 'hi', sampleRate: 16000, signal: controller.signal }),
      clock,
    );
    controller.abort();
    const events = await pending;
    expect(events.filter((e) => e.type === 'audio')).toEqual([]);
    expect(clock.pendingCount).toBe(0);
    expect(tts.syntheses[0]?.aborted).toBe(true);
  });
});
