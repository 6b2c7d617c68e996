import { describe, expect, it } from 'vitest';
import type { AsrEvent, AsrStream } from '@prx-voice/adapter';
import { AudioInput } from './audio-input.js';

function recordingAsr(): AsrStream & { got: number[] } {
  const got: number[] = [];
  return {
    got,
    push: (s: Int16Array) => got.push(...s),
    finalize: () => undefined,
    end: () => undefined,
    abort: () => undefined,
    [Symbol.asyncIterator]: (): AsyncIterator<AsrEvent> => ({
      next: () => Promise.resolve({ done: true, value: undefined }),
    }),
  };
}

const frame = (from: number, n: number) => Int16Array.from({ length: n }, (_, i) => from + i);

describe('inbound audio', () => {
  it('keeps the last pre-roll of audio and sends it, in order, when speech starts', () => {
    const input = new AudioInput(1000, 10); // 10 samples of pre-roll
    const asr = recordingAsr();
    input.asr = asr;
    input.push(frame(0, 7));
    input.push(frame(7, 7)); // 14 samples: the first 4 fall out
    expect(asr.got).toEqual([]);
    input.startStreaming();
    expect(asr.got).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    input.push(frame(14, 3));
    expect(asr.got.slice(-3)).toEqual([14, 15, 16]);
  });

  it('buffers again after the utterance and handles frames longer than the pre-roll', () => {
    const input = new AudioInput(1000, 5);
    const asr = recordingAsr();
    input.asr = asr;
    input.startStreaming();
    input.stopStreaming();
    input.push(frame(100, 12));
    input.startStreaming();
    expect(asr.got).toEqual([107, 108, 109, 110, 111]);
  });
});
