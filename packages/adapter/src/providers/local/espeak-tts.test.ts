import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createResampler, readWav } from '@prx-voice/media';
import type { SampleRate } from '@prx-voice/media';
import { VoiceError } from '@prx-voice/types';
import { afterAll, describe, expect, it } from 'vitest';
import type { TtsEvent, TtsRequest } from '../../interfaces.js';
import { createEspeakTts } from './espeak-tts.js';
import type { EspeakTtsDeps } from './espeak-tts.js';
import type { LocalProcessInfo } from './local-process.js';

const HAS_ESPEAK = spawnSync('espeak-ng', ['--version'], { stdio: 'ignore' }).status === 0;
/** In CI a missing espeak-ng fails these tests; locally they are skipped. */
const RUN = HAS_ESPEAK || process.env['CI'] !== undefined;
if (!RUN)
  console.warn(
    'espeak-ng is not installed: skipping the espeak TTS tests (apt-get install espeak-ng)',
  );

const scratch = mkdtempSync(join(tmpdir(), 'prx-voice-espeak-test-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

interface Outcome {
  readonly audio: Int16Array[];
  readonly usage: number[];
  readonly processes: LocalProcessInfo[];
}

async function synthesize(
  request: Omit<TtsRequest, 'signal'> & { signal?: AbortSignal },
  deps: EspeakTtsDeps = {},
): Promise<Outcome> {
  const processes: LocalProcessInfo[] = [];
  const tts = createEspeakTts({ ...deps, onProcess: (p) => processes.push(p) });
  const audio: Int16Array[] = [];
  const usage: number[] = [];
  const signal = request.signal ?? new AbortController().signal;
  for await (const event of tts.synthesize({ ...request, signal })) {
    if (event.type === 'audio') audio.push(event.samples);
    if (event.type === 'usage') usage.push(event.characters);
  }
  return { audio, usage, processes };
}

function joined(chunks: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** What `espeak-ng -w` writes for `text`, resampled in one go. */
function reference(text: string, rate: SampleRate): Int16Array {
  const file = join(scratch, 'reference.wav');
  const result = spawnSync('espeak-ng', ['-v', 'en-us', '-w', file, text], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`espeak-ng failed: ${result.stderr}`);
  const wav = readWav(readFileSync(file));
  expect(wav.sampleRate).toBe(22050);
  const resampler = createResampler({ from: wav.sampleRate, to: rate });
  return joined([resampler.process(wav.samples).slice(), resampler.flush().slice()]);
}

async function rejection(promise: Promise<unknown>): Promise<VoiceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(VoiceError.is(error)).toBe(true);
  return error as VoiceError;
}

describe.runIf(RUN)('espeak TTS on the real engine', () => {
  it('speaks a short sentence for a plausible time, in 40 ms chunks, then reports the characters', async () => {
    const text = 'Turn on the light.';
    const { audio, usage, processes } = await synthesize({ text, sampleRate: 16000 });
    const seconds = audio.reduce((n, c) => n + c.length, 0) / 16000;
    expect(seconds).toBeGreaterThan(0.5);
    expect(seconds).toBeLessThan(5);
    // Whole 40 ms chunks, then the sentence's remainder and the resampler's tail.
    expect(audio.slice(0, -2).every((chunk) => chunk.length === 640)).toBe(true);
    expect(audio.every((chunk) => chunk.length > 0 && chunk.length <= 640)).toBe(true);
    expect(usage).toEqual([text.length]);
    expect(processes).toHaveLength(1);
  });

  it.each([8000, 24000, 48000] as const)(
    'produces exactly the one-shot resampling of espeak-ng at %i Hz',
    async (rate) => {
      const text = 'What time is it';
      const { audio } = await synthesize({ text, sampleRate: rate });
      const expected = reference(text, rate);
      const got = joined(audio);
      expect(got.length).toBe(expected.length);
      expect(got).toEqual(expected);
    },
  );

  it('speaks a text stream sentence by sentence as it arrives', async () => {
    let heard!: () => void;
    const firstAudio = new Promise<void>((resolve) => {
      heard = resolve;
    });
    async function* pieces(): AsyncGenerator<string> {
      yield 'Hello the';
      yield 're. How';
      await firstAudio; // the first sentence must be spoken before the rest of the text exists
      yield ' are you?';
    }
    const processes: LocalProcessInfo[] = [];
    const tts = createEspeakTts({ onProcess: (p) => processes.push(p) });
    const events: TtsEvent[] = [];
    const controller = new AbortController();
    for await (const event of tts.synthesize({
      text: pieces(),
      sampleRate: 24000,
      signal: controller.signal,
    })) {
      if (event.type === 'audio') heard();
      events.push(event);
    }
    expect(processes).toHaveLength(2);
    expect(events.at(-1)).toEqual({
      type: 'usage',
      characters: 'Hello there. How are you?'.length,
    });
    expect(events.filter((e) => e.type === 'audio').length).toBeGreaterThan(10);
  });

  it('kills espeak-ng when the request is aborted', async () => {
    const text = 'this is a long text without any full stop that goes on and on '.repeat(12);
    const processes: LocalProcessInfo[] = [];
    const tts = createEspeakTts({ onProcess: (p) => processes.push(p) });
    const controller = new AbortController();
    const events = tts.synthesize({ text, sampleRate: 16000, signal: controller.signal });
    const iterator = events[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value?.type).toBe('audio');
    const running = processes[0];
    expect(running?.pid).toBeTypeOf('number');
    // espeak-ng is blocked writing into the full pipe, so it is still running.
    expect(existsSync(`/proc/${String(running?.pid)}`)).toBe(true);
    controller.abort();
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    const exit = await running?.exited;
    expect(exit?.signal).toBe('SIGKILL');
    expect(existsSync(`/proc/${String(running?.pid)}`)).toBe(false);
  });

  it('fails with PROVIDER_UNAVAILABLE and the engine stderr for an unknown voice', async () => {
    const error = await rejection(
      synthesize({ text: 'Hello.', sampleRate: 16000, options: { voice: 'xx-nonexistent' } }),
    );
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(error.details['provider']).toBe('espeak');
    expect(error.details['fallback']).toBe(true);
    expect(error.details['exit_code']).toBe(1);
    expect(String(error.details['stderr'])).toMatch(/voice does not exist/);
  });
});

describe('espeak TTS without the engine', () => {
  it('fails with PROVIDER_UNAVAILABLE when the executable is missing', async () => {
    const error = await rejection(
      synthesize(
        { text: 'Hello.', sampleRate: 16000 },
        { command: join(scratch, 'no-such-espeak') },
      ),
    );
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(error.details['fallback']).toBe(true);
    expect(error.message).toMatch(/could not start/);
  });

  it('starts no process for blank text and reports its characters', async () => {
    const { audio, usage, processes } = await synthesize(
      { text: '  ', sampleRate: 16000 },
      { command: join(scratch, 'no-such-espeak') },
    );
    expect(audio).toEqual([]);
    expect(usage).toEqual([2]);
    expect(processes).toEqual([]);
  });

  it('refuses invalid options', async () => {
    const error = await rejection(
      synthesize({ text: 'Hi.', sampleRate: 16000, options: { rate: 5000 } }),
    );
    expect(error.code).toBe('VALIDATION_FAILED');
  });

  it('fails with PROVIDER_TIMEOUT and kills the engine when no audio comes in time', async () => {
    const silent = join(scratch, 'silent-engine');
    writeFileSync(silent, '#!/bin/sh\nexec sleep 600\n');
    chmodSync(silent, 0o755);
    const clock = new SimulatedClock();
    const processes: LocalProcessInfo[] = [];
    const tts = createEspeakTts({ clock, command: silent, onProcess: (p) => processes.push(p) });
    const events = tts.synthesize({
      text: 'Hello.',
      sampleRate: 16000,
      signal: new AbortController().signal,
      options: { first_byte_timeout_ms: 1000 },
    });
    const run = events[Symbol.asyncIterator]().next();
    // The generator spawned the engine and armed the timer synchronously within next().
    expect(processes).toHaveLength(1);
    clock.advance(1000);
    const error = await rejection(run);
    expect(error.code).toBe('PROVIDER_TIMEOUT');
    expect(error.details['fallback']).toBe(true);
    expect((await processes[0]?.exited)?.signal).toBe('SIGKILL');
  });
});
