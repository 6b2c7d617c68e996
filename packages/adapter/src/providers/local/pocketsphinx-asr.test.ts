import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createResampler, readWav, samplesForMs } from '@prx-voice/media';
import type { SampleRate } from '@prx-voice/media';
import { VoiceError } from '@prx-voice/types';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AsrEvent, AsrStream } from '../../interfaces.js';
import { createEspeakTts } from './espeak-tts.js';
import type { LocalProcessInfo } from './local-process.js';
import { createPocketsphinxAsr } from './pocketsphinx-asr.js';
import type { PocketsphinxAsrDeps } from './pocketsphinx-asr.js';

const installed = (tool: string): boolean =>
  spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
const HAS_TOOLS = installed('pocketsphinx_continuous') && installed('espeak-ng');
/** In CI missing engines fail these tests; locally they are skipped. */
const RUN = HAS_TOOLS || process.env['CI'] !== undefined;
if (!RUN) {
  console.warn(
    'pocketsphinx or espeak-ng is not installed: skipping the pocketsphinx ASR tests (apt-get install pocketsphinx pocketsphinx-en-us espeak-ng)',
  );
}

const GRAMMAR =
  '#JSGF V1.0; grammar cmd; public <cmd> = (turn | switch) (on | off) the (light | fan) | what time is it | hello there;';
/** A voice that pocketsphinx's US English model hears well. */
const VOICE = 'en-us+f2';

const scratch = mkdtempSync(join(tmpdir(), 'prx-voice-sphinx-test-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** `text` spoken by espeak-ng (22.05 kHz), resampled to `rate`, with `padMs` of silence before and after. */
function speech(text: string, rate: SampleRate, padMs = 300): Int16Array {
  const file = join(scratch, 'speech.wav');
  const result = spawnSync('espeak-ng', ['-v', VOICE, '-w', file, text], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`espeak-ng failed: ${result.stderr}`);
  const wav = readWav(readFileSync(file));
  const resampler = createResampler({ from: wav.sampleRate, to: rate });
  const head = resampler.process(wav.samples).slice();
  const tail = resampler.flush();
  const pad = samplesForMs(rate, padMs);
  const out = new Int16Array(pad + head.length + tail.length + pad);
  out.set(head, pad);
  out.set(tail, pad + head.length);
  return out;
}

/** Pushes `audio` in 20 ms frames through one reused buffer (the stream must copy). */
function pushFrames(stream: AsrStream, audio: Int16Array, rate: SampleRate): void {
  const frame = new Int16Array(samplesForMs(rate, 20));
  for (let at = 0; at < audio.length; at += frame.length) {
    const part = audio.subarray(at, at + frame.length);
    frame.set(part);
    stream.push(part.length === frame.length ? frame : frame.subarray(0, part.length));
    frame.fill(-1);
  }
}

/** Reads a stream's events one by one. */
class Reader {
  readonly #iterator: AsyncIterator<AsrEvent>;
  constructor(stream: AsrStream) {
    this.#iterator = stream[Symbol.asyncIterator]();
  }
  async next(): Promise<AsrEvent | undefined> {
    const result = await this.#iterator.next();
    return result.done === true ? undefined : result.value;
  }
  /** Events up to and including the next event of `type`. */
  async until(type: AsrEvent['type']): Promise<AsrEvent[]> {
    const events: AsrEvent[] = [];
    for (;;) {
      const event = await this.next();
      if (event === undefined) throw new Error(`stream ended before a ${type}`);
      events.push(event);
      if (event.type === type) return events;
    }
  }
  async final(): Promise<Extract<AsrEvent, { type: 'final' }>> {
    const event = (await this.until('final')).at(-1);
    if (event?.type !== 'final') throw new Error('unreachable');
    return event;
  }
}

/** Every process the streams of a test started; each test ends once they are gone. */
const started: LocalProcessInfo[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.exited));
});

function open(
  rate: SampleRate,
  options: Record<string, unknown> = { grammar: GRAMMAR },
  deps: PocketsphinxAsrDeps = {},
) {
  const processes: LocalProcessInfo[] = [];
  const asr = createPocketsphinxAsr({
    ...deps,
    onProcess: (p) => {
      processes.push(p);
      started.push(p);
    },
  });
  const stream = asr.open({ sampleRate: rate, language: 'en-US', options });
  return { stream, reader: new Reader(stream), processes };
}

/** Live (or zombie) child processes of this test process, from /proc: [pid, command, state]. */
function children(): [number, string, string][] {
  const found: [number, string, string][] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const close = stat.lastIndexOf(')');
    const [state, ppid] = stat.slice(close + 2).split(' ');
    if (Number(ppid) === process.pid)
      found.push([Number(entry), stat.slice(stat.indexOf('(') + 1, close), state ?? '']);
  }
  return found;
}

const engines = (processes: readonly LocalProcessInfo[]): LocalProcessInfo[] =>
  processes.filter((p) => p.command === 'pocketsphinx_continuous');

function enginePid(processes: readonly LocalProcessInfo[], index = 0): number {
  const pid = engines(processes)[index]?.pid;
  if (pid === undefined) throw new Error('no pocketsphinx process');
  return pid;
}

async function rejection(promise: Promise<unknown>): Promise<VoiceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(VoiceError.is(error)).toBe(true);
  return error as VoiceError;
}

describe.runIf(RUN)('pocketsphinx ASR on the real engine', () => {
  it('transcribes each sentence of a grammar with exactly one final per finalize', async () => {
    const { stream, reader, processes } = open(16000);
    let previousEnd = 0;
    for (const sentence of [
      'turn on the light',
      'switch off the fan',
      'what time is it',
      'hello there',
    ]) {
      pushFrames(stream, speech(sentence, 16000), 16000);
      stream.finalize();
      const events = await reader.until('final');
      const final = events.at(-1);
      expect(final?.type === 'final' && final.text.toLowerCase()).toBe(sentence);
      expect(events.filter((e) => e.type === 'final')).toHaveLength(1);
      expect(final?.type === 'final' && final.startMs).toBe(previousEnd);
      const usage = await reader.next();
      expect(usage?.type).toBe('usage');
      previousEnd = usage?.type === 'usage' ? usage.audioMs : -1;
    }
    stream.end();
    expect(await reader.next()).toBeUndefined();
    // Per utterance a FIFO, an engine and its feeder; then the FIFO of the next utterance,
    // whose engine end() stopped (started or not yet).
    await Promise.all(processes.map((p) => p.exited));
    const count = (command: string): number =>
      processes.filter((p) => p.command === command).length;
    expect(count('mkfifo')).toBe(5);
    expect([4, 5]).toContain(count('pocketsphinx_continuous'));
    expect(count('dd')).toBe(count('pocketsphinx_continuous'));
    const exits = await Promise.all(engines(processes).map((p) => p.exited));
    expect(exits.slice(0, 4).map((e) => e.code)).toEqual([0, 0, 0, 0]);
  });

  it('resamples audio pushed at 22.05 kHz to the 16 kHz the engine needs', async () => {
    const { stream, reader } = open(22050);
    pushFrames(stream, speech('switch on the fan', 22050), 22050);
    stream.finalize();
    expect((await reader.final()).text.toLowerCase()).toBe('switch on the fan');
    stream.abort();
  });

  it('transcribes what the espeak TTS provider says (the offline loop)', async () => {
    const tts = createEspeakTts();
    const { stream, reader } = open(24000);
    for (const sentence of ['what time is it', 'switch on the light']) {
      const signal = new AbortController().signal;
      const request = {
        text: sentence,
        sampleRate: 24000,
        signal,
        options: { voice: VOICE },
      } as const;
      pushFrames(stream, new Int16Array(7200), 24000);
      for await (const event of tts.synthesize(request)) {
        if (event.type === 'audio') pushFrames(stream, event.samples, 24000);
      }
      stream.finalize();
      expect((await reader.final()).text.toLowerCase()).toBe(sentence);
    }
    stream.abort();
  });

  it('spots a keyphrase and nothing else', async () => {
    const { stream, reader } = open(16000, { keyphrase: 'hello there' });
    for (const [sentence, spotted] of [
      ['there is hello there again', 'hello there'],
      ['what time is it', ''],
    ] as const) {
      pushFrames(stream, speech(sentence, 16000), 16000);
      stream.finalize();
      expect((await reader.final()).text.toLowerCase()).toBe(spotted);
    }
    stream.abort();
  });

  it('gives an empty final for silence, and for a finalize with no audio at all', async () => {
    const { stream, reader } = open(16000);
    stream.finalize();
    expect(await reader.final()).toMatchObject({ text: '', startMs: 0, endMs: 0 });
    pushFrames(stream, new Int16Array(16000), 16000);
    stream.finalize();
    expect(await reader.final()).toMatchObject({ text: '', startMs: 0, endMs: 1000 });
    stream.end();
    expect(await reader.until('usage')).toEqual([{ type: 'usage', audioMs: 1000 }]);
    expect(await reader.next()).toBeUndefined();
  });

  it('restarts a killed engine, replays the utterance and keeps working', async () => {
    const { stream, reader, processes } = open(16000);
    // A pause inside the utterance: pocketsphinx prints its first part as a partial.
    pushFrames(stream, speech('turn on the light', 16000, 800), 16000);
    expect((await reader.until('partial')).at(-1)).toMatchObject({
      type: 'partial',
      text: 'turn on the light',
    });
    const killed = enginePid(processes);
    process.kill(killed, 'SIGKILL');
    pushFrames(stream, speech('what time is it', 16000), 16000);
    stream.finalize();
    const final = await reader.final();
    expect(final.text.toLowerCase()).toBe('turn on the light what time is it');
    expect(existsSync(`/proc/${String(killed)}`)).toBe(false);
    expect((await engines(processes)[0]?.exited)?.signal).toBe('SIGKILL');
    pushFrames(stream, speech('hello there', 16000), 16000);
    stream.finalize();
    expect((await reader.final()).text.toLowerCase()).toBe('hello there');
    stream.abort();
  });

  it('fails once the engine died more often in a row than max_restarts allows', async () => {
    const { stream, reader, processes } = open(16000, { grammar: GRAMMAR, max_restarts: 0 });
    pushFrames(stream, speech('turn on the light', 16000, 800), 16000);
    await reader.until('partial');
    process.kill(enginePid(processes), 'SIGKILL');
    const error = await rejection(reader.until('final'));
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(error.details['fallback']).toBe(true);
    expect(error.details['signal']).toBe('SIGKILL');
  });

  it('kills the engine and its feeder when aborted, leaving no process or zombie behind', async () => {
    const { stream, reader, processes } = open(16000);
    pushFrames(stream, speech('hello there', 16000, 800), 16000);
    await reader.until('partial');
    expect(
      children()
        .map(([, command]) => command)
        .sort(),
    ).toEqual(['dd', 'pocketsphinx_co']);
    stream.abort();
    expect(await reader.next()).toBeUndefined();
    const exits = await Promise.all(processes.map((p) => p.exited));
    expect(exits.map((e) => e.code ?? e.signal)).toEqual([0, 'SIGKILL', 'SIGKILL']);
    expect(children()).toEqual([]);
  });

  it('fails with PROVIDER_UNAVAILABLE and the engine stderr for a bad grammar', async () => {
    const { reader } = open(16000, { grammar: 'this is not JSGF' });
    const error = await rejection(reader.next());
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(error.details['provider']).toBe('pocketsphinx');
    expect(error.details['fallback']).toBe(true);
    expect(String(error.details['stderr'])).toMatch(/JSGF/);
  });
});

describe('pocketsphinx ASR without the engine', () => {
  it('fails with PROVIDER_UNAVAILABLE when the executable is missing', async () => {
    const { reader } = open(16000, {}, { command: join(scratch, 'no-such-sphinx') });
    const error = await rejection(reader.next());
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(error.details['fallback']).toBe(true);
    expect(error.message).toMatch(/not available: could not start \(spawn .* ENOENT\)/);
  });

  it('refuses conflicting options and needs models for other languages', async () => {
    expect(() => open(16000, { grammar: GRAMMAR, keyphrase: 'hello' })).toThrow(/at most one/);
    const asr = createPocketsphinxAsr({ command: join(scratch, 'no-such-sphinx') });
    const stream = asr.open({ sampleRate: 16000, language: 'de-DE' });
    const error = await rejection(new Reader(stream).next());
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(error.details['language']).toBe('de-DE');
  });

  it('fails with PROVIDER_TIMEOUT when the engine gives no result after finalize, and kills it', async () => {
    // A stand-in engine: the first one announces itself, then hangs; later ones end with their input.
    const engine = join(scratch, 'stuck-engine');
    writeFileSync(
      engine,
      [
        '#!/bin/sh',
        'echo "INFO: continuous.c(307): pocketsphinx_continuous COMPILED ON: test" >&2',
        `marker='${join(scratch, 'stuck-once')}'`,
        'if [ ! -e "$marker" ]; then : >"$marker"; echo listening; exec sleep 600; fi',
        'exec cat "$2" >/dev/null', // $1 is -infile
        '',
      ].join('\n'),
    );
    chmodSync(engine, 0o755);
    const clock = new SimulatedClock();
    const { stream, reader, processes } = open(
      16000,
      { final_timeout_ms: 5000 },
      { clock, command: engine },
    );
    expect(await reader.next()).toMatchObject({ type: 'partial', text: 'listening' });
    pushFrames(stream, new Int16Array(3200), 16000);
    stream.finalize();
    clock.advance(5000);
    const error = await rejection(reader.next());
    expect(error.code).toBe('PROVIDER_TIMEOUT');
    expect(error.details['fallback']).toBe(true);
    await Promise.all(processes.map((p) => p.exited));
    expect(children()).toEqual([]);
  });
});
