/**
 * Exotel over the wire against a real server: the Voicebot applet's dynamic stream URL
 * (Basic credentials as Exotel sends them from the applet URL), and the media stream driven
 * by a scripted Exotel that checks every payload against Exotel's size rule and plays what
 * it is sent as Exotel's buffer does (marks come back once the audio before them has played;
 * a clear returns the marks it dropped). Also the fixed-URL setup: the stream itself
 * authenticated by Basic credentials, the session created from its `start`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { RunningServer } from '@prx-voice/server';
import type { ExotelOutboundMessage } from '@prx-voice/transport';
import {
  createExotelClientScript,
  decodeExotelOutboundAudio,
  parseExotelOutbound,
} from '@prx-voice/transport/testing';
import type { ExotelClientScript } from '@prx-voice/transport/testing';
import { openEventStream } from './support/event-stream.ts';
import {
  CARRIER_KEY,
  FIRST,
  SECOND,
  audioCount,
  closeCode,
  driveCarrierSocket,
  expectDtmf,
  hangUp,
  isType,
  markNames,
  openCarrierSocket,
  speak,
  startCarrierServer,
  storedSessions,
  storedTurns,
  markStreamDriver,
} from './support/carrier-call.ts';
import type { CarrierCall, CarrierDriver, CarrierStream } from './support/carrier-call.ts';

const EXOTEL_KEY = 'exotel_api_key_01';
const EXOTEL_TOKEN = 'exotel_api_token_0123456789';
const BASIC = `Basic ${Buffer.from(`${EXOTEL_KEY}:${EXOTEL_TOKEN}`).toString('base64')}`;
let server: RunningServer;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ server, stop } = await startCarrierServer('exotel', {
    PRX_VOICE_TELEPHONY__EXOTEL__TENANT: 'default',
    PRX_VOICE_TELEPHONY__EXOTEL__API_KEY: EXOTEL_KEY,
    PRX_VOICE_TELEPHONY__EXOTEL__API_TOKEN: EXOTEL_TOKEN,
  }));
}, 120_000);
afterAll(async () => {
  await stop();
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

/** Opens the stream at `query` of the local server (what Exotel's wss URL points at). */
const openStream = (query = '', headers: Record<string, string> = {}): Promise<WebSocket> =>
  openCarrierSocket(server, `/telephony/exotel/stream${query}`, headers);

/**
 * A scripted Exotel as a carrier driver: it checks every payload against Exotel's size
 * rule, and a clear returns the marks it dropped.
 */
const exotelDriver = (exotel: ExotelClientScript): CarrierDriver<ExotelOutboundMessage> =>
  markStreamDriver(exotel, parseExotelOutbound);

/** One call's stream with a scripted Exotel. */
interface Stream extends CarrierStream<ExotelOutboundMessage> {
  readonly exotel: ExotelClientScript;
}

const drive = (ws: WebSocket, exotel: ExotelClientScript): Stream => ({
  ...driveCarrierSocket(ws, exotelDriver(exotel)),
  exotel,
});

interface Call extends Stream, CarrierCall<ExotelOutboundMessage> {
  readonly url: string;
}

/** A call through the dynamic URL: Exotel asks for the URL, then opens it. */
async function placeCall(n: number): Promise<Call> {
  const res = await streamUrl(n, { authorization: BASIC });
  expect(res.status).toBe(200);
  const { url } = (await res.json()) as { url: string };
  const parsed = new URL(url);
  const params = Object.fromEntries(parsed.searchParams);
  const id = params['session_id'] ?? '';
  const events = await openEventStream(`${server.url}/api/v1/sessions/${id}/events`, CARRIER_KEY);
  // Exotel connects to the URL as given (here: the same path and query on the local server);
  // it echoes the query as the start's custom parameters.
  const ws = await openStream(parsed.search);
  const exotel = createExotelClientScript({
    customParameters: params,
    callSid: `exotel-call-${String(n)}`,
  });
  return { ...drive(ws, exotel), id, url, events };
}

const sessions = () => storedSessions(server);
const turns = (id: string) => storedTurns(server, id);

describe('Exotel', () => {
  it('refuses the stream URL without Exotel credentials with 403, starting nothing', async () => {
    const before = (await sessions()).length;
    const wrong = `Basic ${Buffer.from(`${EXOTEL_KEY}:nope`).toString('base64')}`;
    for (const headers of [
      {},
      { authorization: wrong },
      { authorization: `Bearer ${CARRIER_KEY}` },
    ]) {
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
    await call.until(() => markNames(call).length === 1);
    const segments = call.events.events
      .filter(isType('prx.voice.tts.segment_queued'))
      .map((e) => e.data as { segment_id: string; text: string });
    expect(segments.map((s) => s.text)).toEqual([FIRST, SECOND]);
    const [first, second] = segments.map((s) => s.segment_id);
    expect(markNames(call)).toEqual([first]);
    // PCM16 audio: the mock TTS's tone, not silence (every payload passed Exotel's size rule).
    const frames = call.outbound.flatMap((m) => (m.event === 'media' ? [JSON.stringify(m)] : []));
    const audio = decodeExotelOutboundAudio(frames);
    expect(Math.max(...Array.from(audio.subarray(0, 1600), Math.abs))).toBeGreaterThan(1000);
    call.ack(call.exotel.playToMark());
    await call.events.waitFor(isType('prx.voice.playback.completed', first));
    await call.until(() => markNames(call).length === 2);
    expect(markNames(call)).toEqual([first, second]);
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
    await call.until(() => markNames(call).length === 1);
    call.ack(call.exotel.playToMark());
    const before = audioCount(call);
    await call.until(() => audioCount(call) > before + 1);
    const res = await fetch(`${server.url}/api/v1/sessions/${call.id}/interrupt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CARRIER_KEY}` },
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
    await expectDtmf(call);
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
    await stream.until(() => markNames(stream).length >= 1);
    const row = (await sessions()).find((s) => s.metadata['call_sid'] === 'exotel-fixed-1');
    expect(row?.metadata).toMatchObject({ from: '09800000001', to: '08047491899' });
    while (stream.exotel.pendingMarks.length > 0) stream.ack(stream.exotel.playToMark());
    const events = await openEventStream(
      `${server.url}/api/v1/sessions/${row?.id ?? ''}/events`,
      CARRIER_KEY,
    );
    await events.waitFor(isType('prx.voice.turn.completed'));
    expect((await turns(row?.id ?? ''))[0]).toMatchObject({ user_text: 'DTMF: 7' });
    ws.send(exotel.stop());
    ws.close();
    await events.waitFor(isType('prx.voice.session.closed'));
    events.close();
  }, 60_000);
});
