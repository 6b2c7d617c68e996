import { generateTone } from '@prx-voice/media';
import { describe, expect, it } from 'vitest';
import type { VadEvent, VadOptions } from '../interfaces.js';
import { createEnergyVad, energyFrameScore } from './energy-vad.js';

const RATE = 16000;
/** Mean probability of the test tone's onset (300 Hz, amplitude 0.3: −13.5 dBFS) over digital silence. */
const TONE_P = expect.closeTo(1, 3) as number;
const OPTIONS: VadOptions = {
  sampleRate: RATE,
  threshold: 0.5,
  minSpeechMs: 250,
  minSilenceMs: 300,
  minVolume: 0.001,
};

/** Builds a signal from [kind, ms] parts: silence or a 300 Hz tone at amplitude 0.3. */
function signal(
  parts: readonly (readonly ['silence' | 'tone', number])[],
  rate = RATE,
): Int16Array {
  const chunks = parts.map(([kind, ms]) =>
    kind === 'tone'
      ? generateTone({ sampleRate: rate, frequencyHz: 300, durationMs: ms, amplitude: 0.3 }).samples
      : new Int16Array((rate * ms) / 1000),
  );
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Pushes `audio` in chunks of `chunk` samples; returns each event with the audio ms pushed when it came. */
function run(
  audio: Int16Array,
  chunk: number,
  options: VadOptions = OPTIONS,
): { event: VadEvent; pushedMs: number }[] {
  const out: { event: VadEvent; pushedMs: number }[] = [];
  let pushed = 0;
  const stream = createEnergyVad().open(options, (event) => {
    out.push({ event, pushedMs: (pushed * 1000) / options.sampleRate });
  });
  for (let at = 0; at < audio.length; at += chunk) {
    const part = audio.subarray(at, Math.min(audio.length, at + chunk));
    pushed += part.length;
    stream.push(part);
  }
  return out;
}

describe('energyFrameScore', () => {
  const frame = { dbfs: -30, floorDbfs: -60, crossingsPerSample: 0.1, sampleRate: 16000 };

  it('is 0.5 at marginDb (7 dB) above the floor and at minDbfs (−55 dBFS), the smaller of the two', () => {
    expect(energyFrameScore({ ...frame, floorDbfs: -37 })).toBeCloseTo(0.5, 10);
    expect(energyFrameScore({ ...frame, floorDbfs: -44 })).toBeGreaterThan(0.99);
    expect(energyFrameScore({ ...frame, floorDbfs: -32 })).toBeLessThan(0.05);
    expect(energyFrameScore({ ...frame, dbfs: -55, floorDbfs: -90 })).toBeCloseTo(0.5, 10);
    expect(energyFrameScore({ ...frame, dbfs: -60, floorDbfs: -90 })).toBeLessThan(0.05);
    expect(energyFrameScore({ ...frame, dbfs: -120 })).toBe(0);
    expect(energyFrameScore({ ...frame, floorDbfs: -40 }, { marginDb: 10 })).toBeCloseTo(0.5, 10);
  });

  it('is 0 for a zero-crossing rate outside voiced speech: hum and rumble, hiss', () => {
    // 50 Hz hum crosses zero 100 times a second; white noise on half of its samples.
    expect(energyFrameScore({ ...frame, crossingsPerSample: 100 / 16000 })).toBe(0);
    expect(energyFrameScore({ ...frame, crossingsPerSample: 0.5 })).toBe(0);
    expect(energyFrameScore({ ...frame, crossingsPerSample: 0.4 })).toBeGreaterThan(0.99);
    expect(energyFrameScore({ ...frame, crossingsPerSample: 200 / 8000, sampleRate: 8000 })).toBe(
      energyFrameScore(frame),
    );
  });
});

describe('energy VAD', () => {
  it('finds a 600 ms tone burst with exact timestamps, reporting each event when it is due', () => {
    const audio = signal([
      ['silence', 1000],
      ['tone', 600],
      ['silence', 1000],
    ]);
    expect(run(audio, 320)).toEqual([
      { event: { type: 'speech_start', atMs: 1000, probability: TONE_P }, pushedMs: 1260 },
      { event: { type: 'speech_end', atMs: 1600, speechMs: 600 }, pushedMs: 1900 },
    ]);
  });

  it('gives the same events whatever the push size', () => {
    const audio = signal([
      ['silence', 500],
      ['tone', 600],
      ['silence', 500],
    ]);
    const events = (chunk: number): VadEvent[] => run(audio, chunk).map((e) => e.event);
    const reference = events(320);
    expect(reference).toHaveLength(2);
    for (const chunk of [1, 7, 160, 999, audio.length]) expect(events(chunk)).toEqual(reference);
  });

  it('ignores a 100 ms click with minSpeechMs 250', () => {
    expect(
      run(
        signal([
          ['silence', 500],
          ['tone', 100],
          ['silence', 1000],
        ]),
        320,
      ),
    ).toEqual([]);
  });

  it('does not split speech at a 150 ms dip', () => {
    const audio = signal([
      ['silence', 400],
      ['tone', 600],
      ['silence', 150],
      ['tone', 410],
      ['silence', 800],
    ]);
    // The dip covers 1000–1150 ms; the frame 1140–1160 is half tone, so speech again.
    expect(run(audio, 320).map((e) => e.event)).toEqual([
      { type: 'speech_start', atMs: 400, probability: TONE_P },
      { type: 'speech_end', atMs: 1560, speechMs: 1160 },
    ]);
  });

  it('stays quiet on silence and on a tone below minVolume', () => {
    expect(run(signal([['silence', 3000]]), 320)).toEqual([]);
    const soft = generateTone({
      sampleRate: RATE,
      frequencyHz: 300,
      durationMs: 200,
      amplitude: 0.01,
    }).samples;
    // −43 dBFS is well above the floor of digital silence: only minVolume keeps it out.
    const events: VadEvent[] = [];
    const stream = createEnergyVad().open({ ...OPTIONS, minVolume: 0.02 }, (e) => events.push(e));
    stream.push(signal([['silence', 500]]));
    stream.push(soft);
    expect(events).toEqual([]);
    expect(stream.probability).toBeGreaterThan(0.9);
    expect(stream.state).toBe('quiet');
  });

  it('works at 22.05 kHz (441-sample frames) with the same timestamps', () => {
    const audio = signal(
      [
        ['silence', 1000],
        ['tone', 600],
        ['silence', 1000],
      ],
      22050,
    );
    expect(run(audio, 441, { ...OPTIONS, sampleRate: 22050 }).map((e) => e.event)).toEqual([
      { type: 'speech_start', atMs: 1000, probability: TONE_P },
      { type: 'speech_end', atMs: 1600, speechMs: 600 },
    ]);
  });

  it('exposes state and probability, and ignores pushes after close()', () => {
    const events: VadEvent[] = [];
    const stream = createEnergyVad().open(OPTIONS, (e) => events.push(e));
    expect([stream.state, stream.probability]).toEqual(['quiet', 0]);
    stream.push(signal([['silence', 100]]));
    stream.push(signal([['tone', 100]]));
    expect(stream.state).toBe('starting');
    expect(stream.probability).toBeGreaterThan(0.99);
    stream.close();
    stream.push(signal([['tone', 1000]]));
    expect(events).toEqual([]);
  });

  it('stops processing the rest of a push when onEvent closes the stream', () => {
    const events: VadEvent[] = [];
    const stream = createEnergyVad().open({ ...OPTIONS, minSilenceMs: 20 }, (e) => {
      events.push(e);
      stream.close();
    });
    stream.push(
      signal([
        ['tone', 400],
        ['silence', 400],
        ['tone', 400],
        ['silence', 400],
      ]),
    );
    expect(events.map((e) => e.type)).toEqual(['speech_start']);
  });

  it('refuses invalid options with VALIDATION_FAILED naming the field', () => {
    const open = (options: VadOptions): unknown => createEnergyVad().open(options, () => undefined);
    expect(() => open({ ...OPTIONS, threshold: 1.5 })).toThrow(/threshold/);
    expect(() => open({ ...OPTIONS, minSilenceMs: -1 })).toThrow(/minSilenceMs/);
    expect(() => open({ ...OPTIONS, sampleRate: 11025 as 8000 })).toThrow(/sampleRate/);
    expect(() => open({ ...OPTIONS, maxDipMs: -20 })).toThrow(/maxDipMs/);
  });
});
