import { SimulatedClock } from '@prx-voice/core/testing';
import { readWav } from '@prx-voice/media';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { canFallback } from '../../interfaces.js';
import type { AsrEvent, AsrOpenOptions, AsrStream } from '../../interfaces.js';
import { createOpenAiTranscriptionAsr, transcriptionLanguage } from './openai-transcription-asr.js';
import { consume, failureOf, visibleText } from './testing/consume.js';
import type { Consumed } from './testing/consume.js';
import { rampSamples, startHttpExchangeServer } from './testing/http-exchange-server.js';
import type { HttpExchange, HttpExchangeServer } from './testing/http-exchange-server.js';
import { parseMultipart } from './testing/multipart.js';

const KEY = 'sk-transcribe-test-4d7e';

let server: HttpExchangeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  vi.restoreAllMocks();
});

async function open(
  options: Record<string, unknown> = {},
  extra: Partial<AsrOpenOptions> = {},
): Promise<{ clock: SimulatedClock; stream: AsrStream; consumed: Consumed<AsrEvent> }> {
  const clock = new SimulatedClock();
  server = await startHttpExchangeServer();
  const stream = createOpenAiTranscriptionAsr({ clock, env: { OPENAI_API_KEY: KEY } }).open({
    sampleRate: 16000,
    language: 'en-US',
    options: { base_url: `${server.url}/v1`, ...options },
    ...extra,
  });
  return { clock, stream, consumed: consume(stream) };
}

/** Pushes `samples` in 20 ms frames through one reused buffer, as a caller would. */
function pushFrames(stream: AsrStream, samples: Int16Array): void {
  const frame = new Int16Array(320);
  for (let at = 0; at < samples.length; at += 320) {
    const piece = samples.subarray(at, at + 320);
    frame.set(piece);
    stream.push(piece.length === 320 ? frame : frame.subarray(0, piece.length));
    frame.fill(-1);
  }
}

function fields(ex: HttpExchange): Map<string, string> {
  const parts = parseMultipart(ex.body, String(ex.headers['content-type']));
  return new Map(
    parts.filter((p) => p.filename === undefined).map((p) => [p.name, p.data.toString('utf8')]),
  );
}

function answer(ex: HttpExchange, body: unknown, status = 200): void {
  ex.res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

describe('openai transcription ASR', () => {
  it('uploads each utterance as a WAV of exactly the pushed audio, with the model and language', async () => {
    const { stream, consumed } = await open();
    const audio = rampSamples(4800); // 300 ms
    pushFrames(stream, audio);
    stream.finalize();
    const ex = await server!.exchanges.take();
    expect(ex.method).toBe('POST');
    expect(ex.url.pathname).toBe('/v1/audio/transcriptions');
    expect(ex.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(ex.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const parts = parseMultipart(ex.body, String(ex.headers['content-type']));
    const file = parts.find((p) => p.name === 'file');
    expect(file).toMatchObject({ filename: 'utterance.wav', contentType: 'audio/wav' });
    const wav = readWav(file!.data);
    expect(wav.sampleRate).toBe(16000);
    expect(wav.channels).toBe(1);
    expect(wav.samples).toEqual(audio);
    expect(Object.fromEntries(fields(ex))).toEqual({
      model: 'gpt-4o-mini-transcribe',
      language: 'en',
      response_format: 'json',
    });
    answer(ex, {
      text: ' Book a table. ',
      usage: { type: 'tokens', input_tokens: 14, output_tokens: 5, total_tokens: 19 },
    });
    expect(await consumed.events.take()).toEqual({
      type: 'final',
      text: 'Book a table.',
      startMs: 0,
      endMs: 300,
    });
    expect(await consumed.events.take()).toEqual({ type: 'usage', audioMs: 300 });
    stream.abort();
  });

  it('gives exactly one final per finalize(), in order, then ends after end()', async () => {
    const { stream, consumed } = await open({ model: 'whisper-1', language: 'de' });
    pushFrames(stream, rampSamples(3200)); // 200 ms
    stream.finalize();
    stream.finalize(); // nothing since: an empty final, after the one before it
    pushFrames(stream, rampSamples(1600)); // 100 ms, finalized by end()
    stream.end();
    const first = await server!.exchanges.take();
    expect(Object.fromEntries(fields(first))).toMatchObject({ model: 'whisper-1', language: 'de' });
    answer(first, { text: 'Hallo', usage: { type: 'duration', seconds: 0.25 } });
    const second = await server!.exchanges.take();
    const wav = readWav(
      parseMultipart(second.body, String(second.headers['content-type'])).find(
        (p) => p.name === 'file',
      )!.data,
    );
    expect(wav.samples.length).toBe(1600);
    answer(second, { text: 'Tschüss' });
    expect(await consumed.done).toBeUndefined();
    expect(consumed.events.all).toEqual([
      { type: 'final', text: 'Hallo', startMs: 0, endMs: 200 },
      { type: 'usage', audioMs: 250 },
      { type: 'final', text: '', startMs: 200, endMs: 200 },
      { type: 'final', text: 'Tschüss', startMs: 200, endMs: 300 },
      { type: 'usage', audioMs: 350 },
    ]);
  });

  it('derives the language field from the session language', () => {
    expect(transcriptionLanguage(undefined, 'en-US')).toBe('en');
    expect(transcriptionLanguage(undefined, 'pt_BR')).toBe('pt');
    expect(transcriptionLanguage(undefined, 'yue-HK')).toBeUndefined();
    expect(transcriptionLanguage('fr', 'en-US')).toBe('fr');
  });

  it('maps 401 to PROVIDER_AUTH_FAILED without showing or logging the key', async () => {
    const logged = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(() => undefined),
    );
    const { stream, consumed } = await open();
    pushFrames(stream, rampSamples(320));
    stream.finalize();
    const ex = await server!.exchanges.take();
    answer(
      ex,
      { error: { message: `Incorrect API key provided: ${KEY}`, type: 'invalid_request_error' } },
      401,
    );
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_AUTH_FAILED');
    expect(canFallback(error)).toBe(true);
    expect(visibleText(error)).not.toContain(KEY);
    expect(visibleText(consumed.events.all)).not.toContain(KEY);
    for (const spy of logged) expect(spy).not.toHaveBeenCalled();
  });

  it('maps 429 to PROVIDER_RATE_LIMITED with retry_after_ms, and 500 to PROVIDER_UNAVAILABLE', async () => {
    const a = await open();
    pushFrames(a.stream, rampSamples(320));
    a.stream.finalize();
    const ex = await server!.exchanges.take();
    ex.res.writeHead(429, { 'retry-after-ms': '1500' }).end('{"error":{"message":"Rate limit"}}');
    const limited = await failureOf(a.consumed);
    expect(limited.code).toBe('PROVIDER_RATE_LIMITED');
    expect(limited.details).toMatchObject({ retry_after_ms: 1500, fallback: true, partial: false });
    await server?.close();

    const b = await open();
    pushFrames(b.stream, rampSamples(320));
    b.stream.finalize();
    answer(await server!.exchanges.take(), { error: { message: 'The server had an error' } }, 500);
    expect((await failureOf(b.consumed)).code).toBe('PROVIDER_UNAVAILABLE');
  });

  it('fails on a malformed answer and on a dropped connection', async () => {
    const a = await open();
    pushFrames(a.stream, rampSamples(320));
    a.stream.finalize();
    answer(await server!.exchanges.take(), { transcript: 'wrong field' });
    const malformed = await failureOf(a.consumed);
    expect(malformed.code).toBe('PROVIDER_ERROR');
    await server?.close();

    const b = await open();
    pushFrames(b.stream, rampSamples(320));
    b.stream.finalize();
    (await server!.exchanges.take()).res.destroy();
    const dropped = await failureOf(b.consumed);
    expect(dropped.code).toBe('PROVIDER_UNAVAILABLE');
    expect(canFallback(dropped)).toBe(true);
  });

  it('times out a transcription that stalls past first_byte_timeout_ms', async () => {
    const { clock, stream, consumed } = await open({ first_byte_timeout_ms: 4000 });
    pushFrames(stream, rampSamples(320));
    stream.finalize();
    await server!.exchanges.take();
    clock.advance(4000);
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_TIMEOUT');
    expect(error.details).toMatchObject({ timeout_ms: 4000 });
  });

  it('abort() cancels the request in flight and ends without throwing', async () => {
    const controller = new AbortController();
    const { stream, consumed } = await open({}, { signal: controller.signal });
    pushFrames(stream, rampSamples(320));
    stream.finalize();
    const ex = await server!.exchanges.take();
    controller.abort();
    expect(await consumed.done).toBeUndefined();
    await ex.closed;
    expect(consumed.events.all).toEqual([]);
  });

  it('fails with PROVIDER_AUTH_FAILED when no key is set', async () => {
    const stream = createOpenAiTranscriptionAsr({ clock: new SimulatedClock(), env: {} }).open({
      sampleRate: 16000,
      language: 'en-US',
    });
    const error = await failureOf(consume(stream));
    expect(error.code).toBe('PROVIDER_AUTH_FAILED');
    expect(error.message).toContain('OPENAI_API_KEY');
  });
});
