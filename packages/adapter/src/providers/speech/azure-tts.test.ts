import { SimulatedClock } from '@prx-voice/core/testing';
import type { SampleRate } from '@prx-voice/media';
import { afterEach, describe, expect, it } from 'vitest';
import type { TtsEvent, TtsRequest } from '../../interfaces.js';
import { azureRateFor, createAzureTts, localeOfVoice } from './azure-tts.js';
import type { SpeechEnvironment } from './credentials.js';
import type { FetchFunction } from './http-pcm-tts.js';
import { consume, failureOf, visibleText } from './testing/consume.js';
import type { Consumed } from './testing/consume.js';
import { pcmBytes, rampSamples, startHttpExchangeServer } from './testing/http-exchange-server.js';
import type { HttpExchange, HttpExchangeServer } from './testing/http-exchange-server.js';

const KEY = 'azure-speech-key-5e02';
const SSML_START = "<speak version='1.0' xmlns='http://www.w3.org/2001/10/synthesis'";

let server: HttpExchangeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function synthesize(
  request: Partial<TtsRequest> & { readonly sampleRate: SampleRate },
): Promise<ReturnType<typeof consume<TtsEvent>>> {
  server = await startHttpExchangeServer();
  const tts = createAzureTts({ clock: new SimulatedClock(), env: { AZURE_SPEECH_KEY: KEY } });
  return consume(
    tts.synthesize({
      text: 'Hello there.',
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

function totalSamples(events: readonly TtsEvent[]): number {
  return events.reduce((n, e) => n + (e.type === 'audio' ? e.samples.length : 0), 0);
}

/** A `fetch` that records each call and answers 100 ms of 16 kHz audio, for the hosts a test cannot serve. */
function recordingFetch(): { readonly fetch: FetchFunction; readonly urls: unknown[] } {
  const urls: unknown[] = [];
  const fetch: FetchFunction = (input) => {
    urls.push(input);
    return Promise.resolve(
      new Response(new Uint8Array(pcmBytes(rampSamples(1600))), { status: 200 }),
    );
  };
  return { fetch, urls };
}

/** Synthesizes 'Hi' through {@link recordingFetch}: the URLs posted to and the consumed events. */
function throughRecording(
  env: SpeechEnvironment,
  options: Record<string, unknown> = {},
): { readonly urls: unknown[]; readonly consumed: Consumed<TtsEvent> } {
  const recording = recordingFetch();
  const tts = createAzureTts({ clock: new SimulatedClock(), env, fetch: recording.fetch });
  const consumed = consume(
    tts.synthesize({
      text: 'Hi',
      sampleRate: 16000,
      signal: new AbortController().signal,
      options,
    }),
  );
  return { urls: recording.urls, consumed };
}

describe('azure TTS', () => {
  it('posts SSML to /cognitiveservices/v1 asking for raw PCM at the requested rate', async () => {
    const { done } = await synthesize({ sampleRate: 16000 });
    const ex = await nextExchange();
    expect(ex.method).toBe('POST');
    expect(ex.url.pathname).toBe('/cognitiveservices/v1');
    expect(ex.url.search).toBe('');
    expect(ex.headers['ocp-apim-subscription-key']).toBe(KEY);
    expect(ex.headers['content-type']).toBe('application/ssml+xml');
    expect(ex.headers['x-microsoft-outputformat']).toBe('raw-16khz-16bit-mono-pcm');
    expect(ex.headers['user-agent']).toBe('prx-voice');
    expect(ex.body.toString('utf8')).toBe(
      `${SSML_START} xml:lang='en-US'><voice name='en-US-AvaMultilingualNeural'>Hello there.</voice></speak>`,
    );
    ex.res.writeHead(200, { 'content-type': 'audio/x-wav' }).end();
    expect(await done).toBeUndefined();
  });

  it('escapes markup, quotes and stray control characters in the text', async () => {
    const { done } = await synthesize({
      sampleRate: 16000,
      text: `Tom & Jerry <b>"best"</b> isn't </voice>\u0007done\n`,
    });
    const ex = await nextExchange();
    expect(ex.body.toString('utf8')).toBe(
      `${SSML_START} xml:lang='en-US'><voice name='en-US-AvaMultilingualNeural'>` +
        'Tom &amp; Jerry &lt;b&gt;&quot;best&quot;&lt;/b&gt; isn&apos;t &lt;/voice&gt; done\n' +
        '</voice></speak>',
    );
    ex.res.writeHead(200).end();
    expect(await done).toBeUndefined();
  });

  it('wraps the text in <prosody> for rate and pitch, and takes language from the option', async () => {
    const { done } = await synthesize({
      sampleRate: 24000,
      options: { voice: 'en-GB-SoniaNeural', rate: '+10%', pitch: '-2st', language: 'en-IE' },
    });
    const ex = await nextExchange();
    expect(ex.headers['x-microsoft-outputformat']).toBe('raw-24khz-16bit-mono-pcm');
    expect(ex.body.toString('utf8')).toBe(
      `${SSML_START} xml:lang='en-IE'><voice name='en-GB-SoniaNeural'>` +
        "<prosody rate='+10%' pitch='-2st'>Hello there.</prosody></voice></speak>",
    );
    ex.res.writeHead(200).end();
    expect(await done).toBeUndefined();
  });

  it('collects a text stream into one document; a request voice overrides the option and sets the locale', async () => {
    async function* pieces(): AsyncGenerator<string> {
      for (const piece of ['Guten ', 'Tag', '!']) {
        await Promise.resolve(); // pieces arrive over time, as from an agent
        yield piece;
      }
    }
    const { events, done } = await synthesize({
      sampleRate: 16000,
      text: pieces(),
      voice: 'de-DE-KatjaNeural',
      options: { voice: 'en-US-JennyNeural' },
    });
    const ex = await nextExchange();
    expect(ex.body.toString('utf8')).toBe(
      `${SSML_START} xml:lang='de-DE'><voice name='de-DE-KatjaNeural'>Guten Tag!</voice></speak>`,
    );
    ex.res.writeHead(200).end(pcmBytes(rampSamples(160)));
    expect(await done).toBeUndefined();
    expect(events.all.at(-1)).toEqual({ type: 'usage', characters: 10 });
  });

  it('reassembles odd-sized chunks into whole samples as they arrive', async () => {
    const { events, done } = await synthesize({ sampleRate: 48000 });
    const ex = await nextExchange();
    expect(ex.headers['x-microsoft-outputformat']).toBe('raw-48khz-16bit-mono-pcm');
    const samples = rampSamples(5);
    const bytes = pcmBytes(samples);
    ex.res.writeHead(200);
    ex.res.write(bytes.subarray(0, 3));
    expect(await events.take()).toEqual({ type: 'audio', samples: samples.slice(0, 1) });
    ex.res.end(bytes.subarray(3));
    expect(await events.take()).toEqual({ type: 'audio', samples: samples.slice(1, 5) });
    expect(await events.take()).toEqual({ type: 'usage', characters: 12 });
    expect(await done).toBeUndefined();
  });

  it.each([
    [22050, 'raw-24khz-16bit-mono-pcm', 2400, 2205],
    [44100, 'raw-48khz-16bit-mono-pcm', 4800, 4410],
    [8000, 'raw-8khz-16bit-mono-pcm', 800, 800],
  ] as const)(
    'for %i Hz asks for %s and yields exactly the requested count',
    async (rate, format, sent, expected) => {
      const { events, done } = await synthesize({ sampleRate: rate });
      const ex = await nextExchange();
      expect(ex.headers['x-microsoft-outputformat']).toBe(format);
      const bytes = pcmBytes(rampSamples(sent));
      ex.res.writeHead(200);
      for (let at = 0; at < bytes.length; at += 555) ex.res.write(bytes.subarray(at, at + 555));
      ex.res.end();
      expect(await done).toBeUndefined();
      expect(totalSamples(events.all)).toBe(expected);
      expect(events.all.at(-1)).toEqual({ type: 'usage', characters: 12 });
    },
  );

  it('maps every supported rate to one Azure offers', () => {
    expect(
      [8000, 16000, 22050, 24000, 44100, 48000].map((r) => azureRateFor(r as SampleRate)),
    ).toEqual([8000, 16000, 24000, 24000, 48000, 48000]);
  });

  it('derives the locale from the voice name', () => {
    expect(localeOfVoice('en-US-AvaMultilingualNeural')).toBe('en-US');
    expect(localeOfVoice('sr-Latn-RS-NicholasNeural')).toBe('sr-Latn-RS');
    expect(localeOfVoice('en-US-Ava:DragonHDLatestNeural')).toBe('en-US');
    expect(localeOfVoice('MyCustomVoice')).toBeUndefined();
  });

  it('sends nothing for empty text', async () => {
    const { events, done } = await synthesize({ sampleRate: 16000, text: ' \n ' });
    expect(await done).toBeUndefined();
    expect(events.all).toEqual([{ type: 'usage', characters: 0 }]);
  });

  it('posts to the regional host of AZURE_SPEECH_REGION, or of the region option first', async () => {
    const fromEnv = throughRecording({
      AZURE_SPEECH_KEY: KEY,
      AZURE_SPEECH_REGION: ' westeurope ',
    });
    expect(await fromEnv.consumed.done).toBeUndefined();
    expect(fromEnv.urls).toEqual([
      'https://westeurope.tts.speech.microsoft.com/cognitiveservices/v1',
    ]);
    expect(totalSamples(fromEnv.consumed.events.all)).toBe(1600);
    const fromOption = throughRecording(
      { AZURE_SPEECH_KEY: KEY, AZURE_SPEECH_REGION: 'westeurope' },
      { region: 'eastus2' },
    );
    expect(await fromOption.consumed.done).toBeUndefined();
    expect(fromOption.urls).toEqual([
      'https://eastus2.tts.speech.microsoft.com/cognitiveservices/v1',
    ]);
  });

  it('takes the key from the api_key option before AZURE_SPEECH_KEY', async () => {
    const { done } = await synthesize({ sampleRate: 16000, options: { api_key: 'option-key-1' } });
    const ex = await nextExchange();
    expect(ex.headers['ocp-apim-subscription-key']).toBe('option-key-1');
    ex.res.writeHead(200).end();
    expect(await done).toBeUndefined();
  });

  it('fails with CONFIG_INVALID naming the variable when no region is set, before any request', async () => {
    const { urls, consumed } = throughRecording({ AZURE_SPEECH_KEY: KEY });
    const error = await failureOf(consumed);
    expect(urls).toEqual([]);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('AZURE_SPEECH_REGION');
    expect(error.message).toContain('region option');
    expect(error.details).toMatchObject({ provider: 'azure', fallback: true });
  });

  it('refuses a region variable that is no region name, without quoting it', async () => {
    const { urls, consumed } = throughRecording({
      AZURE_SPEECH_KEY: KEY,
      AZURE_SPEECH_REGION: 'evil.example/x?',
    });
    const error = await failureOf(consumed);
    expect(urls).toEqual([]);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(visibleText(error)).not.toContain('evil.example');
  });

  it('fails with PROVIDER_AUTH_FAILED naming AZURE_SPEECH_KEY when no key is set', async () => {
    const { urls, consumed } = throughRecording({ AZURE_SPEECH_REGION: 'westeurope' });
    const error = await failureOf(consumed);
    expect(urls).toEqual([]);
    expect(error.code).toBe('PROVIDER_AUTH_FAILED');
    expect(error.message).toContain('AZURE_SPEECH_KEY');
  });

  it.each([
    [{ rate: "fast' pitch='x" }, 'rate'],
    [{ pitch: 'loud' }, 'pitch'],
    [{ region: 'west europe' }, 'region'],
    [{ language: 'english' }, 'language'],
  ])('rejects invalid options %j with VALIDATION_FAILED', async (options, field) => {
    const { urls, consumed } = throughRecording({ AZURE_SPEECH_KEY: KEY }, options);
    const error = await failureOf(consumed);
    expect(urls).toEqual([]);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain(field);
  });
});
