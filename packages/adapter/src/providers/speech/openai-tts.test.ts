import { SimulatedClock } from '@prx-voice/core/testing';
import type { SampleRate } from '@prx-voice/media';
import { afterEach, describe, expect, it } from 'vitest';
import type { TtsEvent, TtsRequest } from '../../interfaces.js';
import { createOpenAiTts } from './openai-tts.js';
import { consume } from './testing/consume.js';
import { pcmBytes, rampSamples, startHttpExchangeServer } from './testing/http-exchange-server.js';
import type { HttpExchangeServer } from './testing/http-exchange-server.js';

const KEY = 'sk-test-openai-3b9d';

let server: HttpExchangeServer;
afterEach(async () => {
  await server.close();
});

async function synthesize(
  request: Partial<TtsRequest> & { readonly sampleRate: SampleRate },
): Promise<ReturnType<typeof consume<TtsEvent>>> {
  server = await startHttpExchangeServer();
  const tts = createOpenAiTts({ clock: new SimulatedClock(), env: { OPENAI_API_KEY: KEY } });
  return consume(
    tts.synthesize({
      text: 'Hi there',
      signal: new AbortController().signal,
      ...request,
      options: { base_url: `${server.url}/v1`, ...request.options },
    }),
  );
}

function totalSamples(events: readonly TtsEvent[]): number {
  return events.reduce((n, e) => n + (e.type === 'audio' ? e.samples.length : 0), 0);
}

describe('openai TTS', () => {
  it('posts JSON to /audio/speech asking for pcm', async () => {
    const { done } = await synthesize({ sampleRate: 24000 });
    const ex = await server.exchanges.take();
    expect(ex.method).toBe('POST');
    expect(ex.url.pathname).toBe('/v1/audio/speech');
    expect(ex.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(ex.headers['content-type']).toBe('application/json');
    expect(JSON.parse(ex.body.toString('utf8'))).toEqual({
      model: 'gpt-4o-mini-tts',
      input: 'Hi there',
      voice: 'alloy',
      response_format: 'pcm',
    });
    ex.res.writeHead(200).end();
    expect(await done).toBeUndefined();
  });

  it('sends instructions and the voice, the request voice first', async () => {
    const { done } = await synthesize({
      sampleRate: 24000,
      voice: 'nova',
      options: { voice: 'coral', model: 'gpt-4o-mini-tts', instructions: 'Speak calmly.' },
    });
    const ex = await server.exchanges.take();
    expect(JSON.parse(ex.body.toString('utf8'))).toMatchObject({
      voice: 'nova',
      instructions: 'Speak calmly.',
    });
    ex.res.writeHead(200).end();
    await done;
  });

  it('reassembles odd-sized chunks of 24 kHz audio into whole samples', async () => {
    const { events, done } = await synthesize({ sampleRate: 24000 });
    const ex = await server.exchanges.take();
    const samples = rampSamples(5);
    const bytes = pcmBytes(samples);
    ex.res.writeHead(200);
    ex.res.write(bytes.subarray(0, 1));
    ex.res.write(bytes.subarray(1, 5));
    expect(await events.take()).toEqual({ type: 'audio', samples: samples.slice(0, 2) });
    ex.res.end(bytes.subarray(5));
    expect(await events.take()).toEqual({ type: 'audio', samples: samples.slice(2, 5) });
    expect(await events.take()).toEqual({ type: 'usage', characters: 8 });
    expect(await done).toBeUndefined();
  });

  it.each([
    [16000, 1600],
    [8000, 800],
    [22050, 2205],
    [44100, 4410],
    [48000, 4800],
  ] as const)(
    'resamples 100 ms of 24 kHz to exactly the samples of %i Hz',
    async (rate, expected) => {
      const { events, done } = await synthesize({ sampleRate: rate });
      const ex = await server.exchanges.take();
      const bytes = pcmBytes(rampSamples(2400));
      ex.res.writeHead(200);
      for (let at = 0; at < bytes.length; at += 333) ex.res.write(bytes.subarray(at, at + 333));
      ex.res.end();
      expect(await done).toBeUndefined();
      expect(totalSamples(events.all)).toBe(expected);
      expect(events.all.at(-1)).toEqual({ type: 'usage', characters: 8 });
    },
  );
});
