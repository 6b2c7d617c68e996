import { SimulatedClock } from '@prx-voice/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { canFallback } from '../../interfaces.js';
import type { TtsEvent, TtsProvider } from '../../interfaces.js';
import { createAzureTts } from './azure-tts.js';
import { createDeepgramTts } from './deepgram-tts.js';
import { createElevenLabsTts } from './elevenlabs-tts.js';
import { createOpenAiTts } from './openai-tts.js';
import { consume, failureOf, visibleText } from './testing/consume.js';
import type { Consumed } from './testing/consume.js';
import { pcmBytes, rampSamples, startHttpExchangeServer } from './testing/http-exchange-server.js';
import type { HttpExchange, HttpExchangeServer } from './testing/http-exchange-server.js';

const KEY = 'secret-key-for-tests-91af';

interface Case {
  readonly name: string;
  readonly create: (clock: SimulatedClock, env: Record<string, string>) => TtsProvider;
  readonly variable: string;
  readonly baseUrl: (origin: string) => string;
  /** An error body in the provider's documented format, saying `message`. */
  readonly errorBody: (message: string) => string;
}

const CASES: readonly Case[] = [
  {
    name: 'deepgram',
    create: (clock, env) => createDeepgramTts({ clock, env }),
    variable: 'DEEPGRAM_API_KEY',
    baseUrl: (origin) => origin,
    errorBody: (message) => JSON.stringify({ err_code: 'INVALID_AUTH', err_msg: message }),
  },
  {
    name: 'openai',
    create: (clock, env) => createOpenAiTts({ clock, env }),
    variable: 'OPENAI_API_KEY',
    baseUrl: (origin) => `${origin}/v1`,
    errorBody: (message) => JSON.stringify({ error: { message, type: 'invalid_request_error' } }),
  },
  {
    name: 'azure',
    create: (clock, env) => createAzureTts({ clock, env }),
    variable: 'AZURE_SPEECH_KEY',
    baseUrl: (origin) => origin,
    errorBody: (message) => JSON.stringify({ error: { code: 'BadRequest', message } }),
  },
  {
    name: 'elevenlabs',
    create: (clock, env) => createElevenLabsTts({ clock, env }),
    variable: 'ELEVENLABS_API_KEY',
    baseUrl: (origin) => origin,
    errorBody: (message) => JSON.stringify({ detail: { status: 'invalid_request', message } }),
  },
];

let server: HttpExchangeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  vi.restoreAllMocks();
});

describe.each(CASES)('$name TTS failures', (c) => {
  const clock = new SimulatedClock();

  async function start(
    options: Record<string, unknown> = {},
    signal = new AbortController().signal,
  ): Promise<{ consumed: Consumed<TtsEvent>; ex: HttpExchange }> {
    server = await startHttpExchangeServer();
    const tts = c.create(clock, { [c.variable]: KEY });
    const consumed = consume(
      tts.synthesize({
        text: 'Say this.',
        sampleRate: 16000,
        signal,
        options: { base_url: c.baseUrl(server.url), ...options },
      }),
    );
    return { consumed, ex: await server.exchanges.take() };
  }

  it('maps 401 to PROVIDER_AUTH_FAILED without showing or logging the key', async () => {
    const logged = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(() => undefined),
    );
    const { consumed, ex } = await start();
    ex.res
      .writeHead(401, { 'content-type': 'application/json' })
      .end(c.errorBody(`Incorrect API key provided: ${KEY}`));
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_AUTH_FAILED');
    expect(canFallback(error)).toBe(true);
    expect(error.details).toMatchObject({ provider: c.name, status: 401 });
    expect(error.message).toContain('Incorrect API key provided: [redacted]');
    expect(visibleText(error)).not.toContain(KEY);
    for (const spy of logged) expect(spy).not.toHaveBeenCalled();
  });

  it('maps 429 to PROVIDER_RATE_LIMITED with retry_after_ms', async () => {
    const { consumed, ex } = await start();
    ex.res.writeHead(429, { 'retry-after': '2' }).end(c.errorBody('Too many requests'));
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_RATE_LIMITED');
    expect(error.message).toContain('Too many requests');
    expect(error.retryable).toBe(true);
    expect(error.details).toMatchObject({ retry_after_ms: 2000, fallback: true });
  });

  it('maps 500 to PROVIDER_UNAVAILABLE and 400 to PROVIDER_ERROR', async () => {
    const first = await start();
    first.ex.res.writeHead(500).end('upstream failure');
    const unavailable = await failureOf(first.consumed);
    expect(unavailable.code).toBe('PROVIDER_UNAVAILABLE');
    expect(unavailable.message).toContain('upstream failure');
    await server?.close();

    const second = await start();
    second.ex.res.writeHead(400).end(c.errorBody('text too long'));
    const rejected = await failureOf(second.consumed);
    expect(rejected.code).toBe('PROVIDER_ERROR');
    expect(rejected.message).toContain('text too long');
    expect(rejected.retryable).toBe(false);
    expect(canFallback(rejected)).toBe(true);
  });

  it('reports a body dropped mid-stream as PROVIDER_UNAVAILABLE with partial true', async () => {
    const { consumed, ex } = await start();
    ex.res.writeHead(200);
    ex.res.write(pcmBytes(rampSamples(240)));
    expect(await consumed.events.take()).toMatchObject({ type: 'audio' });
    ex.res.destroy();
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(error.details).toMatchObject({ partial: true, fallback: true });
  });

  it('times out a request with no answer past first_byte_timeout_ms', async () => {
    const { consumed } = await start({ first_byte_timeout_ms: 3000 });
    clock.advance(3000);
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_TIMEOUT');
    expect(error.details).toMatchObject({ timeout_ms: 3000, partial: false });
  });

  it('times out a body that stalls after some audio', async () => {
    const { consumed, ex } = await start();
    ex.res.writeHead(200);
    ex.res.write(pcmBytes(rampSamples(240)));
    expect(await consumed.events.take()).toMatchObject({ type: 'audio' });
    clock.advance(5000);
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_TIMEOUT');
    expect(error.details).toMatchObject({ stage: 'audio stream', partial: true });
  });

  it('stops at once on abort, without throwing, and cancels the request', async () => {
    const controller = new AbortController();
    const { consumed, ex } = await start({}, controller.signal);
    ex.res.writeHead(200);
    ex.res.write(pcmBytes(rampSamples(240)));
    expect(await consumed.events.take()).toMatchObject({ type: 'audio' });
    controller.abort();
    expect(await consumed.done).toBeUndefined();
    await ex.closed;
    expect(consumed.events.all.filter((e) => e.type === 'usage')).toEqual([]);
  });

  it('cancels the request when the consumer stops early', async () => {
    server = await startHttpExchangeServer();
    const tts = c.create(clock, { [c.variable]: KEY });
    const events = tts.synthesize({
      text: 'Say this.',
      sampleRate: 16000,
      signal: new AbortController().signal,
      options: { base_url: c.baseUrl(server.url) },
    });
    const iterator = events[Symbol.asyncIterator]();
    const first = iterator.next();
    const ex = await server.exchanges.take();
    ex.res.writeHead(200);
    ex.res.write(pcmBytes(rampSamples(240)));
    expect((await first).value).toMatchObject({ type: 'audio' });
    await iterator.return?.();
    await ex.closed;
  });

  it('fails with PROVIDER_AUTH_FAILED naming the variable when no key is set', async () => {
    const tts = c.create(clock, {});
    const error = await failureOf(
      consume(
        tts.synthesize({ text: 'x', sampleRate: 16000, signal: new AbortController().signal }),
      ),
    );
    expect(error.code).toBe('PROVIDER_AUTH_FAILED');
    expect(error.message).toContain(c.variable);
  });
});
