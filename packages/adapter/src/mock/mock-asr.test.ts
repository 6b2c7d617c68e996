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

  it('gives the n-th utterance the n-th text of a transcript array, the last one repeating', async () => {
    const stream = createMockAsr().open({
      sampleRate: 16000,
      language: 'en-US',
      options: { transcript: ['take me to the', 'central station', 'thanks'] },
    });
    const finals: string[] = [];
    const partials: string[] = [];
    for (let utterance = 0; utterance < 5; utterance += 1) {
      pushMs(stream, 500);
      stream.finalize();
    }
    stream.end();
    for (const event of await collect(stream)) {
      if (event.type === 'final') finals.push(event.text);
      if (event.type === 'partial') partials.push(event.text);
    }
    expect(finals).toEqual(['take me to the', 'central station', 'thanks', 'thanks', 'thanks']);
    expect(partials).toEqual([
      'take',
      'take me',
      'central',
      'central station',
      'thanks',
      'thanks',
      'thanks',
    ]);
  });

  it('times each utterance of a transcript array on the stream and splits its own words', async () => {
    const stream = createMockAsr().open({
      sampleRate: 16000,
      language: 'en-US',
      options: { transcript: ['one', 'two three'] },
    });
    pushMs(stream, 100);
    stream.finalize();
    stream.finalize(); // no audio since: does not use up a text
    pushMs(stream, 500);
    stream.end();
    expect(await collect(stream)).toEqual([
      { type: 'partial', text: 'one', startMs: 0, endMs: 100 },
      {
        type: 'final',
        text: 'one',
        startMs: 0,
        endMs: 100,
        confidence: 1,
        words: [{ text: 'one', startMs: 0, endMs: 100, confidence: 1 }],
      },
      { type: 'usage', audioMs: 100 },
      { type: 'partial', text: 'two', startMs: 100, endMs: 300 },
      { type: 'partial', text: 'two three', startMs: 100, endMs: 500 },
      {
        type: 'final',
        text: 'two three',
        startMs: 100,
        endMs: 600,
        confidence: 1,
        words: [
          { text: 'two', startMs: 100, endMs: 287.5, confidence: 1 },
          { text: 'three', startMs: 287.5, endMs: 600, confidence: 1 },
        ],
      },
      { type: 'usage', audioMs: 600 },
    ]);
  });

  it('gives an empty element of a transcript array an empty final without partials', async () => {
    const stream = createMockAsr().open({
      sampleRate: 16000,
      language: 'en-US',
      options: { transcript: ['', 'yes'] },
    });
    pushMs(stream, 400);
    stream.finalize();
    pushMs(stream, 100);
    stream.end();
    expect(await collect(stream)).toEqual([
      { type: 'final', text: '', startMs: 0, endMs: 400, confidence: 1, words: [] },
      { type: 'usage', audioMs: 400 },
      { type: 'partial', text: 'yes', startMs: 400, endMs: 500 },
      {
        type: 'final',
        text: 'yes',
        startMs: 400,
        endMs: 500,
        confidence: 1,
        words: [{ text: 'yes', startMs: 400, endMs: 500, confidence: 1 }],
      },
      { type: 'usage', audioMs: 500 },
    ]);
  });

  it('treats a one-element transcript array like the string', async () => {
    const run = async (transcript: string | string[]): Promise<AsrEvent[]> => {
      const stream = createMockAsr().open({
        sampleRate: 16000,
        language: 'en-US',
        options: { transcript },
      });
      pushMs(stream, 300);
      stream.finalize();
      pushMs(stream, 300);
      stream.end();
      return collect(stream);
    };
    expect(await run(['book a table'])).toEqual(await run('book a table'));
  });

  it('refuses an empty transcript array and a non-string element, naming the option', () => {
    const open = (options: Record<string, unknown>): unknown =>
      createMockAsr().open({ sampleRate: 16000, language: 'en-US', options });
    expect(() => open({ transcript: [] })).toThrow(
      /transcript: expected at least one text in the transcript array/,
    );
    expect(() => open({ transcript: ['fine', 7] })).toThrow(
      /transcript: expected a string or a non-empty array of strings/,
    );
    expect(() => open({ transcript: { text: 'hi' } })).toThrow(/transcript/);
    try {
      open({ transcript: [null] });
    } catch (error) {
      expect(error).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: { provider: 'mock', fallback: false },
      });
    }
    expect.assertions(4);
  });
});
