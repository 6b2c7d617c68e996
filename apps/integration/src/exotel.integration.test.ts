/**
 * Exotel over the wire against a real server: the Voicebot applet's dynamic stream URL
 * (Basic credentials as Exotel sends them from the applet URL), and the media stream driven
 * by a scripted Exotel that checks every payload against Exotel's size rule and plays what
 * it is sent as Exotel's buffer does (marks come back once the audio before them has played;
 * a clear returns the marks it dropped). Also the fixed-URL setup: the stream itself
 * authenticated by Basic credentials, the session created from its `start`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { generateTone } from '@prx-voice/media';
import { startServer } from '@prx-voice/server';
import type { RunningServer } from '@prx-voice/server';
import type { ExotelOutboundMessage } from '@prx-voice/transport';
import {
  createExotelClientScript,
  decodeExotelOutboundAudio,
  parseExotelOutbound,
} from '@prx-voice/transport/testing';
import type { ExotelClientScript } from '@prx-voice/transport/testing';
import { openEventStream } from './support/event-stream.ts';
import type { EventStream } from './support/event-stream.ts';

const KEY = 'pk_integration_exotel_0123456789abcdef';
const PUBLIC = 'https://voice.example.com';
const EXOTEL_KEY = 'exotel_api_key_01';
const EXOTEL_TOKEN = 'exotel_api_token_0123456789';
const BASIC = `Basic ${Buffer.from(`${EXOTEL_KEY}:${EXOTEL_TOKEN}`).toString('base64')}`;
// What the mock ASR hears; the mock agent answers "You said: …", which the sentence
// chunker cuts into two segments (mock TTS: 50 ms of audio per character).
const FIRST = 'You said: Good morning to you.';
const SECOND = 'Extraordinarily wonderful things happen.';
const TRANSCRIPT = FIRST.slice('You said: '.length) + ' ' + SECOND;
const dir = mkdtempSync(join(tmpdir(), 'prx-exotel-'));
let server: RunningServer;

beforeAll(async () => {
  server = await startServer({
    load: {
      cwd: dir,
      env: {
        PRX_VOICE_SERVER__PORT: '0',
        PRX_VOICE_SERVER__SHUTDOWN_TIMEOUT_MS: '300',
        PRX_VOICE_SERVER__HOST: '127.0.0.1',
        PRX_VOICE_SERVER__PUBLIC_URL: PUBLIC,
        PRX_VOICE_STORAGE__DATA_DIR: 'data',
        PRX_VOICE_ADAPTERS__ASR__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__AGENT__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__TTS__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__VAD__PROVIDER: 'energy',
        PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: KEY,
        PRX_VOICE_ADAPTERS__ASR__OPTIONS: JSON.stringify({ transcript: TRANSCRIPT }),
        PRX_VOICE_ADAPTERS__AGENT__OPTIONS: JSON.stringify({ token_delay_ms: 2 }),
        PRX_VOICE_TELEPHONY__EXOTEL__TENANT: 'default',
        PRX_VOICE_TELEPHONY__EXOTEL__API_KEY: EXOTEL_KEY,
        PRX_VOICE_TELEPHONY__EXOTEL__API_TOKEN: EXOTEL_TOKEN,
      },
    },
    log: (line) => process.stderr.write(`SERVER: ${line}\n`),
  });
}, 120_000);
afterAll(async () => {
  await server.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

/** Exotel's GET of the dynamic stream URL for call `n` (the call's details in the query). */
async function streamUrl(n: number, headers: Record<string, string>): Promise<Response> {
  const query = new URLSearchParams({
    CallSid: `exotel-call-${String(n)}`,
    CallFrom: '09876543210',
    CallTo: '08047491899',
    Direction: 'incoming',
  });
  return fetch(`${server.url}/telephony/exotel/voice?${query.toString()}`, { headers });
}

async function sessions(): Promise<{ id: string; metadata: Record<string, unknown> }[]> {
  const res = await fetch(`${server.url}/api/v1/sessions?limit=100`, {
    headers: { authorization: `Bearer ${KEY}` },
  });
  return (
    (await res.json()) as { data: { items: { id: string; metadata: Record<string, unknown> }[] } }
  ).data.items;
}

/** Opens the stream at `query` of the local server (what Exotel's wss URL points at). */
async function openStream(query = '', headers: Record<string, string> = {}): Promise<WebSocket> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/telephony/exotel/stream${query}`, {
    headers,
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

/** One call's stream with a scripted Exotel. */
interface Stream {
  readonly exotel: ExotelClientScript;
  readonly ws: WebSocket;
  /** What the server sent, in order. */
  readonly outbound: ExotelOutboundMessage[];
  until(pred: () => boolean): Promise<void>;
  ack(message: string | undefined): void;
}

function drive(ws: WebSocket, exotel: ExotelClientScript): Stream {
  const outbound: ExotelOutboundMessage[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data: Buffer) => {
    const message = parseExotelOutbound(data.toString('utf8'));
    outbound.push(message);
    // Into Exotel's playback buffer (which checks the payload sizes); a clear returns marks.
    for (const ack of exotel.outbound(message)) ws.send(ack);
    for (const w of waiters.splice(0)) w();
  });
  ws.send(exotel.connected());
  ws.send(exotel.start());
  return {
    exotel,
    ws,
    outbound,
    until: async (pred) => {
      while (!pred()) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    ack: (message) => {
      if (message === undefined) throw new Error('no mark to return');
      ws.send(message);
    },
  };
}

interface Call extends Stream {
  readonly id: string;
  readonly url: string;
  readonly events: EventStream;
}

/** A call through the dynamic URL: Exotel asks for the URL, then opens it. */
async function placeCall(n: number): Promise<Call> {
  const res = await streamUrl(n, { authorization: BASIC });
  expect(res.status).toBe(200);
  const { url } = (await res.json()) as { url: string };
  const parsed = new URL(url);
  const params = Object.fromEntries(parsed.searchParams);
  const id = params['session_id'] ?? '';
  const events = await openEventStream(`${server.url}/api/v1/sessions/${id}/events`, KEY);
  // Exotel connects to the URL as given (here: the same path and query on the local server);
  // it echoes the query as the start's custom parameters.
  const ws = await openStream(parsed.search);
  const exotel = createExotelClientScript({
    customParameters: params,
    callSid: `exotel-call-${String(n)}`,
  });
  return { ...drive(ws, exotel), id, url, events };
}

function speak(stream: Stream): void {
  const speech = generateTone({
    sampleRate: 8000,
    frequencyHz: 300,
    durationMs: 600,
    amplitude: 0.3,
  });
  for (const m of stream.exotel.audio(speech.samples)) stream.ws.send(m);
  for (const m of stream.exotel.audio(new Int16Array(8000))) stream.ws.send(m);
}

const marks = (s: Stream): string[] =>
  s.outbound.flatMap((m) => (m.event === 'mark' ? [m.mark.name] : []));
const mediaCount = (s: Stream): number => s.outbound.filter((m) => m.event === 'media').length;
const isType =
  (type: string, segmentId?: string) =>
  (e: AnyVoiceEvent): boolean =>
    e.type === type &&
    (segmentId === undefined || (e.data as { segment_id?: string }).segment_id === segmentId);

async function turns(
  id: string,
): Promise<{ interrupted: boolean; assistant_text: string; user_text: string }[]> {
  const res = await fetch(`${server.url}/api/v1/sessions/${id}/turns`, {
    headers: { authorization: `Bearer ${KEY}` },
  });
  return (
    (await res.json()) as {
      data: { items: { interrupted: boolean; assistant_text: string; user_text: string }[] };
    }
  ).data.items;
}

async function hangUp(call: Call): Promise<void> {
  call.ws.send(call.exotel.stop());
  call.ws.close();
  await call.events.waitFor(isType('prx.voice.session.closed'));
  call.events.close();
}

async function closeCode(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

describe('Exotel', () => {
  it('refuses the stream URL without Exotel credentials with 403, starting nothing', async () => {
    const before = (await sessions()).length;
    const wrong = `Basic ${Buffer.from(`${EXOTEL_KEY}:nope`).toString('base64')}`;
    for (const headers of [{}, { authorization: wrong }, { authorization: `Bearer ${KEY}` }]) {
      const res = await streamUrl(0, headers);
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    }
    expect((await sessions()).length).toBe(before);
  });

  it('closes a stream with neither credentials nor a valid stream token with 4401', async () => {
    const res = await streamUrl(9, { authorization: BASIC });
    const params = Object.fromEntries(
      new URL(((await res.json()) as { url: string }).url).searchParams,
    );
    for (const customParameters of [
      {},
      { session_id: params['session_id'] ?? '', tenant_id: params['tenant_id'] ?? '' },
      { ...params, stream_token: 'forged' },
    ]) {
      const ws = await openStream();
      const closed = closeCode(ws);
      const exotel = createExotelClientScript({ customParameters });
      ws.send(exotel.connected());
      ws.send(exotel.start());
      expect(await closed).toBe(4401);
    }
  });

  it('answers the stream URL, and a turn completes on mark returns in Exotel-sized payloads', async () => {
    const call = await placeCall(1);
    expect(call.url).toMatch(
      /^wss:\/\/voice\.example\.com\/telephony\/exotel\/stream\?session_id=sess_[^&]+&tenant_id=[^&]+&stream_token=[\w-]+$/,
    );
    speak(call);
    await call.until(() => marks(call).length === 1);
    const segments = call.events.events
      .filter(isType('prx.voice.tts.segment_queued'))
      .map((e) => e.data as { segment_id: string; text: string });
    expect(segments.map((s) => s.text)).toEqual([FIRST, SECOND]);
    const [first, second] = segments.map((s) => s.segment_id);
    expect(marks(call)).toEqual([first]);
    // PCM16 audio: the mock TTS's tone, not silence (every payload passed Exotel's size rule).
    const frames = call.outbound.flatMap((m) => (m.event === 'media' ? [JSON.stringify(m)] : []));
    const audio = decodeExotelOutboundAudio(frames);
    expect(Math.max(...Array.from(audio.subarray(0, 1600), Math.abs))).toBeGreaterThan(1000);
    call.ack(call.exotel.playToMark());
    await call.events.waitFor(isType('prx.voice.playback.completed', first));
    await call.until(() => marks(call).length === 2);
    expect(marks(call)).toEqual([first, second]);
    expect(call.events.events.filter(isType('prx.voice.turn.completed'))).toEqual([]);
    call.ack(call.exotel.playToMark());
    const completed = await call.events.waitFor(isType('prx.voice.turn.completed'));
    expect(completed.data).toMatchObject({
      assistant_text: `${FIRST} ${SECOND}`,
      interrupted: false,
    });
    await hangUp(call);
  }, 60_000);

  it('barge-in: Exotel gets clear, the stored turn holds exactly the part whose mark came back', async () => {
    const call = await placeCall(2);
    speak(call);
    await call.until(() => marks(call).length === 1);
    call.ack(call.exotel.playToMark());
    const before = mediaCount(call);
    await call.until(() => mediaCount(call) > before + 1);
    const res = await fetch(`${server.url}/api/v1/sessions/${call.id}/interrupt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(res.status).toBe(200);
    await call.until(() => call.outbound.some((m) => m.event === 'clear'));
    const resolved = await call.events.waitFor(isType('prx.voice.interrupt.resolved'));
    expect(resolved.data).toMatchObject({ heard_text: FIRST });
    const cleared = call.outbound.findIndex((m) => m.event === 'clear');
    expect(call.outbound[cleared]).toEqual({ event: 'clear', stream_sid: call.exotel.streamSid });
    expect(call.outbound.slice(cleared + 1)).toEqual([]);
    expect((await turns(call.id))[0]).toMatchObject({ interrupted: true, assistant_text: FIRST });
    await hangUp(call);
  }, 60_000);

  it('DTMF reaches the session; a malformed message is counted as dropped audio, the call goes on', async () => {
    const call = await placeCall(3);
    call.ws.send('{"event":"media","stream_sid":"x"');
    call.ws.send(
      JSON.stringify({
        event: 'media',
        stream_sid: call.exotel.streamSid,
        media: { payload: '%%' },
      }),
    );
    for (const digit of ['4', '2', '#']) call.ws.send(call.exotel.dtmf(digit));
    const complete = await call.events.waitFor(
      (e) => e.type === 'prx.voice.media.dtmf' && (e.data as { complete: boolean }).complete,
    );
    expect(complete.data).toEqual({
      digits: '42',
      source: 'carrier',
      complete: true,
      reason: 'terminator',
    });
    const turn = await call.events.waitFor(isType('prx.voice.turn.completed'));
    expect(turn.data).toMatchObject({
      user_text: 'DTMF: 42',
      assistant_text: 'You said: DTMF: 42',
    });
    const dropped = await call.events.waitFor(isType('prx.voice.media.audio_dropped'));
    expect(dropped.data).toMatchObject({
      direction: 'inbound',
      reason: 'invalid_audio',
      frames: 2,
    });
    expect(call.ws.readyState).toBe(WebSocket.OPEN);
    await hangUp(call);
  }, 60_000);

  it('a fixed stream URL with Basic credentials: the session is created from the start', async () => {
    const exotel = createExotelClientScript({ callSid: 'exotel-fixed-1', from: '09800000001' });
    const ws = await openStream('', { authorization: BASIC });
    const stream = drive(ws, exotel);
    for (const digit of ['7', '#']) ws.send(exotel.dtmf(digit));
    // The agent answers the keys: its audio arrives on the stream.
    await stream.until(() => marks(stream).length >= 1);
    const row = (await sessions()).find((s) => s.metadata['call_sid'] === 'exotel-fixed-1');
    expect(row?.metadata).toMatchObject({ from: '09800000001', to: '08047491899' });
    while (stream.exotel.pendingMarks.length > 0) stream.ack(stream.exotel.playToMark());
    const events = await openEventStream(
      `${server.url}/api/v1/sessions/${row?.id ?? ''}/events`,
      KEY,
    );
    await events.waitFor(isType('prx.voice.turn.completed'));
    expect((await turns(row?.id ?? ''))[0]).toMatchObject({ user_text: 'DTMF: 7' });
    ws.send(exotel.stop());
    ws.close();
    await events.waitFor(isType('prx.voice.session.closed'));
    events.close();
  }, 60_000);
});
