import { SimulatedClock } from '@prx-voice/core/testing';
import type { SampleRate } from '@prx-voice/media';
import { afterEach, describe, expect, it } from 'vitest';
import type { TtsEvent, TtsRequest } from '../../interfaces.js';
import { createElevenLabsTts, elevenLabsRateFor } from './elevenlabs-tts.js';
import { consume, failureOf, visibleText } from './testing/consume.js';
import { pcmBytes, rampSamples, startHttpExchangeServer } from './testing/http-exchange-server.js';
import type { HttpExchange, HttpExchangeServer } from './testing/http-exchange-server.js';

const KEY = 'xi-test-key-0d4a';
const DEFAULT_VOICE = 'JBFqnCBsd6RMkjVDRZzb';

let server: HttpExchangeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function synthesize(
  request: Partial<TtsRequest> & { readonly sampleRate: SampleRate },
  env: Record<string, string> = { ELEVENLABS_API_KEY: KEY },
): Promise<ReturnType<typeof consume<TtsEvent>>> {
  server = await startHttpExchangeServer();
  const tts = createElevenLabsTts({ clock: new SimulatedClock(), env });
  return consume(
    tts.synthesize({
      text: 'Good morning',
      signal: new AbortController().signal,
      ...request,
      options: { base_url: server.url, ...request.options },
    }),
  );
}

function nextExchange(): Promise<HttpExchange> {
  if (server === undefined) throw new Error('no server started');
  return server.exchanges.take();
}

function jsonBody(ex: HttpExchange): unknown {
  return JSON.parse(ex.body.toString('utf8'));
}

function totalSamples(events: readonly TtsEvent[]): number {
  return events.reduce((n, e) => n + (e.type === 'audio' ? e.samples.length : 0), 0);
}

describe('elevenlabs TTS', () => {
  it('posts JSON to /v1/text-to-speech/{voice}/stream asking for pcm at the requested rate', async () => {
    const { done } = await synthesize({ sampleRate: 16000 });
    const ex = await nextExchange();
    expect(ex.method).toBe('POST');
    expect(ex.url.pathname).toBe(`/v1/text-to-speech/${DEFAULT_VOICE}/stream`);
    expect([...ex.url.searchParams]).toEqual([['output_format', 'pcm_16000']]);
    expect(ex.headers['xi-api-key']).toBe(KEY);
    expect(ex.headers.authorization).toBeUndefined();
    expect(ex.headers['content-type']).toBe('application/json');
    expect(jsonBody(ex)).toEqual({ text: 'Good morning', model_id: 'eleven_flash_v2_5' });
    ex.res.writeHead(200, { 'content-type': 'audio/pcm' }).end();
    expect(await done).toBeUndefined();
  });

  it('sends only the voice settings that are set, the language code and the model', async () => {
    const { done } = await synthesize({
      sampleRate: 24000,
      options: {
        model_id: 'eleven_turbo_v2_5',
        stability: 0,
        use_speaker_boost: false,
        speed: 1.1,
        language_code: 'de',
      },
    });
    const ex = await nextExchange();
    expect(jsonBody(ex)).toEqual({
      text: 'Good morning',
      model_id: 'eleven_turbo_v2_5',
      voice_settings: { stability: 0, use_speaker_boost: false, speed: 1.1 },
      language_code: 'de',
    });
    ex.res.writeHead(200).end();
    expect(await done).toBeUndefined();
  });

  it('collects a text stream into one request; a request voice overrides voice_id, path-encoded', async () => {
    async function* pieces(): AsyncGenerator<string> {
      for (const piece of ['Good ', 'after', 'noon.']) {
        await Promise.resolve(); // pieces arrive over time, as from an agent
        yield piece;
      }
    }
    const { events, done } = await synthesize({
      sampleRate: 16000,
      text: pieces(),
      voice: 'my voice/1',
      options: { voice_id: 'ignored-voice' },
    });
    const ex = await nextExchange();
    expect(ex.url.pathname).toBe('/v1/text-to-speech/my%20voice%2F1/stream');
    expect(jsonBody(ex)).toMatchObject({ text: 'Good afternoon.' });
    ex.res.writeHead(200).end(pcmBytes(rampSamples(160)));
    expect(await done).toBeUndefined();
    expect(events.all.at(-1)).toEqual({ type: 'usage', characters: 15 });
  });

  it('reassembles odd-sized chunks into whole samples as they arrive', async () => {
    const { events, done } = await synthesize({ sampleRate: 22050 });
    const ex = await nextExchange();
    expect(ex.url.searchParams.get('output_format')).toBe('pcm_22050');
    const samples = rampSamples(6);
    const bytes = pcmBytes(samples);
    ex.res.writeHead(200);
    ex.res.write(bytes.subarray(0, 5));
    expect(await events.take()).toEqual({ type: 'audio', samples: samples.slice(0, 2) });
    ex.res.write(bytes.subarray(5, 6));
    expect(await events.take()).toEqual({ type: 'audio', samples: samples.slice(2, 3) });
    ex.res.end(bytes.subarray(6));
    expect(await events.take()).toEqual({ type: 'audio', samples: samples.slice(3, 6) });
    expect(await events.take()).toEqual({ type: 'usage', characters: 12 });
    expect(await done).toBeUndefined();
  });

  it.each([8000, 16000, 22050, 24000, 44100, 48000] as const)(
    'asks for pcm_%i directly and yields the samples unchanged',
    async (rate) => {
      const { events, done } = await synthesize({ sampleRate: rate });
      const ex = await nextExchange();
      expect(ex.url.searchParams.get('output_format')).toBe(`pcm_${rate}`);
      ex.res.writeHead(200).end(pcmBytes(rampSamples(rate / 10)));
      expect(await done).toBeUndefined();
      expect(totalSamples(events.all)).toBe(rate / 10);
    },
  );

  it.each([
    [44100, 24000, 'pcm_24000', 2400, 4410],
    [48000, 24000, 'pcm_24000', 2400, 4800],
    [22050, 16000, 'pcm_16000', 1600, 2205],
    [16000, 16000, 'pcm_16000', 1600, 1600],
  ] as const)(
    'for %i Hz under max_sample_rate %i asks for %s and resamples to exactly the requested count',
    async (rate, max, format, sent, expected) => {
      const { events, done } = await synthesize({
        sampleRate: rate,
        options: { max_sample_rate: max },
      });
      const ex = await nextExchange();
      expect(ex.url.searchParams.get('output_format')).toBe(format);
      const bytes = pcmBytes(rampSamples(sent));
      ex.res.writeHead(200);
      for (let at = 0; at < bytes.length; at += 601) ex.res.write(bytes.subarray(at, at + 601));
      ex.res.end();
      expect(await done).toBeUndefined();
      expect(totalSamples(events.all)).toBe(expected);
      expect(events.all.at(-1)).toEqual({ type: 'usage', characters: 12 });
    },
  );

  it('picks the offered rate for every supported rate and cap', () => {
    const rates = [8000, 16000, 22050, 24000, 44100, 48000] as const;
    expect(rates.map((r) => elevenLabsRateFor(r))).toEqual([...rates]);
    expect(rates.map((r) => elevenLabsRateFor(r, 22050))).toEqual([
      8000, 16000, 22050, 22050, 22050, 22050,
    ]);
    expect(rates.map((r) => elevenLabsRateFor(r, 8000))).toEqual([
      8000, 8000, 8000, 8000, 8000, 8000,
    ]);
  });

  it('takes the key from the api_key option before ELEVENLABS_API_KEY', async () => {
    const { done } = await synthesize({ sampleRate: 16000, options: { api_key: 'xi-option' } }, {});
    const ex = await nextExchange();
    expect(ex.headers['xi-api-key']).toBe('xi-option');
    ex.res.writeHead(200).end();
    expect(await done).toBeUndefined();
  });

  it('puts the detail of an ElevenLabs error in the message, without the key', async () => {
    const consumed = await synthesize({ sampleRate: 16000 });
    const ex = await nextExchange();
    ex.res.writeHead(401, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        detail: { status: 'invalid_api_key', message: `Invalid API key: ${KEY}` },
      }),
    );
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_AUTH_FAILED');
    expect(error.message).toBe(
      'elevenlabs answered HTTP 401: Invalid API key: [redacted] (invalid_api_key)',
    );
    expect(visibleText(error)).not.toContain(KEY);
  });

  it.each([
    [404, { detail: 'Voice not found' }, 'PROVIDER_ERROR', 'Voice not found'],
    [
      422,
      { detail: [{ loc: ['body', 'text'], msg: 'Field required', type: 'missing' }] },
      'PROVIDER_ERROR',
      'body.text: Field required',
    ],
    [
      429,
      { detail: { status: 'too_many_concurrent_requests', message: 'Too many requests' } },
      'PROVIDER_RATE_LIMITED',
      'Too many requests (too_many_concurrent_requests)',
    ],
  ] as const)('reads a %i detail body', async (status, body, code, said) => {
    const consumed = await synthesize({ sampleRate: 16000 });
    const ex = await nextExchange();
    ex.res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const error = await failureOf(consumed);
    expect(error.code).toBe(code);
    expect(error.message).toBe(`elevenlabs answered HTTP ${status}: ${said}`);
  });

  it.each([
    [{ stability: 1.5 }, 'stability'],
    [{ speed: 2 }, 'speed'],
    [{ max_sample_rate: 32000 }, 'max_sample_rate'],
    [{ language_code: 'en-US' }, 'language_code'],
  ])('rejects invalid options %j with VALIDATION_FAILED', async (options, field) => {
    const tts = createElevenLabsTts({
      clock: new SimulatedClock(),
      env: { ELEVENLABS_API_KEY: KEY },
    });
    const error = await failureOf(
      consume(
        tts.synthesize({
          text: 'x',
          sampleRate: 16000,
          signal: new AbortController().signal,
          options,
        }),
      ),
    );
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain(field);
  });

  it('sends nothing for empty text', async () => {
    const { events, done } = await synthesize({ sampleRate: 16000, text: '' });
    expect(await done).toBeUndefined();
    expect(events.all).toEqual([{ type: 'usage', characters: 0 }]);
  });
});
