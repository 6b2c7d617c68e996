import type { VoiceError } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import { espeak, HAS_ESPEAK, padWithSilence, resample } from '../../test/speech.js';
import {
  atPeak,
  chord,
  concat,
  overlay,
  pcm16,
  pinkNoise,
  SENTENCE,
  silence,
  speechLike,
  whiteNoise,
} from '../../test/signals.js';
import { canFallback } from '../interfaces.js';
import { sequentialLanes } from './silero-lane.js';
import type { SileroLane, SileroLaneFactory } from './silero-lane.js';
import { SileroPool, sileroPoolSize } from './silero-pool.js';
import { sileroModelPath, sileroWindowSamples } from './silero-runner.js';
import type { SileroRate } from './silero-runner.js';
import { workerSileroRunner } from './silero-worker.js';

/** A stream's audio at one of the model's rates. */
interface Clip {
  readonly rate: SileroRate;
  readonly samples: Int16Array;
}

const spoken = new Map<SileroRate, Int16Array>();

function speech(rate: SileroRate): Int16Array {
  let samples = spoken.get(rate);
  if (samples === undefined) {
    samples = speak(rate);
    spoken.set(rate, samples);
  }
  return samples;
}

function speak(rate: SileroRate): Int16Array {
  if (HAS_ESPEAK) {
    const spoken = espeak('one window at a time, or many at once');
    return padWithSilence(resample(spoken.samples, spoken.sampleRate, rate), rate, 300);
  }
  return pcm16(concat(silence(rate, 300), atPeak(speechLike(rate, SENTENCE), -12)));
}

/** Different audio per stream: speech, speech over noise, noise, a chord, at both rates. */
function clips(count: number): Clip[] {
  const made: Clip[] = [];
  for (let i = 0; i < count; i++) {
    const rate: SileroRate = i % 8 === 7 ? 8000 : 16000;
    const kind = i % 4;
    const voice = Float64Array.from(speech(rate), (v) => v / 32768);
    const audio =
      kind === 0
        ? voice
        : kind === 1
          ? overlay(atPeak(pinkNoise(rate, 3000, i), -40), voice, rate, 200 * i)
          : kind === 2
            ? atPeak(whiteNoise(rate, 1500, i), -30)
            : concat(atPeak(chord(rate, 700), -20), voice);
    made.push({ rate, samples: pcm16(audio) });
  }
  return made;
}

interface Scored {
  readonly lane: SileroLane;
  readonly scores: number[];
  readonly errors: unknown[];
  /** Resolves with the lane's first error. */
  readonly failed: Promise<unknown>;
}

function open(lanes: SileroLaneFactory, rate: SileroRate): Scored {
  const scores: number[] = [];
  const errors: unknown[] = [];
  let reject: (error: unknown) => void = () => undefined;
  const failed = new Promise<unknown>((resolve) => {
    reject = resolve;
  });
  const lane = lanes(rate, {
    onScore: (probability) => scores.push(probability),
    onError: (error) => {
      errors.push(error);
      reject(error);
    },
  });
  return { lane, scores, errors, failed };
}

/** Queues `clips[i]` on `lanes[i]` window by window, all streams interleaved, then waits for every score. */
async function feed(streams: readonly Scored[], audio: readonly Clip[], from = 0, to = Infinity) {
  const windows = audio.map((clip) =>
    Math.floor(clip.samples.length / sileroWindowSamples(clip.rate)),
  );
  const last = Math.min(to, Math.max(...windows));
  for (let w = from; w < last; w++) {
    audio.forEach((clip, i) => {
      const size = sileroWindowSamples(clip.rate);
      if (w < (windows[i] ?? 0))
        streams[i]?.lane.score(clip.samples.subarray(w * size, (w + 1) * size));
    });
  }
  await Promise.all(streams.map((stream) => stream.lane.idle()));
}

function expectSameScores(actual: readonly number[], expected: readonly number[]): void {
  expect(actual).toHaveLength(expected.length);
  const worst = Math.max(0, ...actual.map((p, i) => Math.abs(p - (expected[i] ?? NaN))));
  expect(worst).toBeLessThan(1e-5);
}

const reference = (): SileroLaneFactory => sequentialLanes(workerSileroRunner(sileroModelPath()));

describe('Silero worker pool', () => {
  it('scores many streams at once, batched, as the one-at-a-time runner does (within 1e-5)', async () => {
    const audio = clips(40); // past the first batch and message buffers, so they grow
    const pool = new SileroPool(sileroModelPath(), 2);
    await pool.ready();
    const pooled = audio.map((clip) => open((r, h) => pool.open(r, h), clip.rate));
    const single = audio.map((clip) => open(reference(), clip.rate));
    await Promise.all([feed(pooled, audio), feed(single, audio)]);
    expect(pool.loads()).toEqual([20, 20]);
    pooled.forEach((stream, i) => {
      expect(stream.errors).toEqual([]);
      expectSameScores(stream.scores, single[i]?.scores ?? []);
    });
    // The scores mean something: speech scores high somewhere, and the batches held many streams.
    expect(Math.max(...pooled.flatMap((s) => s.scores))).toBeGreaterThan(0.5);
    const { runs, windows } = pool.stats();
    expect(windows).toBe(pooled.reduce((n, s) => n + s.scores.length, 0));
    expect(windows / runs).toBeGreaterThan(5);
    for (const stream of [...pooled, ...single]) stream.lane.close();
    // 80 streams of model inference, half of them one window at a time: CPU work that takes
    // well past the default 20 s on a 2-core machine the rest of the suite is loading.
  }, 90_000);

  it('is ready once one worker has the model, and starts the others then', async () => {
    const pool = new SileroPool(sileroModelPath(), 3);
    expect([0, 1, 2].map((i) => pool.thread(i))).toEqual([undefined, undefined, undefined]);
    await pool.ready();
    expect([0, 1, 2].map((i) => pool.thread(i) !== undefined)).toEqual([true, true, true]);
    const lanes = [0, 1, 2].map(() => open((r, h) => pool.open(r, h), 16000));
    await feed(lanes, clips(3));
    for (const lane of lanes) {
      expect(lane.errors).toEqual([]);
      expect(lane.scores.length).toBeGreaterThan(0);
      lane.lane.close();
    }
  });

  it('places a stream on the worker with the fewest streams and keeps it there', async () => {
    const pool = new SileroPool(sileroModelPath(), 3);
    const lanes = Array.from({ length: 5 }, () =>
      pool.open(16000, { onScore: () => undefined, onError: () => undefined }),
    );
    expect(lanes.map((lane) => lane.worker)).toEqual([0, 1, 2, 0, 1]);
    lanes[2]?.close();
    lanes[0]?.close();
    expect(pool.loads()).toEqual([1, 2, 0]);
    const next = [0, 1].map(() =>
      pool.open(8000, { onScore: () => undefined, onError: () => undefined }),
    );
    expect(next.map((lane) => lane.worker)).toEqual([2, 0]);
    for (const lane of [...lanes, ...next]) lane.close();
    await pool.ready();
  });

  it('fails only the streams of a worker that dies, and replaces it for new streams', async () => {
    const audio = clips(4);
    const pool = new SileroPool(sileroModelPath(), 2);
    const pooled = audio.map((clip) => open((r, h) => pool.open(r, h), clip.rate));
    const single = audio.map((clip) => open(reference(), clip.rate));
    expect(pooled.map((s) => (s.lane as ReturnType<SileroPool['open']>).worker)).toEqual([
      0, 1, 0, 1,
    ]);
    await Promise.all([feed(pooled, audio, 0, 20), feed(single, audio, 0, 20)]);
    const dying = pool.thread(0);
    expect(dying).toBeDefined();
    // Windows queued when the worker dies are lost with it; their streams fail.
    for (const i of [0, 2])
      pooled[i]?.lane.score(new Int16Array(sileroWindowSamples(audio[i]?.rate ?? 16000)));
    await dying?.terminate();
    const [first, third] = await Promise.all([pooled[0]?.failed, pooled[2]?.failed]);
    for (const error of [first, third]) {
      expect(error).toMatchObject({
        code: 'PROVIDER_ERROR',
        message: expect.stringMatching(
          /Silero VAD inference failed: the Silero worker exited/,
        ) as string,
        details: { provider: 'silero', fallback: true },
      });
      expect(canFallback(error)).toBe(true);
    }
    expect(pooled[0]?.errors).toHaveLength(1);
    await pooled[0]?.lane.idle();
    expect(pooled[0]?.lane.pending).toBe(0);
    expect(pool.thread(0)).toBeUndefined();
    expect(pool.loads()).toEqual([0, 2]);

    // The other worker's streams go on, their state intact.
    const survivors = [1, 3];
    await Promise.all([
      feed(
        survivors.map((i) => pooled[i] as Scored),
        survivors.map((i) => audio[i] as Clip),
        20,
      ),
      feed(
        survivors.map((i) => single[i] as Scored),
        survivors.map((i) => audio[i] as Clip),
        20,
      ),
    ]);
    for (const i of survivors) {
      expect(pooled[i]?.errors).toEqual([]);
      expectSameScores(pooled[i]?.scores ?? [], single[i]?.scores ?? []);
    }

    // A new stream goes to a fresh worker in the dead one's place.
    const fresh = open((r, h) => pool.open(r, h), 16000);
    const check = open(reference(), 16000);
    expect((fresh.lane as ReturnType<SileroPool['open']>).worker).toBe(0);
    const clip = audio[0] as Clip;
    await Promise.all([feed([fresh], [clip]), feed([check], [clip])]);
    expect(pool.thread(0)).not.toBe(dying);
    expectSameScores(fresh.scores, check.scores);
    for (const stream of [...pooled, ...single, fresh, check]) stream.lane.close();
  });

  it('fails the streams of a worker that throws, with the reason', async () => {
    const pool = new SileroPool(sileroModelPath(), 1);
    await pool.ready();
    const stream = open((r, h) => pool.open(r, h), 16000);
    // A message the worker cannot take makes it throw outside any request.
    pool
      .thread(0)
      ?.postMessage({ type: 'windows', lanes: Int32Array.of(999), samples: new Float32Array(512) });
    const error = (await stream.failed) as VoiceError;
    expect(error).toMatchObject({
      code: 'PROVIDER_ERROR',
      details: { provider: 'silero', fallback: true },
    });
    expect(error.message).toMatch(/unknown lane 999/);
    await stream.lane.idle();
    expect(pool.loads()).toEqual([0]);
  });

  it('reports a missing or broken model as PROVIDER_UNAVAILABLE, once per stream', async () => {
    for (const modelPath of ['/nonexistent/silero.onnx', import.meta.filename]) {
      const pool = new SileroPool(modelPath, 1);
      await expect(pool.ready()).rejects.toMatchObject({
        code: 'PROVIDER_UNAVAILABLE',
        details: { provider: 'silero', fallback: true, modelPath },
      });
      const stream = open((r, h) => pool.open(r, h), 16000);
      stream.lane.score(new Int16Array(512));
      await expect(stream.failed).resolves.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
      await stream.lane.idle();
      expect(stream.errors).toHaveLength(1);
    }
  });

  it('sizes itself to the cores, up to 8, unless told', () => {
    expect(sileroPoolSize(3)).toBe(3);
    expect(sileroPoolSize()).toBeGreaterThanOrEqual(1);
    expect(sileroPoolSize()).toBeLessThanOrEqual(8);
  });
});
