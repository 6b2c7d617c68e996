/**
 * Outbound calls over the wire: `POST /api/v1/calls` against a real server whose Twilio and
 * Telnyx REST base URLs point at a local fake carrier. The fake answers as the carrier's REST
 * API does, posts signed status callbacks / call events, and opens the media stream the call
 * was given with the scripted carrier clients — so a dialled call joins its session, a turn
 * completes, the answering-machine result and call statuses become session events, and the
 * session's end hangs the carrier call up (retried when the carrier fails).
 */
import { describe, expect, it } from 'vitest';
import { generateTone } from '@prx-voice/media';
import {
  createTelnyxSigner,
  parseTelnyxOutbound,
  parseTwilioOutbound,
  startCarrierApiServer,
} from '@prx-voice/transport/testing';
import type { CarrierApiServer, FakeCarrierCall } from '@prx-voice/transport/testing';
import { CARRIER_PUBLIC_URL as PUBLIC, isType } from './support/carrier-call.ts';
import {
  callStatus,
  dialCarrierStream as dial,
  useOutboundServer,
} from './support/outbound-carrier.ts';
import type { PlacedCall } from './support/outbound-carrier.ts';

const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'twilio_auth_token_for_outbound_tests';
const TELNYX_KEY = 'KEY0123456789ABCDEF_outbound_tests';
const signer = createTelnyxSigner();

const out = useOutboundServer<FakeCarrierCall, CarrierApiServer>({
  name: 'calls',
  carrier: (rewrite) =>
    startCarrierApiServer({
      twilio: { accountSid: ACCOUNT, authToken: AUTH_TOKEN },
      telnyx: { apiKey: TELNYX_KEY, signer, codec: 'PCMU' },
      dial,
      rewrite,
      answeredBy: 'machine_end_beep',
    }),
  env: (url) => ({
    // Twilio under telephony.twilio (its old place, adapters.providers.twilio, is deprecated).
    PRX_VOICE_TELEPHONY__TWILIO__TENANT: 'default',
    PRX_VOICE_TELEPHONY__TWILIO__AUTH_TOKEN: AUTH_TOKEN,
    PRX_VOICE_TELEPHONY__TWILIO__ACCOUNT_SID: ACCOUNT,
    PRX_VOICE_TELEPHONY__TWILIO__API_BASE_URL: url,
    PRX_VOICE_TELEPHONY__TELNYX__TENANT: 'default',
    PRX_VOICE_TELEPHONY__TELNYX__PUBLIC_KEY: signer.publicKey,
    PRX_VOICE_TELEPHONY__TELNYX__API_KEY: TELNYX_KEY,
    PRX_VOICE_TELEPHONY__TELNYX__CONNECTION_ID: 'conn-outbound-1',
    PRX_VOICE_TELEPHONY__TELNYX__API_BASE_URL: url,
  }),
});
const api = out.api;
type Placed = PlacedCall<FakeCarrierCall>;

const place = (body: Record<string, unknown>): Promise<Placed> =>
  out.place({ to: '+14155550100', from: '+14155550199', ...body });

/** Plays what the server sent as the carrier's buffer does, returning every mark. */
function playAll(p: Placed, seen: { n: number }): void {
  for (; seen.n < p.call.received.length; seen.n++) {
    const text = p.call.received[seen.n] ?? '';
    const acks = p.call.twilio
      ? p.call.twilio.outbound(parseTwilioOutbound(text))
      : (p.call.telnyx?.outbound(parseTelnyxOutbound(text)) ?? []);
    for (const ack of acks) p.call.socket.send(ack);
  }
  const script = p.call.twilio ?? p.call.telnyx;
  for (let ack = script?.playToMark(); ack !== undefined; ack = script?.playToMark())
    p.call.socket.send(ack);
}

function speak(p: Placed): void {
  const script = p.call.twilio ?? p.call.telnyx;
  if (script === undefined) throw new Error('no script');
  const speech = generateTone({
    sampleRate: 8000,
    frequencyHz: 300,
    durationMs: 600,
    amplitude: 0.3,
  });
  for (const m of script.audio(speech.samples)) p.call.socket.send(m);
  for (const m of script.audio(new Int16Array(8000))) p.call.socket.send(m);
}

describe('POST /api/v1/calls', () => {
  it('Twilio: dials, the call joins its session, AMD and statuses are events, the end hangs up', async () => {
    const p = await place({ carrier: 'twilio', machine_detection: true });
    const form = new URLSearchParams(out.carrier.requests.at(-1)?.body);
    expect(form.get('MachineDetection')).toBe('Enable');
    expect(form.get('StatusCallback')).toMatch(
      new RegExp(`^${PUBLIC}/telephony/twilio/status\\?session_id=${p.sessionId}&tenant_id=ten_`),
    );
    const amd = await p.events.waitFor(callStatus('machine_detected'));
    expect(amd.data).toMatchObject({
      carrier: 'twilio',
      call_id: p.callId,
      answered_by: 'machine_end_beep',
    });
    await p.events.waitFor(callStatus('ringing'));
    speak(p);
    const seen = { n: 0 };
    await p.call.until(() => p.call.received.some((t) => t.includes('"mark"')));
    playAll(p, seen);
    const turn = await p.events.waitFor(isType('prx.voice.turn.completed'));
    expect(turn.data).toMatchObject({ user_text: 'Hello there.', interrupted: false });
    expect((await api('POST', `/sessions/${p.sessionId}/end`)).status).toBe(200);
    await p.call.until(() => p.call.hungUp);
    expect(out.carrier.requests.at(-1)?.path).toBe(
      `/2010-04-01/Accounts/${ACCOUNT}/Calls/${p.callId}.json`,
    );
    await p.events.waitFor(isType('prx.voice.session.closed'));
    p.events.close();
  }, 60_000);

  it('Telnyx: dials with the session in client_state, DTMF reaches the agent, the end hangs up', async () => {
    const p = await place({ carrier: 'telnyx' });
    expect(JSON.parse(out.carrier.requests.at(-1)?.body ?? '{}')).toMatchObject({
      connection_id: 'conn-outbound-1',
      stream_url: 'wss://voice.example.com/telephony/telnyx/stream',
      webhook_url: `${PUBLIC}/telephony/telnyx/events`,
      stream_bidirectional_mode: 'rtp',
    });
    await p.events.waitFor(callStatus('answered'));
    for (const digit of ['7', '#']) p.call.socket.send(p.call.telnyx?.dtmf(digit) ?? '');
    await p.call.until(() => p.call.received.some((t) => t.includes('"mark"')));
    playAll(p, { n: 0 });
    const turn = await p.events.waitFor(isType('prx.voice.turn.completed'));
    expect(turn.data).toMatchObject({ user_text: 'DTMF: 7' });
    expect((await api('POST', `/sessions/${p.sessionId}/end`)).status).toBe(200);
    await p.call.until(() => p.call.hungUp);
    expect(out.carrier.requests.at(-1)?.path).toBe(
      `/v2/calls/${encodeURIComponent(p.callId)}/actions/hangup`,
    );
    await p.events.waitFor(isType('prx.voice.session.closed'));
    p.events.close();
  }, 60_000);

  it('a hang-up the carrier refuses is retried with backoff, then reported', async () => {
    const p = await place({ carrier: 'twilio' });
    p.events.close();
    const hangUps = (requests: readonly { path: string }[]): number =>
      requests.filter((r) => r.path === `/2010-04-01/Accounts/${ACCOUNT}/Calls/${p.callId}.json`)
        .length;
    for (let i = 0; i < 4; i++) out.carrier.fail({ status: 503, message: 'Service Unavailable' });
    const before = await out.hangUps('twilio', 'failed');
    // Timed from before the end: its first hang-up attempt may run before the answer comes back.
    const started = Date.now();
    expect((await api('POST', `/sessions/${p.sessionId}/end`)).status).toBe(200);
    await out.carrier.untilRequests((requests) => hangUps(requests) === 4);
    // Four attempts, 0.5 + 1 + 2 s apart.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3400);
    expect(await out.hangUpsAfter('twilio', 'failed', before)).toBe(before + 1);
    expect(p.call.hungUp).toBe(false);
  }, 60_000);

  it('refuses an unknown carrier with 400, a carrier failure with 502 ending the session', async () => {
    const unknown = await api('POST', '/calls', {
      to: '+14155550100',
      from: '+14155550199',
      carrier: 'plivo',
    });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe(
      'VALIDATION_FAILED',
    );
    const before = out.carrier.requests.length;
    out.carrier.fail({ status: 500, message: 'Internal Server Error' });
    const failed = await api('POST', '/calls', {
      to: '+14155550100',
      from: '+14155550199',
      carrier: 'twilio',
    });
    expect(failed.status).toBe(502);
    const failedBody = (await failed.json()) as {
      error: { code: string; details: { session_id: string } };
    };
    expect(failedBody.error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(out.carrier.requests.length).toBe(before + 1);
    const sessionId = failedBody.error.details.session_id;
    const row = (
      (await (await api('GET', `/sessions/${sessionId}`)).json()) as {
        data: { state: string; direction: string };
      }
    ).data;
    expect(row.state).toBe('Closed');
    // A call the server placed is an outbound session.
    expect(row.direction).toBe('outbound');
  }, 60_000);

  it('refuses a status callback with a bad signature with 403', async () => {
    const res = await fetch(
      `${out.server.url}/telephony/twilio/status?session_id=sess_x&tenant_id=ten_x`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': 'forged',
        },
        body: 'CallSid=CA1&CallStatus=completed',
      },
    );
    expect(res.status).toBe(403);
  });
});
