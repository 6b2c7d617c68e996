/**
 * Benchmark of the local speech engines on this machine: espeak-ng's latency
 * to the first audio chunk and its real-time factor, and pocketsphinx's
 * real-time factor and latency from `finalize()` to the final, with a JSGF
 * grammar and with the full US English language model. Wall-clock times
 * (`performance.now()`); medians over a few runs. Takes about 20 s.
 */
import { performance } from 'node:perf_hooks';
import { durationMsOf } from '@prx-voice/media';
import type { SampleRate } from '@prx-voice/media';
import type { AsrEvent, AsrStream } from '../../interfaces.js';
import { createEspeakTts } from './espeak-tts.js';
import { createPocketsphinxAsr } from './pocketsphinx-asr.js';

/** espeak-ng figures. */
export interface EspeakBench {
  /** Median ms from the request to its first audio chunk. */
  readonly firstAudioMs: number;
  /** Median synthesis time divided by the duration of the audio produced. */
  readonly realTimeFactor: number;
  /** Duration of the sentence's audio, ms. */
  readonly audioMs: number;
}

/** pocketsphinx figures for one search mode. */
export interface PocketsphinxBench {
  readonly mode: 'grammar' | 'language model';
  /** Processing time of a 3 s utterance pushed at once (engine already loaded) over its duration. */
  readonly realTimeFactor: number;
  /** Median ms from `finalize()` to the final when the audio was pushed in real time. */
  readonly finalizeToFinalMs: number;
  /** Ms from opening a stream to the final of a 3 s utterance pushed at once (includes loading the models). */
  readonly coldFinalMs: number;
  /** What the engine heard. */
  readonly transcript: string;
}

/** Everything {@link benchLocalEngines} measured; an engine that could not run has its error instead. */
export interface LocalEnginesBench {
  readonly espeak: EspeakBench | { readonly error: string };
  readonly pocketsphinx: readonly PocketsphinxBench[] | { readonly error: string };
}

const SENTENCE = 'Hello there, how are you today? I would like to book a table for two.';
const COMMANDS = 'Turn on the light. Switch off the fan.';
const GRAMMAR =
  '#JSGF V1.0; grammar cmd; public <cmds> = <cmd>+; <cmd> = (turn | switch) (on | off) the (light | fan) | what time is it | hello there;';
const RATE: SampleRate = 16000;
const UTTERANCE_MS = 3000;
const RUNS = 3;

/**
 * Measures the local engines and prints one line per figure (through `log`,
 * default `console.log`); returns the figures.
 *
 * @example
 * const figures = await benchLocalEngines();
 * // espeak-ng: first audio 9.8 ms, real-time factor 0.004 (4.3 s of audio)
 */
export async function benchLocalEngines(
  options: { readonly log?: (line: string) => void } = {},
): Promise<LocalEnginesBench> {
  const log = options.log ?? ((line: string) => console.log(line));
  const espeak = await settle(benchEspeak);
  if ('error' in espeak) log(`espeak-ng: unavailable (${espeak.error})`);
  else {
    log(
      `espeak-ng: first audio ${espeak.firstAudioMs.toFixed(1)} ms, real-time factor ${espeak.realTimeFactor.toFixed(4)} (${(espeak.audioMs / 1000).toFixed(1)} s of audio)`,
    );
  }
  const pocketsphinx = await settle(benchPocketsphinx);
  if ('error' in pocketsphinx) log(`pocketsphinx: unavailable (${pocketsphinx.error})`);
  else {
    for (const m of pocketsphinx) {
      log(
        `pocketsphinx (${m.mode}): real-time factor ${m.realTimeFactor.toFixed(3)}, finalize → final ${m.finalizeToFinalMs.toFixed(1)} ms, cold start → final ${m.coldFinalMs.toFixed(0)} ms; heard "${m.transcript}"`,
      );
    }
  }
  return { espeak, pocketsphinx };
}

async function settle<T extends object>(run: () => Promise<T>): Promise<T | { error: string }> {
  try {
    return await run();
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

async function benchEspeak(): Promise<EspeakBench> {
  const tts = createEspeakTts();
  const first: number[] = [];
  const factors: number[] = [];
  let samples = 0;
  for (let run = 0; run < RUNS + 1; run++) {
    const started = performance.now();
    let firstAt = -1;
    samples = 0;
    const signal = new AbortController().signal;
    for await (const event of tts.synthesize({ text: SENTENCE, sampleRate: RATE, signal })) {
      if (event.type !== 'audio') continue;
      if (firstAt < 0) firstAt = performance.now() - started;
      samples += event.samples.length;
    }
    if (run === 0) continue; // warm-up: page cache, the resampler's kernel
    first.push(firstAt);
    factors.push((performance.now() - started) / durationMsOf(samples, RATE));
  }
  return {
    firstAudioMs: median(first),
    realTimeFactor: median(factors),
    audioMs: durationMsOf(samples, RATE),
  };
}

/** Three seconds of commands spoken by espeak-ng at 16 kHz (padded with silence or cut). */
async function commandsAudio(): Promise<Int16Array> {
  const out = new Int16Array((RATE * UTTERANCE_MS) / 1000);
  let at = 0;
  const signal = new AbortController().signal;
  const tts = createEspeakTts();
  const request = { text: COMMANDS, sampleRate: RATE, signal, options: { voice: 'en-us+f2' } };
  for await (const event of tts.synthesize(request)) {
    if (event.type !== 'audio' || at >= out.length) continue;
    const take = event.samples.subarray(0, out.length - at);
    out.set(take, at);
    at += take.length;
  }
  return out;
}

async function benchPocketsphinx(): Promise<PocketsphinxBench[]> {
  const audio = await commandsAudio();
  const results: PocketsphinxBench[] = [];
  for (const mode of ['grammar', 'language model'] as const) {
    const asr = createPocketsphinxAsr();
    const stream = asr.open({
      sampleRate: RATE,
      language: 'en-US',
      options: mode === 'grammar' ? { grammar: GRAMMAR } : {},
    });
    const finals = finalsOf(stream);
    // Cold: the models load while the audio is already there.
    const opened = performance.now();
    pushAll(stream, audio);
    stream.finalize();
    const transcript = await finals.next();
    const coldFinalMs = performance.now() - opened;
    // Warm: the next utterance's engine was started at finalize(); give it time to load.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const started = performance.now();
    pushAll(stream, audio);
    stream.finalize();
    await finals.next();
    const realTimeFactor = (performance.now() - started) / UTTERANCE_MS;
    const latencies: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      await pushInRealTime(stream, audio);
      const finalized = performance.now();
      stream.finalize();
      await finals.next();
      latencies.push(performance.now() - finalized);
    }
    stream.abort();
    results.push({
      mode,
      realTimeFactor,
      finalizeToFinalMs: median(latencies),
      coldFinalMs,
      transcript,
    });
  }
  return results;
}

/** The texts of a stream's finals, one per `next()`; throws if the stream fails or ends. */
function finalsOf(stream: AsrStream): { next(): Promise<string> } {
  const iterator = stream[Symbol.asyncIterator]();
  return {
    async next() {
      for (;;) {
        const result: IteratorResult<AsrEvent> = await iterator.next();
        if (result.done === true) throw new Error('the stream ended before a final');
        if (result.value.type === 'final') return result.value.text;
      }
    },
  };
}

const FRAME = RATE / 50; // 20 ms

function pushAll(stream: AsrStream, audio: Int16Array): void {
  for (let at = 0; at < audio.length; at += FRAME) stream.push(audio.subarray(at, at + FRAME));
}

/** Pushes 20 ms frames on a real-time schedule, as a microphone would. */
async function pushInRealTime(stream: AsrStream, audio: Int16Array): Promise<void> {
  const start = performance.now();
  for (let at = 0, frame = 0; at < audio.length; at += FRAME, frame++) {
    const due = start + frame * 20;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    stream.push(audio.subarray(at, at + FRAME));
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
