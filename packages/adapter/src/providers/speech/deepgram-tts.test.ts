import { SimulatedClock } from '@prx-voice/core/testing';
import type { SampleRate } from '@prx-voice/media';
import { afterEach, describe, expect, it } from 'vitest';
import type { TtsEvent, TtsRequest } from '../../interfaces.js';
import { auraRateFor, createDeepgramTts } from './deepgram-tts.js';
import { consume } from './testing/consume.js';
import { pcmBytes, rampSamples, startHttpExchangeServer } from './testing/http-exchange-server.js';
import type { HttpExchangeServer } from './testing/http-exchange-server.js';

const KEY = 'dg-tts-key-7c1e';

let server: HttpExchangeServer;
afterEach(async () => {
  await server.close();
});

async function synthesize(
  request: Partial<TtsRequest> & { readonly sampleRate: SampleRate },
): Promise<ReturnType<typeof consume<TtsEvent>>> {
  server = await startHttpExchangeServer();
  const tts = createDeepgramTts({ clock: new SimulatedClock(), env: { DEEPGRAM_API_KEY: KEY } });
  return consume(
    tts.synthesize({
      text: 'Hello there.',
      signal: new AbortController().signal,
      ...request,
      options: { base_url: server.url, ...request.options },
    }),
  );
}

function totalSamples(events: readonly TtsEvent[]): number {
  return events.reduce((n, e) => n + (e.type === 'audio' ? e.samples.length : 0), 0);
}

describe('deepgram TTS', () => {
  it('posts the text to /v1/speak for raw linear16 at the requested rate', async () => {
    const { done } = await synthesize({ sampleRate: 16000 });
    const ex = await server.exchanges.take();
    expect(ex.method).toBe('POST');
    expect(ex.url.pathname).toBe('/v1/speak');
    expect([...ex.url.searchParams]).toEqual([
      ['model', 'aura-2-thalia-en'],
      ['encoding', 'linear16'],
      ['sample_rate', '16000'],
      ['container', 'none'],
    ]);
    expect(ex.headers.authorization).toBe(`Token ${KEY}`);
    expect(ex.headers['content-type']).toBe('application/json');
    expect(JSON.parse(ex.body.toString('utf8'))).toEqual({ text: 'Hello there.' });
    ex.res.writeHead(200, { 'content-type': 'application/octet-stream' }).end();
    expect(await done).toBeUndefined();
  });

  it('reassembles odd-sized chunks into whole samples, carrying the odd byte', async () => {
    const { events, done } = await synthesize({ sampleRate: 24000 });
    const ex = await server.exchanges.take();
    const samples = rampSamples(7);
    const bytes = pcmBytes(samples);
    ex.res.writeHead(200, { 'content-type': 'application/octet-stream' });
    ex.res.write(bytes.subarray(0, 3));
    expect(await events.take()).toEqual({ type: 'audio', samples: samples.slice(0, 1) });
    ex.res.write(bytes.subarray(3, 8));
    expect(await events.take()).toEqual({ type: 'audio', samples: samples.slice(1, 4) });
    ex.res.write(bytes.subarray(8, 9));
    ex.res.end(bytes.subarray(9));
    expect(await events.take()).toEqual({ type: 'audio', samples: samples.slice(4, 7) });
    expect(await events.take()).toEqual({ type: 'usage', characters: 12 });
    expect(await done).toBeUndefined();
  });

  it.each([
    [22050, 24000, 2400, 2205],
    [44100, 48000, 4800, 4410],
    [8000, 8000, 800, 800],
  ] as const)(
    'for %i Hz asks Aura for %i Hz and yields exactly the requested count',
    async (rate, asked, sent, expected) => {
      const { events, done } = await synthesize({ sampleRate: rate });
      const ex = await server.exchanges.take();
      expect(ex.url.searchParams.get('sample_rate')).toBe(String(asked));
      const bytes = pcmBytes(rampSamples(sent));
      ex.res.writeHead(200);
      for (let at = 0; at < bytes.length; at += 777) ex.res.write(bytes.subarray(at, at + 777));
      ex.res.end();
      expect(await done).toBeUndefined();
      expect(totalSamples(events.all)).toBe(expected);
      expect(events.all.at(-1)).toEqual({ type: 'usage', characters: 12 });
    },
  );

  it('maps every supported rate to one Aura offers', () => {
    expect(
      [8000, 16000, 22050, 24000, 44100, 48000].map((r) => auraRateFor(r as SampleRate)),
    ).toEqual([8000, 16000, 24000, 24000, 48000, 48000]);
  });

  it('collects a text stream into one request, and a request voice picks the model', async () => {
    async function* pieces(): AsyncGenerator<string> {
      for (const piece of ['Hello ', 'wor', 'ld!']) {
        await Promise.resolve(); // pieces arrive over time, as from an agent
        yield piece;
      }
    }
    const { events, done } = await synthesize({
      sampleRate: 16000,
      text: pieces(),
      voice: 'aura-2-zeus-en',
    });
    const ex = await server.exchanges.take();
    expect(ex.url.searchParams.get('model')).toBe('aura-2-zeus-en');
    expect(JSON.parse(ex.body.toString('utf8'))).toEqual({ text: 'Hello world!' });
    ex.res.writeHead(200).end(pcmBytes(rampSamples(160)));
    expect(await done).toBeUndefined();
    expect(events.all.at(-1)).toEqual({ type: 'usage', characters: 12 });
  });

  it('sends nothing for empty text', async () => {
    const { events, done } = await synthesize({ sampleRate: 16000, text: '  ' });
    expect(await done).toBeUndefined();
    expect(events.all).toEqual([{ type: 'usage', characters: 0 }]);
  });
});
