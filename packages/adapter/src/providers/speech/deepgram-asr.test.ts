import { SimulatedClock } from '@prx-voice/core/testing';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { createDeepgramAsr } from './deepgram-asr.js';
import { consume } from './testing/consume.js';
import {
  BYTES_PER_MS,
  closeDeepgramFixtures,
  DEEPGRAM_TEST_KEY as KEY,
  openDeepgramFixture as setup,
  pushMs,
} from './testing/deepgram-fixture.js';
import { deepgramResults, startDeepgramListenServer } from './testing/deepgram-listen-server.js';

afterEach(closeDeepgramFixtures);

describe('deepgram ASR', () => {
  it('connects to /v1/listen with the documented query and a Token header', async () => {
    const { server, stream } = await setup({ keywords: ['PRX Voice', 'Deepgram'] });
    const conn = await server.connections.take();
    expect(conn.url.pathname).toBe('/v1/listen');
    expect([...conn.url.searchParams]).toEqual([
      ['model', 'nova-3'],
      ['encoding', 'linear16'],
      ['sample_rate', '16000'],
      ['channels', '1'],
      ['language', 'en-US'],
      ['interim_results', 'true'],
      ['endpointing', '300'],
      ['utterance_end_ms', '1000'],
      ['vad_events', 'true'],
      ['keyterm', 'PRX Voice'],
      ['keyterm', 'Deepgram'],
    ]);
    expect(conn.headers.authorization).toBe(`Token ${KEY}`);
    stream.abort();

    const older = await setup({
      model: 'nova-2',
      interim_results: false,
      endpointing_ms: 500,
      keywords: ['prx'],
    });
    const conn2 = await older.server.connections.take();
    expect(conn2.url.search).toBe(
      '?model=nova-2&encoding=linear16&sample_rate=16000&channels=1&language=en-US' +
        '&interim_results=false&endpointing=500&vad_events=true&keywords=prx',
    );
    older.stream.abort();
  });

  it('sends each pushed frame as one binary message, copying what it keeps', async () => {
    const { server, stream } = await setup();
    const frame = new Int16Array(320);
    frame.fill(1);
    stream.push(frame); // before the connection opens: queued as a copy
    frame.fill(2);
    stream.push(frame);
    const conn = await server.connections.take();
    await conn.waitForAudio(2 * 640);
    frame.fill(3); // after open: sent at once
    stream.push(frame);
    frame.fill(4);
    stream.push(new Int16Array(0)); // never an empty frame (Deepgram would close)
    await conn.waitForAudio(3 * 640);
    const audio = conn.frames.all.filter((f) => f.kind === 'audio');
    expect(
      audio.map((f) => [f.bytes.length, f.bytes.readInt16LE(0), f.bytes.readInt16LE(638)]),
    ).toEqual([
      [640, 1, 1],
      [640, 2, 2],
      [640, 3, 3],
    ]);
    stream.abort();
  });

  it('turns interim results into partials and gives one final per finalize() from the from_finalize result', async () => {
    const { server, stream, consumed } = await setup();
    const { events } = consumed;
    pushMs(stream, 500);
    const conn = await server.connections.take();
    await conn.waitForAudio(500 * BYTES_PER_MS);

    conn.send(deepgramResults({ transcript: 'book a', start: 0, duration: 0.3 }));
    expect(await events.take()).toEqual({
      type: 'partial',
      text: 'book a',
      startMs: 0,
      endMs: 300,
    });
    conn.send(
      deepgramResults({
        transcript: 'Book a table',
        start: 0,
        duration: 0.3,
        isFinal: true,
        speechFinal: true,
      }),
    );
    expect(await events.take()).toEqual({
      type: 'partial',
      text: 'Book a table',
      startMs: 0,
      endMs: 300,
    });

    stream.finalize();
    await conn.waitForControl('Finalize');
    conn.send(
      deepgramResults({
        transcript: 'please.',
        start: 0.3,
        duration: 0.2,
        isFinal: true,
        fromFinalize: true,
        confidence: 0.7,
      }),
    );
    const final = await events.take();
    expect(final).toMatchObject({
      type: 'final',
      text: 'Book a table please.',
      startMs: 0,
      endMs: 500,
      confidence: 0.8,
    });
    expect(final.type === 'final' ? final.words : []).toEqual([
      { text: 'Book', startMs: 0, endMs: 100, confidence: 0.9 },
      { text: 'a', startMs: 100, endMs: 200, confidence: 0.9 },
      { text: 'table', startMs: 200, endMs: 300, confidence: 0.9 },
      { text: 'please.', startMs: 300, endMs: 500, confidence: 0.7 },
    ]);

    // The next utterance starts where the last finalize() cut.
    pushMs(stream, 200);
    await conn.waitForAudio(700 * BYTES_PER_MS);
    conn.send(deepgramResults({ transcript: 'thanks', start: 0.5, duration: 0.15 }));
    expect(await events.take()).toEqual({
      type: 'partial',
      text: 'thanks',
      startMs: 500,
      endMs: 650,
    });
    stream.finalize();
    await conn.frames.until((all) => all.filter((f) => f.kind === 'control').length === 2);
    conn.send(
      deepgramResults({
        transcript: 'Thanks.',
        start: 0.5,
        duration: 0.2,
        isFinal: true,
        fromFinalize: true,
      }),
    );
    expect(await events.take()).toMatchObject({
      type: 'final',
      text: 'Thanks.',
      startMs: 500,
      endMs: 700,
    });

    stream.end();
    expect(await events.take()).toEqual({ type: 'usage', audioMs: 700 });
    expect(await consumed.done).toBeUndefined();
    expect(conn.frames.all.filter((f) => f.kind === 'control').map((f) => f.type)).toEqual([
      'Finalize',
      'Finalize',
      'CloseStream',
    ]);
    expect(await conn.closed).toBe(1000);
  });

  it('answers finalize() at once, without Finalize, when nothing is left to transcribe', async () => {
    const { server, stream, consumed } = await setup();
    stream.finalize(); // no audio at all
    expect(await consumed.events.take()).toEqual({ type: 'final', text: '', startMs: 0, endMs: 0 });

    pushMs(stream, 200);
    const conn = await server.connections.take();
    await conn.waitForAudio(200 * BYTES_PER_MS);
    conn.send(deepgramResults({ transcript: 'Yes.', start: 0, duration: 0.2, isFinal: true }));
    expect(await consumed.events.take()).toMatchObject({ type: 'partial', text: 'Yes.' });
    stream.finalize(); // the server's finals already cover all the audio
    expect(await consumed.events.take()).toMatchObject({
      type: 'final',
      text: 'Yes.',
      startMs: 0,
      endMs: 200,
    });
    stream.end();
    expect(await consumed.events.take()).toEqual({ type: 'usage', audioMs: 200 });
    await consumed.done;
    expect(conn.frames.all.filter((f) => f.kind === 'control').map((f) => f.type)).toEqual([
      'CloseStream',
    ]);
  });

  it('reports UtteranceEnd as utterance_end and ignores SpeechStarted and unknown messages', async () => {
    const { server, stream, consumed } = await setup();
    const conn = await server.connections.take();
    conn.send({ type: 'SpeechStarted', channel: [0], timestamp: 0.1 });
    conn.send({ type: 'SomethingNew', value: 1 });
    conn.send({ type: 'UtteranceEnd', channel: [0, 1], last_word_end: 1.25 });
    expect(await consumed.events.take()).toEqual({ type: 'utterance_end', atMs: 1250 });
    stream.abort();
    expect(await consumed.done).toBeUndefined();
  });

  it('keeps the last 5 s of audio pushed before the connection opens, and shifts server times by what it dropped', async () => {
    const { server, stream, consumed } = await setup();
    pushMs(stream, 6000); // all before the connection can open
    stream.finalize();
    const conn = await server.connections.take();
    await conn.waitForControl('Finalize');
    expect(conn.audioBytes()).toBe(5000 * BYTES_PER_MS);
    expect(conn.frames.all.at(-1)).toMatchObject({ kind: 'control', type: 'Finalize' });
    conn.send(deepgramResults({ transcript: 'hello', start: 0, duration: 0.5 }));
    expect(await consumed.events.take()).toEqual({
      type: 'partial',
      text: 'hello',
      startMs: 0,
      endMs: 1500,
    });
    conn.send(
      deepgramResults({
        transcript: 'hello there',
        start: 0,
        duration: 5,
        isFinal: true,
        fromFinalize: true,
      }),
    );
    const final = await consumed.events.take();
    expect(final).toMatchObject({ type: 'final', text: 'hello there', startMs: 0, endMs: 6000 });
    expect(final.type === 'final' ? final.words?.[0] : undefined).toMatchObject({
      startMs: 1000,
      endMs: 3500,
    });
    stream.abort();
  });

  it('sends KeepAlive after 8 s without audio, timed on the clock', async () => {
    const { clock, server, stream } = await setup();
    pushMs(stream, 20);
    const conn = await server.connections.take();
    await conn.waitForAudio(640); // the connection is open
    clock.advance(7_999);
    clock.advance(1);
    await conn.waitForControl('KeepAlive');
    pushMs(stream, 200); // audio resets the silence
    clock.advance(7_999);
    stream.finalize();
    await conn.waitForControl('Finalize');
    expect(conn.frames.all.map((f) => (f.kind === 'audio' ? 'audio' : f.type))).toEqual([
      'audio',
      'KeepAlive',
      ...Array<string>(10).fill('audio'),
      'Finalize',
    ]);
    stream.abort();
  });

  it('abort() sends CloseStream, closes the connection and ends the iteration without throwing', async () => {
    const { server, stream, consumed } = await setup();
    pushMs(stream, 100);
    const conn = await server.connections.take();
    await conn.waitForAudio(100 * BYTES_PER_MS);
    stream.abort();
    expect(await consumed.done).toBeUndefined();
    await conn.waitForControl('CloseStream');
    expect(await conn.closed).toBe(1000);
  });

  it('ends quietly when the session signal aborts', async () => {
    const clock = new SimulatedClock();
    const listen = await startDeepgramListenServer();
    onTestFinished(() => listen.close());
    const controller = new AbortController();
    const stream = createDeepgramAsr({ clock, env: { DEEPGRAM_API_KEY: KEY } }).open({
      sampleRate: 16000,
      language: 'en-US',
      options: { base_url: listen.url },
      signal: controller.signal,
    });
    const consumed = consume(stream);
    const conn = await listen.connections.take();
    controller.abort();
    expect(await consumed.done).toBeUndefined();
    await conn.closed;
  });
});
