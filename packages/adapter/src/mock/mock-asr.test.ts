import { VoiceError } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import type { AsrEvent } from '../interfaces.js';
import { createMockAsr } from './mock-asr.js';

/** 20 ms frames at 16 kHz. */
const FRAME = new Int16Array(320);

function pushMs(stream: { push(samples: Int16Array): void }, ms: number): void {
  for (let t = 0; t < ms; t += 20) stream.push(FRAME);
}

async function collect(stream: AsyncIterable<AsrEvent>): Promise<AsrEvent[]> {
  const out: AsrEvent[] = [];
  for await (const event of stream) out.push(event);
  return out;
}

describe('mock ASR', () => {
  it('emits growing-prefix partials as audio arrives, then the transcript as the final', async () => {
    const stream = createMockAsr().open({
      sampleRate: 16000,
      language: 'en-US',
      options: { transcript: 'book a table' },
    });
    pushMs(stream, 700);
    stream.finalize();
    stream.end();
    expect(await collect(stream)).toEqual([
      { type: 'partial', text: 'book', startMs: 0, endMs: 200 },
      { type: 'partial', text: 'book a', startMs: 0, endMs: 400 },
      { type: 'partial', text: 'book a table', startMs: 0, endMs: 600 },
      {
        type: 'final',
        text: 'book a table',
        startMs: 0,
        endMs: 700,
        confidence: 1,
        words: [
          { text: 'book', startMs: 0, endMs: 280, confidence: 1 },
          { text: 'a', startMs: 280, endMs: 350, confidence: 1 },
          { text: 'table', startMs: 350, endMs: 700, confidence: 1 },
        ],
      },
      { type: 'usage', audioMs: 700 },
    ]);
  });

  it('defaults to "hello", gives a short utterance one partial, and times later utterances on the stream', async () => {
    const stream = createMockAsr().open({ sampleRate: 8000, language: 'en-US' });
    stream.push(new Int16Array(800)); // 100 ms, shorter than the partial interval
    stream.finalize();
    stream.finalize(); // no audio since: nothing
    stream.push(new Int16Array(2400)); // 300 ms
    stream.end(); // finalizes the pending audio
    const events = await collect(stream);
    expect(events.map((e) => e.type)).toEqual([
      'partial',
      'final',
      'usage',
      'partial',
      'final',
      'usage',
    ]);
    expect(events[0]).toEqual({ type: 'partial', text: 'hello', startMs: 0, endMs: 100 });
    expect(events[3]).toEqual({ type: 'partial', text: 'hello', startMs: 100, endMs: 300 });
    expect(events[4]).toMatchObject({ type: 'final', text: 'hello', startMs: 100, endMs: 400 });
    expect(events[5]).toEqual({ type: 'usage', audioMs: 400 });
  });

  it('emits nothing for an utterance without audio and for an empty stream', async () => {
    const stream = createMockAsr().open({ sampleRate: 16000, language: 'en-US' });
    stream.finalize();
    stream.end();
    expect(await collect(stream)).toEqual([]);
  });

  it('delivers events to a consumer already waiting', async () => {
    const stream = createMockAsr().open({ sampleRate: 16000, language: 'en-US' });
    const iterator = stream[Symbol.asyncIterator]();
    const next = iterator.next();
    pushMs(stream, 200);
    expect(await next).toEqual({
      value: { type: 'partial', text: 'hello', startMs: 0, endMs: 200 },
      done: false,
    });
  });

  it('abort() ends at once, dropping what was not read, and ignores later calls', async () => {
    const stream = createMockAsr().open({ sampleRate: 16000, language: 'en-US' });
    pushMs(stream, 400);
    stream.abort();
    pushMs(stream, 400);
    stream.finalize();
    stream.end();
    expect(await collect(stream)).toEqual([]);
  });

  it('aborts on the signal, also when it is already aborted', async () => {
    const controller = new AbortController();
    const stream = createMockAsr().open({
      sampleRate: 16000,
      language: 'en-US',
      signal: controller.signal,
    });
    const events = collect(stream);
    pushMs(stream, 200);
    controller.abort();
    expect(await events).toEqual([{ type: 'partial', text: 'hello', startMs: 0, endMs: 200 }]);
    const late = createMockAsr().open({
      sampleRate: 16000,
      language: 'en-US',
      signal: AbortSignal.abort(),
    });
    pushMs(late, 400);
    late.finalize();
    expect(await collect(late)).toEqual([]);
  });

  it('refuses invalid options with VALIDATION_FAILED naming the option', () => {
    const open = (options: Record<string, unknown>): unknown =>
      createMockAsr().open({ sampleRate: 16000, language: 'en-US', options });
    expect(() => open({ transcript: 42 })).toThrow(VoiceError);
    expect(() => open({ partial_interval_ms: 0 })).toThrow(/partial_interval_ms/);
    try {
      open({ transcript: 42 });
    } catch (error) {
      expect(error).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: { provider: 'mock', fallback: false },
      });
    }
  });

  it('gives an empty transcript a final without partials', async () => {
    const stream = createMockAsr().open({
      sampleRate: 16000,
      language: 'en-US',
      options: { transcript: '' },
    });
    pushMs(stream, 600);
    stream.end();
    expect(await collect(stream)).toEqual([
      { type: 'final', text: '', startMs: 0, endMs: 600, confidence: 1, words: [] },
      { type: 'usage', audioMs: 600 },
    ]);
  });
});
