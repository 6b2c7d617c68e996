/**
 * Vonage over the wire against a real server: the answer webhook (a signed webhook, as
 * Vonage signs it: an HS256 JWT with the body's hash), the NCCO answer, and the WebSocket
 * driven by a scripted Vonage that sends `websocket:connected` and binary L16 16 kHz
 * frames, refuses audio frames that are not exactly 20 ms, and plays what it is sent as
 * Vonage's queue does (`notify` returned once the audio before it has played; `clear`
 * answered by `websocket:cleared`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '@prx-voice/server';
import { createVonageClientScript, createVonageSigner } from '@prx-voice/transport/testing';
import type { VonageOutbound } from '@prx-voice/transport/testing';
import {
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

const SECRET = 'vonage-signature-secret-0123456789abcdef';
const APPLICATION = 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab';
const signer = createVonageSigner(SECRET, APPLICATION);
let server: RunningServer;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ server, stop } = await startCarrierServer('vonage', {
    PRX_VOICE_TELEPHONY__VONAGE__TENANT: 'default',
    PRX_VOICE_TELEPHONY__VONAGE__SIGNATURE_SECRET: SECRET,
    PRX_VOICE_TELEPHONY__VONAGE__APPLICATION_ID: APPLICATION,
  }));
}, 120_000);
afterAll(async () => {
  await stop();
});

/** The call as Vonage describes it to the answer webhook. */
function callFields(n: number): Record<string, string> {
  return {
    to: '447700900000',
    from: '447700900001',
    uuid: `63f61863-4a51-4f6b-86e1-${String(n).padStart(12, '0')}`,
    conversation_uuid: `CON-f972836a-550f-45fa-956c-${String(n).padStart(12, '0')}`,
  };
}

/** `GET /answer?…` as Vonage sends it by default, or `POST` with the call as JSON. */
async function answer(
  n: number,
  method: 'GET' | 'POST',
  headers: (body: string) => Record<string, string>,
): Promise<Response> {
  const fields = callFields(n);
  if (method === 'GET') {
    const query = new URLSearchParams(fields).toString();
    return fetch(`${server.url}/telephony/vonage/voice?${query}`, { headers: headers('') });
  }
  const body = JSON.stringify(fields);
  return fetch(`${server.url}/telephony/vonage/voice`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers(body) },
    body,
  });
}

const now = (): number => Date.now() / 1000;

interface Ncco {
  action: string;
  endpoint: {
    type: string;
    uri: string;
    'content-type': string;
    headers: Record<string, string>;
  }[];
}

function vonageDriver(headers: Record<string, string>): CarrierDriver<VonageOutbound> {
  const vonage = createVonageClientScript({ headers });
  return {
    sampleRate: 16000,
    open: () => [vonage.connected()],
    audio: (samples) => vonage.audio(samples),
    dtmf: (digit) => vonage.dtmf(digit),
    read: (data, binary) => vonage.read(binary ? data : data.toString('utf8'), binary),
    take: (item) => vonage.outbound(item),
    playToMark: () => vonage.playToMark(),
    get bufferedMs() {
      return vonage.bufferedMs;
    },
    markName: (o) =>
      o.kind === 'message' && o.message.action === 'notify' ? o.message.payload.name : undefined,
    isClear: (o) => o.kind === 'message' && o.message.action === 'clear',
    isAudio: (o) => o.kind === 'audio',
  };
}

async function placeCall(
  n: number,
  method: 'GET' | 'POST' = 'GET',
): Promise<{ ncco: Ncco[]; call: CarrierCall<VonageOutbound> }> {
  const res = await answer(n, method, (body) => signer.headers(body, now()));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/json');
  const ncco = (await res.json()) as Ncco[];
  const endpoint = ncco[0]?.endpoint[0];
  const url = new URL(endpoint?.uri ?? 'wss://missing');
  const sessionId = url.searchParams.get('session_id') ?? '';
  const driver = vonageDriver(endpoint?.headers ?? {});
  return {
    ncco,
    call: await connectCarrierCall(server, sessionId, `${url.pathname}${url.search}`, driver),
  };
}

describe('Vonage', () => {
  it('refuses an answer webhook with a bad, stale, tampered or missing token with 403, starting nothing', async () => {
    const before = await sessionCount(server);
    const forged = createVonageSigner('another-secret', APPLICATION);
    const res = await answer(0, 'GET', (body) => forged.headers(body, now()));
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    expect((await answer(0, 'GET', (body) => signer.headers(body, now() - 3600))).status).toBe(403);
    expect((await answer(0, 'GET', () => ({}))).status).toBe(403);
    // POST: the body's hash is in the token; another body fails.
    expect(
      (await answer(0, 'POST', () => signer.headers('{"to":"447700900000"}', now()))).status,
    ).toBe(403);
    // Another application's token.
    const other = createVonageSigner(SECRET, 'ffffffff-0000-0000-0000-000000000000');
    expect((await answer(0, 'GET', (body) => other.headers(body, now()))).status).toBe(403);
    expect(await sessionCount(server)).toBe(before);
  });

  it('closes a socket whose URI carries no or a wrong stream token with 4401', async () => {
    const res = await answer(9, 'GET', (body) => signer.headers(body, now()));
    const ncco = (await res.json()) as Ncco[];
    const url = new URL(ncco[0]?.endpoint[0]?.uri ?? 'wss://missing');
    for (const token of [undefined, 'forged']) {
      if (token === undefined) url.searchParams.delete('token');
      else url.searchParams.set('token', token);
      const ws = await openCarrierSocket(server, `${url.pathname}${url.search}`);
      const closed = closeCode(ws);
      ws.send(createVonageClientScript().connected());
      expect(await closed).toBe(4401);
    }
  });

  it('answers an NCCO connecting a WebSocket, and a turn completes on websocket:notify', async () => {
    const { ncco, call } = await placeCall(1);
    expect(ncco).toEqual([
      {
        action: 'connect',
        endpoint: [
          {
            type: 'websocket',
            uri: expect.stringMatching(
              /^wss:\/\/voice\.example\.com\/telephony\/vonage\/stream\?session_id=sess_\w+&tenant_id=\w+&token=[\w-]+$/,
            ),
            'content-type': 'audio/l16;rate=16000',
            headers: { session_id: call.id, call_uuid: callFields(1).uuid },
          },
        ],
      },
    ]);
    await expectTurnOnAcks(call);
    // The answer is L16 audio: the mock TTS's 440 Hz tone, not silence.
    const first = call.outbound.find((o) => o.kind === 'audio');
    const samples = first?.kind === 'audio' ? first.samples : new Int16Array(0);
    expect(Math.max(...Array.from(samples, Math.abs))).toBeGreaterThan(1000);
    await hangUp(call);
  }, 60_000);

  it('takes the answer webhook as a signed POST too', async () => {
    const { call } = await placeCall(4, 'POST');
    expect(call.id).toMatch(/^sess_/);
    await hangUp(call);
  }, 60_000);

  it('barge-in: Vonage gets clear, the stored turn holds exactly the part notified', async () => {
    const { call } = await placeCall(2);
    await expectBargeIn(server, call);
    await hangUp(call);
  }, 60_000);

  it('drops and counts a malformed audio message, and DTMF still reaches the session', async () => {
    const { call } = await placeCall(3);
    await expectMalformedAudioDropped(call, new Uint8Array(641));
    await expectDtmf(call);
    await hangUp(call);
  }, 60_000);
});
