/**
 * Outbound Exotel calls over the wire: `POST /api/v1/calls` with `carrier: exotel` against a
 * real server whose Exotel API base URL points at a local fake Exotel. The fake answers the
 * connect request as Exotel does, posts the `answered` status callback, opens the AgentStream
 * to the `StreamUrl` it was given with a scripted Exotel client — so a turn completes — and
 * posts `terminal` once the call is over. Exotel documents no hang-up request: the session's
 * end closes the stream, which ends the call, and the hang-up metric counts it. A status
 * callback without Exotel's credentials or the session's token is a 403 that changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { generateTone } from '@prx-voice/media';
import { parseExotelOutbound, startExotelApiServer } from '@prx-voice/transport/testing';
import type { ExotelApiServer, FakeExotelCall } from '@prx-voice/transport/testing';
import { CARRIER_PUBLIC_URL as PUBLIC, isType } from './support/carrier-call.ts';
import {
  callStatus,
  dialCarrierStream as dial,
  useOutboundServer,
} from './support/outbound-carrier.ts';
import type { PlacedCall } from './support/outbound-carrier.ts';

const ACCOUNT = 'prxvoice1';
const EXOTEL_KEY = 'exotel_api_key_outbound';
const EXOTEL_TOKEN = 'exotel_api_token_outbound_0123456789';
const BASIC = `Basic ${Buffer.from(`${EXOTEL_KEY}:${EXOTEL_TOKEN}`).toString('base64')}`;

const out = useOutboundServer<FakeExotelCall, ExotelApiServer>({
  name: 'exotel-out',
  carrier: (rewrite) =>
    startExotelApiServer({
      accountSid: ACCOUNT,
      apiKey: EXOTEL_KEY,
      apiToken: EXOTEL_TOKEN,
      dial,
      rewrite,
    }),
  env: (url) => ({
    PRX_VOICE_TELEPHONY__EXOTEL__TENANT: 'default',
    PRX_VOICE_TELEPHONY__EXOTEL__API_KEY: EXOTEL_KEY,
    PRX_VOICE_TELEPHONY__EXOTEL__API_TOKEN: EXOTEL_TOKEN,
    PRX_VOICE_TELEPHONY__EXOTEL__ACCOUNT_SID: ACCOUNT,
    PRX_VOICE_TELEPHONY__EXOTEL__API_BASE_URL: url,
  }),
});
const api = out.api;

async function sessionState(id: string): Promise<string> {
  const res = await api('GET', `/sessions/${id}`);
  return ((await res.json()) as { data: { state: string } }).data.state;
}

const place = (): Promise<PlacedCall<FakeExotelCall>> =>
  out.place({ to: '+919876543210', from: '+918047491899', carrier: 'exotel' });

describe('POST /api/v1/calls with Exotel', () => {
  it('dials with the session’s stream, a turn completes, the end closes the stream and is counted', async () => {
    const p = await place();
    const form = new URLSearchParams(out.carrier.requests.at(-1)?.body);
    expect(out.carrier.requests.at(-1)?.path).toBe(`/v1/Accounts/${ACCOUNT}/Calls/connect.json`);
    expect(form.get('From')).toBe('+919876543210');
    expect(form.get('CallerId')).toBe('+918047491899');
    expect(form.get('StreamType')).toBe('bidirectional');
    expect(form.get('StreamUrl')).toMatch(
      new RegExp(
        `^wss://voice\\.example\\.com/telephony/exotel/stream\\?session_id=${p.sessionId}&tenant_id=${p.tenantId}&stream_token=`,
      ),
    );
    expect(form.get('StatusCallback')).toMatch(
      new RegExp(
        `^${PUBLIC}/telephony/exotel/status\\?session_id=${p.sessionId}&tenant_id=${p.tenantId}&token=`,
      ),
    );
    const answered = await p.events.waitFor(callStatus('answered'));
    expect(answered.data).toMatchObject({ carrier: 'exotel', call_id: p.callId });

    // The person speaks; the bot's answer is played as Exotel's buffer does.
    const script = p.call.exotel;
    const socket = p.call.socket;
    if (script === undefined || socket === undefined) throw new Error('the call was not answered');
    const speech = generateTone({
      sampleRate: 8000,
      frequencyHz: 300,
      durationMs: 600,
      amplitude: 0.3,
    });
    for (const m of script.audio(speech.samples)) socket.send(m);
    for (const m of script.audio(new Int16Array(8000))) socket.send(m);
    await p.call.until(() => p.call.received.some((t) => t.includes('"mark"')));
    for (const text of p.call.received)
      for (const ack of script.outbound(parseExotelOutbound(text))) socket.send(ack);
    for (let ack = script.playToMark(); ack !== undefined; ack = script.playToMark())
      socket.send(ack);
    const turn = await p.events.waitFor(isType('prx.voice.turn.completed'));
    expect(turn.data).toMatchObject({ user_text: 'Hello there.' });

    const before = await out.hangUps('exotel', 'hung_up');
    expect((await api('POST', `/sessions/${p.sessionId}/end`)).status).toBe(200);
    await p.events.waitFor(isType('prx.voice.session.closed'));
    p.events.close();
    // The bot closed the stream; Exotel ended the call and posted `terminal`.
    await p.call.until(() => p.call.over);
    expect(p.call.endedByBot).toBe(true);
    expect(await out.hangUpsAfter('exotel', 'hung_up', before)).toBe(before + 1);
  }, 60_000);

  it('refuses machine_detection, which Exotel does not offer, with 400 before dialling', async () => {
    const before = out.carrier.requests.length;
    const res = await api('POST', '/calls', {
      to: '+919876543210',
      from: '+918047491899',
      carrier: 'exotel',
      machine_detection: true,
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: { field: string } } };
    expect(body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { field: 'machine_detection' },
    });
    expect(out.carrier.requests.length).toBe(before);
  });

  it('refuses a status callback without Exotel’s credentials or token (403, nothing changes); a valid busy ends the session', async () => {
    const p = await place();
    await p.events.waitFor(callStatus('answered'));
    const url = (token: string) =>
      `${out.server.url}/telephony/exotel/status?session_id=${p.sessionId}&tenant_id=${p.tenantId}&token=${token}`;
    const busy = new URLSearchParams({ CallSid: p.callId, Status: 'busy', EventType: 'terminal' });
    const forged = await fetch(url('forged'), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${EXOTEL_KEY}:wrong`).toString('base64')}`,
      },
      body: busy.toString(),
    });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    expect(await sessionState(p.sessionId)).not.toBe('Closed');
    expect(p.events.events.some(callStatus('busy'))).toBe(false);

    // Exotel's own credentials are accepted (as on its other requests).
    const real = await fetch(url(''), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC },
      body: busy.toString(),
    });
    expect(real.status).toBe(204);
    await p.events.waitFor(callStatus('busy'));
    await p.events.waitFor(isType('prx.voice.session.closed'));
    p.events.close();
    await p.call.hangUp();
  }, 60_000);
});
