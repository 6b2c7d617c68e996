/**
 * Plivo over the wire against a real server: the answer webhook (V3-signed as Plivo signs
 * it), the Plivo XML answer, and the audio stream driven by a scripted Plivo that plays
 * what it is sent as Plivo's queue does (a checkpoint is answered by `playedStream` once
 * the audio before it has played; `clearAudio` is answered by `clearedAudio`, never by the
 * checkpoints it dropped).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '@prx-voice/server';
import type { PlivoOutboundMessage } from '@prx-voice/transport';
import {
  createPlivoClientScript,
  createPlivoSigner,
  decodePlivoOutboundAudio,
  parsePlivoOutbound,
} from '@prx-voice/transport/testing';
import {
  CARRIER_PUBLIC_URL,
  closeCode,
  connectCarrierCall,
  expectBargeIn,
  expectDtmf,
  expectMalformedAudioDropped,
  expectTurnOnAcks,
  hangUp,
  openCarrierSocket,
  sessionCount,
  startCarrierServer,
} from './support/carrier-call.ts';
import type { CarrierCall, CarrierDriver } from './support/carrier-call.ts';

const AUTH_TOKEN = 'MzYxNTE0ZWQ2ZjYzYjg5ZjE5YjQ3YjYzZDQ0MmQx';
const ANSWER_URL = `${CARRIER_PUBLIC_URL}/telephony/plivo/voice`;
const signer = createPlivoSigner(AUTH_TOKEN);
let server: RunningServer;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ server, stop } = await startCarrierServer('plivo', {
    PRX_VOICE_TELEPHONY__PLIVO__TENANT: 'default',
    PRX_VOICE_TELEPHONY__PLIVO__AUTH_TOKEN: AUTH_TOKEN,
  }));
}, 120_000);
afterAll(async () => {
  await stop();
});

/** Plivo's answer webhook body for call `n` (form-encoded, as Plivo sends it). */
function answerBody(n: number): string {
  return new URLSearchParams({
    CallUUID: `85e8a1c2-4d1b-4b8f-9a57-${String(n).padStart(12, '0')}`,
    CallStatus: 'in-progress',
    Direction: 'inbound',
    Event: 'StartApp',
    From: '+14155550111',
    To: '+14155550100',
  }).toString();
}

async function answer(body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${server.url}/telephony/plivo/voice`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
}

/** The stream URL of a Plivo XML answer, as a path with its query on our server. */
function streamPath(xml: string): { path: string; sessionId: string } {
  const text = /<Stream [^>]*>([^<]+)<\/Stream>/.exec(xml)?.[1] ?? '';
  const url = new URL(text.replaceAll('&amp;', '&'));
  return {
    path: `${url.pathname}${url.search}`,
    sessionId: url.searchParams.get('session_id') ?? '',
  };
}

function plivoDriver(): CarrierDriver<PlivoOutboundMessage> {
  const plivo = createPlivoClientScript();
  return {
    sampleRate: 8000,
    open: () => [plivo.start()],
    audio: (samples) => plivo.audio(samples),
    dtmf: (digit) => plivo.dtmf(digit),
    read: (data) => parsePlivoOutbound(data.toString('utf8')),
    take: (message) => plivo.outbound(message),
    playToMark: () => plivo.playToMark(),
    get bufferedMs() {
      return plivo.bufferedMs;
    },
    markName: (m) => (m.event === 'checkpoint' ? m.name : undefined),
    isClear: (m) => m.event === 'clearAudio',
    isAudio: (m) => m.event === 'playAudio',
  };
}

async function placeCall(
  n: number,
): Promise<{ xml: string; call: CarrierCall<PlivoOutboundMessage> }> {
  const body = answerBody(n);
  const res = await answer(body, signer.headers('POST', ANSWER_URL, body));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/xml');
  const xml = await res.text();
  const { path, sessionId } = streamPath(xml);
  return { xml, call: await connectCarrierCall(server, sessionId, path, plivoDriver()) };
}

describe('Plivo', () => {
  it('refuses an answer webhook with a bad or missing signature with 403, starting nothing', async () => {
    const before = await sessionCount(server);
    const body = answerBody(0);
    const forged = createPlivoSigner('another-auth-token').headers('POST', ANSWER_URL, body);
    const res = await answer(body, forged);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    expect((await answer(body, {})).status).toBe(403);
    // Signed, then changed in transit.
    const signed = signer.headers('POST', ANSWER_URL, body);
    expect((await answer(`${body}&To=%2B15550000000`, signed)).status).toBe(403);
    // Signed for another URL.
    expect((await answer(body, signer.headers('POST', `${ANSWER_URL}?x=1`, body))).status).toBe(
      403,
    );
    expect(await sessionCount(server)).toBe(before);
  });

  it('closes a stream whose URL carries no or a wrong stream token with 4401', async () => {
    const body = answerBody(9);
    const xml = await (await answer(body, signer.headers('POST', ANSWER_URL, body))).text();
    const { path } = streamPath(xml);
    const url = new URL(`http://x${path}`);
    for (const token of [undefined, 'forged']) {
      if (token === undefined) url.searchParams.delete('token');
      else url.searchParams.set('token', token);
      const ws = await openCarrierSocket(server, `${url.pathname}${url.search}`);
      const closed = closeCode(ws);
      ws.send(createPlivoClientScript().start());
      expect(await closed).toBe(4401);
    }
  });

  it('answers Plivo XML opening a bidirectional stream, and a turn completes on playedStream', async () => {
    const { xml, call } = await placeCall(1);
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?><Response><Stream bidirectional="true" keepCallAlive="true" audioTrack="inbound" contentType="audio\/x-mulaw;rate=8000">wss:\/\/voice\.example\.com\/telephony\/plivo\/stream\?session_id=sess_[^&]+&amp;tenant_id=[^&]+&amp;token=[^<]+<\/Stream><\/Response>$/,
    );
    expect(call.id).toMatch(/^sess_/);
    await expectTurnOnAcks(call);
    // The answer is µ-law audio: the mock TTS's 440 Hz tone, not silence.
    const frames = call.outbound.flatMap((m) =>
      m.event === 'playAudio' ? [JSON.stringify(m)] : [],
    );
    const audio = decodePlivoOutboundAudio(frames);
    expect(Math.max(...Array.from(audio.subarray(0, 800), Math.abs))).toBeGreaterThan(1000);
    await hangUp(call);
  }, 60_000);

  it('barge-in: Plivo gets clearAudio, the stored turn holds exactly the part played', async () => {
    const { call } = await placeCall(2);
    await expectBargeIn(server, call);
    await hangUp(call);
  }, 60_000);

  it('drops and counts a malformed audio message, and DTMF still reaches the session', async () => {
    const { call } = await placeCall(3);
    await expectMalformedAudioDropped(
      call,
      JSON.stringify({
        event: 'media',
        sequenceNumber: 99,
        streamId: '20170ada-f610-433b-8758-c02a2aab3662',
        media: { track: 'inbound', payload: 'not base64!' },
      }),
    );
    await expectDtmf(call);
    await hangUp(call);
  }, 60_000);
});
