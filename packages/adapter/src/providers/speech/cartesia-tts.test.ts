import { afterEach, describe, expect, it } from 'vitest';
import { VoiceError } from '@prx-voice/types';
import { cartesiaRateFor } from './cartesia-tts.js';
import { failureOf } from './testing/consume.js';
import {
  audioOf,
  CARTESIA_TEST_KEY as KEY,
  closeCartesiaFixtures,
  CONTEXT_ID,
  ramp,
  startCartesiaFixture as setup,
  TextFeed,
} from './testing/cartesia-fixture.js';

afterEach(async () => {
  await closeCartesiaFixtures();
});

describe('cartesia TTS', () => {
  it('sends one generation request and yields the chunks as PCM16, then usage', async () => {
    const { server, consumed } = await setup();
    const conn = await server.connections.take();
    expect(conn.url.pathname).toBe('/tts/websocket');
    expect(conn.url.search).toBe('');
    expect(conn.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(conn.headers['cartesia-version']).toBe('2026-03-01');
    expect(await conn.messages.take()).toEqual({
      model_id: 'sonic-3.5',
      transcript: 'Hello there.',
      voice: { mode: 'id', id: 'f786b574-daa5-4673-aa0c-cbe3e8534c02' },
      output_format: { container: 'raw', encoding: 'pcm_s16le', sample_rate: 16000 },
      language: 'en',
      context_id: CONTEXT_ID,
      add_timestamps: true,
      continue: false,
    });
    conn.sendChunk(CONTEXT_ID, ramp(320));
    expect(await consumed.events.take()).toEqual({ type: 'audio', samples: ramp(320) });
    conn.sendChunk(CONTEXT_ID, ramp(160, 320));
    conn.sendDone(CONTEXT_ID);
    expect(await consumed.done).toBeUndefined();
    expect(consumed.events.all.slice(1)).toEqual([
      { type: 'audio', samples: ramp(160, 320) },
      { type: 'usage', characters: 12 },
    ]);
    expect(await conn.closed).toBe(1000);
    expect(conn.messages.all).toHaveLength(1); // done: nothing to cancel
  });

  it('sends a text stream piece by piece with continue, yielding audio before the text ends', async () => {
    const feed = new TextFeed();
    const { server, consumed } = await setup({ request: { text: feed } });
    const conn = await server.connections.take();
    feed.push('Hello, ');
    expect(await conn.messages.take()).toMatchObject({ transcript: 'Hello, ', continue: true });
    feed.push(' ');
    feed.push('world');
    expect(await conn.messages.take()).toMatchObject({ transcript: ' world', continue: true });
    conn.sendChunk(CONTEXT_ID, ramp(100));
    expect(await consumed.events.take()).toEqual({ type: 'audio', samples: ramp(100) });
    feed.push('!');
    expect(await conn.messages.take()).toMatchObject({ transcript: '!', continue: true });
    feed.end();
    const last = await conn.messages.take();
    expect(last).toEqual({
      model_id: 'sonic-3.5',
      transcript: '',
      voice: { mode: 'id', id: 'f786b574-daa5-4673-aa0c-cbe3e8534c02' },
      output_format: { container: 'raw', encoding: 'pcm_s16le', sample_rate: 16000 },
      language: 'en',
      context_id: CONTEXT_ID,
      add_timestamps: true,
      continue: false,
    });
    expect(conn.transcript(CONTEXT_ID)).toBe('Hello,  world!');
    conn.sendChunk(CONTEXT_ID, ramp(100, 100));
    conn.sendDone(CONTEXT_ID);
    expect(await consumed.done).toBeUndefined();
    expect(audioOf(consumed.events.all)).toEqual(ramp(200));
    expect(consumed.events.all.at(-1)).toEqual({ type: 'usage', characters: 14 });
  });

  it('asks for the sample_rate option and resamples to the requested rate', async () => {
    const { server, consumed } = await setup({ options: { sample_rate: 24000 } });
    const conn = await server.connections.take();
    expect(await conn.messages.take()).toMatchObject({
      output_format: { container: 'raw', encoding: 'pcm_s16le', sample_rate: 24000 },
    });
    for (let i = 0; i < 5; i++) conn.sendChunk(CONTEXT_ID, ramp(480, i * 480));
    conn.sendDone(CONTEXT_ID);
    expect(await consumed.done).toBeUndefined();
    // 100 ms at 24 kHz → exactly 100 ms at 16 kHz.
    expect(audioOf(consumed.events.all)).toHaveLength(1600);
  });

  it('asks for every requested rate Cartesia offers, else the next one up', () => {
    expect([8000, 16000, 22050, 24000, 44100, 48000].map(cartesiaRateFor)).toEqual([
      8000, 16000, 22050, 24000, 44100, 48000,
    ]);
    expect([11025, 32000, 96000].map(cartesiaRateFor)).toEqual([16000, 44100, 48000]);
  });

  it('turns timestamps into word events, in order with the audio', async () => {
    const { server, consumed } = await setup();
    const conn = await server.connections.take();
    await conn.messages.take();
    conn.sendChunk(CONTEXT_ID, ramp(160));
    conn.sendTimestamps(CONTEXT_ID, {
      words: ['Hello', 'there.'],
      start: [0, 0.42],
      end: [0.4, 0.8125],
    });
    conn.sendDone(CONTEXT_ID);
    expect(await consumed.done).toBeUndefined();
    expect(consumed.events.all.slice(1)).toEqual([
      { type: 'word', text: 'Hello', startMs: 0, endMs: 400 },
      { type: 'word', text: 'there.', startMs: 420, endMs: 812.5 },
      { type: 'usage', characters: 12 },
    ]);
  });

  it('ignores other contexts and message types it does not use', async () => {
    const { server, consumed } = await setup();
    const conn = await server.connections.take();
    await conn.messages.take();
    conn.sendChunk('someone-else', ramp(64));
    conn.sendDone('someone-else');
    conn.sendError('someone-else', { statusCode: 500, title: 'Boom', message: 'not ours' });
    conn.send({
      type: 'flush_done',
      done: false,
      flush_done: true,
      flush_id: 1,
      context_id: CONTEXT_ID,
    });
    conn.send({
      type: 'phoneme_timestamps',
      context_id: CONTEXT_ID,
      phoneme_timestamps: { phonemes: ['h'], start: [0], end: [0.1] },
    });
    conn.sendChunk(CONTEXT_ID, ramp(32));
    conn.sendDone(CONTEXT_ID);
    expect(await consumed.done).toBeUndefined();
    expect(consumed.events.all).toEqual([
      { type: 'audio', samples: ramp(32) },
      { type: 'usage', characters: 12 },
    ]);
  });

  it('uses the request voice and the language without its region; options override', async () => {
    const a = await setup({ request: { voice: 'voice-de-1', language: 'de-DE' } });
    const connA = await a.server.connections.take();
    expect(await connA.messages.take()).toMatchObject({
      voice: { mode: 'id', id: 'voice-de-1' },
      language: 'de',
    });
    connA.sendDone(CONTEXT_ID);
    await a.consumed.done;

    const b = await setup({
      options: { model: 'sonic-3', language: 'fr', add_timestamps: false, version: '2025-04-16' },
    });
    const connB = await b.server.connections.take();
    expect(connB.headers['cartesia-version']).toBe('2025-04-16');
    expect(await connB.messages.take()).toMatchObject({
      model_id: 'sonic-3',
      language: 'fr',
      add_timestamps: false,
    });
    connB.sendDone(CONTEXT_ID);
    await b.consumed.done;
  });

  it('takes the key from the api_key option over CARTESIA_API_KEY', async () => {
    const { server, consumed } = await setup({
      options: { api_key: KEY },
      env: { CARTESIA_API_KEY: 'sk_car_other' },
    });
    const conn = await server.connections.take();
    expect(conn.headers.authorization).toBe(`Bearer ${KEY}`);
    await conn.messages.take();
    conn.sendDone(CONTEXT_ID);
    expect(await consumed.done).toBeUndefined();
  });

  it('connects for nothing when the text is empty', async () => {
    const { server, consumed } = await setup({ request: { text: '   ' } });
    expect(await consumed.done).toBeUndefined();
    expect(consumed.events.all).toEqual([{ type: 'usage', characters: 0 }]);
    expect(server.handshakes.all).toEqual([]);
  });

  it('sends no generation for a text stream of whitespace only', async () => {
    const feed = new TextFeed();
    const { server, consumed } = await setup({ request: { text: feed } });
    const conn = await server.connections.take();
    feed.push(' ');
    feed.push('\n');
    feed.end();
    expect(await consumed.done).toBeUndefined();
    expect(consumed.events.all).toEqual([{ type: 'usage', characters: 0 }]);
    await conn.closed; // at once, whether or not the handshake had completed
    expect(conn.messages.all).toEqual([]);
  });

  it('refuses invalid options with VALIDATION_FAILED', async () => {
    const { consumed } = await setup({ options: { sample_rate: 11025 } });
    const error = await failureOf(consumed);
    expect(error).toBeInstanceOf(VoiceError);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain('sample_rate');
  });
});
