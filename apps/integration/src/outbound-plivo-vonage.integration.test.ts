/**
 * Outbound Plivo and Vonage calls over the wire: `POST /api/v1/calls` against a real server
 * whose Plivo and Vonage REST base URLs point at the local fake carrier. The fake answers as
 * each carrier's REST API does (Plivo: Basic auth; Vonage: an RS256 application JWT checked
 * with the public key), posts signed callbacks (Plivo V3 / Vonage signed webhooks), and opens
 * the media stream the call was given — Plivo by fetching the answer URL's XML, Vonage from
 * the inline NCCO — with the scripted carrier clients. So a dialled call joins its session,
 * a turn completes, the session's end hangs the call up over REST (counted in
 * `prx_voice_carrier_hangups_total`), a failing hang-up is retried then reported, and a
 * callback with a bad signature is refused without changing anything.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createPlivoApi,
  createPlivoSigner,
  createVonageApi,
  createVonageSigner,
  startCarrierApiServer,
} from '@prx-voice/transport/testing';
import type { CarrierApiServer, FakeCarrierCall } from '@prx-voice/transport/testing';
import { CARRIER_PUBLIC_URL as PUBLIC, isType } from './support/carrier-call.ts';
import {
  callStatus,
  dialCarrierStream as dial,
  playCallUntil,
  speakOnCall,
  useOutboundServer,
} from './support/outbound-carrier.ts';
import type { PlacedCall } from './support/outbound-carrier.ts';

const PLIVO_ID = 'MAPLIVOINTEGRATION01';
const PLIVO_TOKEN = 'plivo_auth_token_for_outbound_tests';
const VONAGE_APP = 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab';
const VONAGE_SECRET = 'vonage_signature_secret_for_outbound';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

const out = useOutboundServer<FakeCarrierCall, CarrierApiServer>({
  name: 'pv-calls',
  carrier: (rewrite) =>
    startCarrierApiServer({
      carriers: [
        createPlivoApi({ authId: PLIVO_ID, authToken: PLIVO_TOKEN }),
        createVonageApi({ applicationId: VONAGE_APP, publicKey, signatureSecret: VONAGE_SECRET }),
      ],
      dial,
      rewrite,
      answeredBy: 'machine_end_beep',
    }),
  env: (url) => ({
    PRX_VOICE_TELEPHONY__PLIVO__TENANT: 'default',
    PRX_VOICE_TELEPHONY__PLIVO__AUTH_TOKEN: PLIVO_TOKEN,
    PRX_VOICE_TELEPHONY__PLIVO__AUTH_ID: PLIVO_ID,
    PRX_VOICE_TELEPHONY__PLIVO__API_BASE_URL: url,
    PRX_VOICE_TELEPHONY__VONAGE__TENANT: 'default',
    PRX_VOICE_TELEPHONY__VONAGE__SIGNATURE_SECRET: VONAGE_SECRET,
    PRX_VOICE_TELEPHONY__VONAGE__APPLICATION_ID: VONAGE_APP,
    PRX_VOICE_TELEPHONY__VONAGE__PRIVATE_KEY: privateKey
      .export({ type: 'pkcs8', format: 'pem' })
      .toString(),
    PRX_VOICE_TELEPHONY__VONAGE__API_BASE_URL: url,
  }),
});
const api = out.api;

interface Placed extends PlacedCall<FakeCarrierCall> {
  /** The create request's JSON body. */
  readonly request: Record<string, unknown>;
}

async function place(body: Record<string, unknown>): Promise<Placed> {
  const p = await out.place({ to: '+14155550100', from: '+14155550199', ...body });
  return { ...p, request: JSON.parse(p.created?.body ?? '{}') as Record<string, unknown> };
}

const speak = (p: Placed): void => speakOnCall(p.call);
const playUntil = <T>(p: Placed, done: Promise<T>): Promise<T> => playCallUntil(p.call, done);

describe('POST /api/v1/calls through Plivo and Vonage', () => {
  it('Plivo: dials, the answer XML streams to the session, a turn completes, the end hangs up', async () => {
    const before = await out.hangUps('plivo', 'hung_up');
    const p = await place({ carrier: 'plivo', machine_detection: true });
    const query = `session_id=${p.sessionId}&tenant_id=${p.tenantId}`;
    expect(p.request).toMatchObject({
      from: '14155550199',
      to: '14155550100',
      answer_url: `${PUBLIC}/telephony/plivo/outbound/answer?${query}`,
      hangup_url: `${PUBLIC}/telephony/plivo/status?${query}`,
      ring_url: `${PUBLIC}/telephony/plivo/status?${query}`,
      machine_detection: 'true',
    });
    await p.events.waitFor(callStatus('ringing'));
    await p.events.waitFor(callStatus('in-progress'));
    const amd = await p.events.waitFor(callStatus('machine_detected'));
    expect(amd.data).toMatchObject({ carrier: 'plivo', call_id: p.callId, answered_by: 'machine' });
    speak(p);
    const turn = await playUntil(p, p.events.waitFor(isType('prx.voice.turn.completed')));
    expect(turn.data).toMatchObject({ user_text: 'Hello there.', interrupted: false });
    expect((await api('POST', `/sessions/${p.sessionId}/end`)).status).toBe(200);
    await p.call.until(() => p.call.hungUp);
    const callUuid = p.call.plivo?.callId ?? '';
    expect(out.carrier.requests.at(-1)).toMatchObject({
      method: 'DELETE',
      path: `/v1/Account/${PLIVO_ID}/Call/${callUuid}/`,
    });
    await p.events.waitFor(isType('prx.voice.session.closed'));
    p.events.close();
    expect(await out.hangUpsAfter('plivo', 'hung_up', before)).toBe(before + 1);
  }, 60_000);

  it('Vonage: dials with an inline NCCO to the session, a turn completes, the end hangs up', async () => {
    const before = await out.hangUps('vonage', 'hung_up');
    const p = await place({ carrier: 'vonage', machine_detection: true });
    const query = `session_id=${p.sessionId}&tenant_id=${p.tenantId}`;
    expect(p.request).toMatchObject({
      to: [{ type: 'phone', number: '14155550100' }],
      from: { type: 'phone', number: '14155550199' },
      event_url: [`${PUBLIC}/telephony/vonage/events?${query}`],
      machine_detection: 'continue',
    });
    const [connect] = p.request['ncco'] as { endpoint: { uri: string }[] }[];
    expect(connect?.endpoint[0]?.uri).toMatch(
      new RegExp(`^wss://voice\\.example\\.com/telephony/vonage/stream\\?${query}&token=`),
    );
    await p.events.waitFor(callStatus('ringing'));
    await p.events.waitFor(callStatus('answered'));
    const amd = await p.events.waitFor(callStatus('machine_detected'));
    expect(amd.data).toMatchObject({
      carrier: 'vonage',
      call_id: p.callId,
      answered_by: 'machine',
    });
    speak(p);
    const turn = await playUntil(p, p.events.waitFor(isType('prx.voice.turn.completed')));
    expect(turn.data).toMatchObject({ user_text: 'Hello there.', interrupted: false });
    expect((await api('POST', `/sessions/${p.sessionId}/end`)).status).toBe(200);
    await p.call.until(() => p.call.hungUp);
    expect(out.carrier.requests.at(-1)).toMatchObject({
      method: 'PUT',
      path: `/v1/calls/${p.callId}`,
      body: JSON.stringify({ action: 'hangup' }),
    });
    await p.events.waitFor(isType('prx.voice.session.closed'));
    p.events.close();
    expect(await out.hangUpsAfter('vonage', 'hung_up', before)).toBe(before + 1);
  }, 60_000);

  it('a hang-up the carrier refuses is retried with backoff, then reported', async () => {
    const p = await place({ carrier: 'vonage' });
    await p.events.waitFor(callStatus('answered'));
    p.events.close();
    const hangUps = (requests: readonly { method: string; path: string }[]): number =>
      requests.filter((r) => r.method === 'PUT' && r.path === `/v1/calls/${p.callId}`).length;
    for (let i = 0; i < 4; i++) out.carrier.fail({ status: 503, message: 'Service Unavailable' });
    const before = await out.hangUps('vonage', 'failed');
    expect((await api('POST', `/sessions/${p.sessionId}/end`)).status).toBe(200);
    const started = Date.now();
    await out.carrier.untilRequests((requests) => hangUps(requests) === 4);
    // Four attempts, 0.5 + 1 + 2 s apart.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3400);
    expect(await out.hangUpsAfter('vonage', 'failed', before)).toBe(before + 1);
    expect(p.call.hungUp).toBe(false);
  }, 60_000);

  it('documents the carriers and their callback routes in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${out.server.url}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    for (const path of [
      '/telephony/plivo/outbound/answer',
      '/telephony/plivo/status',
      '/telephony/vonage/events',
    ])
      expect(Object.keys(doc.paths[path] ?? {})).toEqual(['post']);
    const refused = await api('POST', '/calls', {
      to: '+14155550100',
      from: '+14155550199',
      carrier: 'bandwidth',
    });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toContain('twilio, telnyx, plivo, vonage');
    const twilio = await api('POST', '/calls', {
      to: '+14155550100',
      from: '+14155550199',
      carrier: 'twilio',
    });
    expect(((await twilio.json()) as { error: { message: string } }).error.message).toContain(
      'telephony.twilio needs account_sid',
    );
  });

  it('a final status that is not completed ends the session, with no hang-up to send', async () => {
    const vonage = await place({ carrier: 'vonage' });
    await vonage.events.waitFor(callStatus('answered'));
    const post = (data: Record<string, unknown>): Promise<Response> => {
      const event = JSON.stringify(data);
      return fetch(
        `${out.server.url}/telephony/vonage/events?session_id=${vonage.sessionId}&tenant_id=${vonage.tenantId}`,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...createVonageSigner(VONAGE_SECRET, VONAGE_APP).headers(event, Date.now() / 1000),
          },
          body: event,
        },
      );
    };
    // Another leg's event (the WebSocket's own) is not the call's.
    expect((await post({ uuid: 'websocket-leg-1', status: 'failed' })).status).toBe(204);
    expect((await post({ uuid: vonage.callId, status: 'unanswered' })).status).toBe(204);
    await vonage.events.waitFor(callStatus('unanswered'));
    expect(vonage.events.events.filter(callStatus('failed'))).toEqual([]);
    await vonage.events.waitFor(isType('prx.voice.session.closed'));
    vonage.events.close();

    const plivo = await place({ carrier: 'plivo' });
    await plivo.events.waitFor(callStatus('in-progress'));
    const query = `session_id=${plivo.sessionId}&tenant_id=${plivo.tenantId}`;
    const form = `RequestUUID=${plivo.callId}&Event=Hangup&CallStatus=busy&HangupCause=USER_BUSY`;
    const hungUp = await fetch(`${out.server.url}/telephony/plivo/status?${query}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...createPlivoSigner(PLIVO_TOKEN).headers(
          'POST',
          `${PUBLIC}/telephony/plivo/status?${query}`,
          form,
        ),
      },
      body: form,
    });
    expect(hungUp.status).toBe(204);
    await plivo.events.waitFor(callStatus('busy'));
    await plivo.events.waitFor(isType('prx.voice.session.closed'));
    plivo.events.close();
    const hangUps = out.carrier.requests.filter(
      (r) =>
        (r.method === 'PUT' && r.path === `/v1/calls/${vonage.callId}`) ||
        (r.method === 'DELETE' && r.path.includes(`/${plivo.call.plivo?.callId ?? '-'}/`)),
    );
    expect(hangUps).toEqual([]);
  }, 60_000);

  it('refuses callbacks with a bad signature with 403, changing nothing', async () => {
    const plivo = await place({ carrier: 'plivo' });
    await plivo.events.waitFor(callStatus('in-progress'));
    const query = `session_id=${plivo.sessionId}&tenant_id=${plivo.tenantId}`;
    const form = `CallUUID=x&RequestUUID=${plivo.callId}&Event=Hangup&CallStatus=busy`;
    const forged = createPlivoSigner('not-the-auth-token');
    for (const path of ['/telephony/plivo/status', '/telephony/plivo/outbound/answer']) {
      const res = await fetch(`${out.server.url}${path}?${query}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...forged.headers('POST', `${PUBLIC}${path}?${query}`, form),
        },
        body: form,
      });
      expect(res.status).toBe(403);
    }
    const vonage = await place({ carrier: 'vonage' });
    await vonage.events.waitFor(callStatus('answered'));
    const event = JSON.stringify({ uuid: vonage.callId, status: 'rejected' });
    const vonageQuery = `session_id=${vonage.sessionId}&tenant_id=${vonage.tenantId}`;
    for (const authorization of [
      createVonageSigner('not-the-secret', VONAGE_APP).headers(event, Date.now() / 1000),
      {},
    ]) {
      const res = await fetch(`${out.server.url}/telephony/vonage/events?${vonageQuery}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...authorization },
        body: event,
      });
      expect(res.status).toBe(403);
    }
    for (const p of [plivo, vonage]) {
      const row = (
        (await (await api('GET', `/sessions/${p.sessionId}`)).json()) as { data: { state: string } }
      ).data;
      expect(row.state).not.toBe('Closed');
      expect(p.events.events.filter(callStatus('busy'))).toEqual([]);
      expect(p.events.events.filter(callStatus('rejected'))).toEqual([]);
      expect(p.call.hungUp).toBe(false);
      expect((await api('POST', `/sessions/${p.sessionId}/end`)).status).toBe(200);
      await p.call.until(() => p.call.hungUp);
      p.events.close();
    }
  }, 60_000);
});
