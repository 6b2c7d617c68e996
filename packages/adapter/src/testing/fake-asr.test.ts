import { SimulatedClock } from '@prx-voice/core/testing';
import { VoiceError } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import type { AsrEvent } from '../interfaces.js';
import { settle } from './drive.js';
import { createFakeAsr } from './fake-asr.js';

const FRAME = new Int16Array(320); // 20 ms at 16 kHz

function consume(stream: AsyncIterable<AsrEvent>): {
  events: AsrEvent[];
  done: Promise<unknown>;
} {
  const events: AsrEvent[] = [];
  const done = (async () => {
    for await (const event of stream) events.push(event);
  })();
  return { events, done };
}

describe('createFakeAsr', () => {
  it('emits audio-timed partials at once and finalize-timed finals after their delay', async () => {
    const clock = new SimulatedClock();
    const asr = createFakeAsr({
      clock,
      steps: [
        { afterAudioMs: 100, emit: { type: 'partial', text: 'hel', startMs: 0, endMs: 100 } },
        {
          onFinalize: 1,
          delayMs: 150,
          emit: { type: 'final', text: 'hello', startMs: 0, endMs: 200 },
        },
        { afterAudioMs: 200, emit: { type: 'partial', text: 'hello', startMs: 0, endMs: 200 } },
      ],
    });
    const stream = asr.open({ sampleRate: 16000, language: 'en-US' });
    const { events, done } = consume(stream);
    for (let i = 0; i < 4; i++) stream.push(FRAME);
    await settle();
    expect(events).toEqual([]); // 80 ms
    stream.push(FRAME);
    await settle();
    expect(events.map((e) => e.type === 'partial' && e.text)).toEqual(['hel']);
    for (let i = 0; i < 5; i++) stream.push(FRAME);
    stream.finalize();
    await settle();
    expect(events).toHaveLength(2);
    clock.advance(149);
    await settle();
    expect(events).toHaveLength(2);
    clock.advance(1);
    stream.end();
    await done;
    expect(events.at(-1)).toEqual({ type: 'final', text: 'hello', startMs: 0, endMs: 200 });
    expect(asr.streams[0]).toMatchObject({
      audioMs: 200,
      finalizeCalls: 1,
      ended: true,
      aborted: false,
    });
    expect(asr.streams[0]?.emitted).toEqual(events);
  });

  it('end() waits for triggered delayed steps, then ends', async () => {
    const clock = new SimulatedClock();
    const asr = createFakeAsr({
      clock,
      steps: [
        { onFinalize: 1, delayMs: 300, emit: { type: 'final', text: 'x', startMs: 0, endMs: 20 } },
      ],
    });
    const stream = asr.open({ sampleRate: 16000, language: 'en-US' });
    const { events, done } = consume(stream);
    stream.push(FRAME);
    stream.finalize();
    stream.end();
    let finished = false;
    void done.then(() => (finished = true));
    await settle();
    expect(finished).toBe(false);
    clock.advance(300);
    await settle();
    expect(finished).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['final']);
  });

  it('throws the scripted error mid-stream after the events before it', async () => {
    const clock = new SimulatedClock();
    const failure = new VoiceError('PROVIDER_UNAVAILABLE', { message: 'socket closed' });
    const asr = createFakeAsr({
      clock,
      steps: [
        { afterAudioMs: 20, emit: { type: 'partial', text: 'a', startMs: 0, endMs: 20 } },
        { afterAudioMs: 60, delayMs: 10, fail: failure },
        { afterAudioMs: 80, emit: { type: 'partial', text: 'never', startMs: 0, endMs: 80 } },
      ],
    });
    const stream = asr.open({ sampleRate: 16000, language: 'en-US' });
    const { events, done } = consume(stream);
    for (let i = 0; i < 3; i++) stream.push(FRAME);
    clock.advance(10);
    stream.push(FRAME);
    await expect(done).rejects.toBe(failure);
    expect(events.map((e) => e.type === 'partial' && e.text)).toEqual(['a']);
  });

  it('abort() (or the signal) ends at once and cancels pending timers', async () => {
    const clock = new SimulatedClock();
    const controller = new AbortController();
    const asr = createFakeAsr({
      clock,
      steps: [
        { onFinalize: 1, delayMs: 100, emit: { type: 'final', text: 'x', startMs: 0, endMs: 20 } },
      ],
    });
    const stream = asr.open({ sampleRate: 16000, language: 'en-US', signal: controller.signal });
    const { events, done } = consume(stream);
    stream.push(FRAME);
    stream.finalize();
    expect(clock.pendingCount).toBe(1);
    controller.abort();
    await done;
    expect(clock.pendingCount).toBe(0);
    expect(events).toEqual([]);
    expect(asr.streams[0]?.aborted).toBe(true);
  });

  it('plays the script again for every stream it opens', async () => {
    const clock = new SimulatedClock();
    const asr = createFakeAsr({
      clock,
      id: 'scripted',
      steps: [{ onFinalize: 1, emit: { type: 'final', text: 'x', startMs: 0, endMs: 20 } }],
    });
    expect(asr.id).toBe('scripted');
    for (let n = 0; n < 2; n++) {
      const stream = asr.open({ sampleRate: 16000, language: 'en-US' });
      const { events, done } = consume(stream);
      stream.finalize();
      stream.end();
      await done;
      expect(events).toHaveLength(1);
    }
    expect(asr.streams).toHaveLength(2);
  });
});
