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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { startServer } from '@prx-voice/server';
import type { RunningServer } from '@prx-voice/server';
import {
  createPlivoApi,
  createPlivoSigner,
  createVonageApi,
  createVonageSigner,
  startCarrierApiServer,
} from '@prx-voice/transport/testing';
import type { CarrierApiServer, FakeCarrierCall } from '@prx-voice/transport/testing';
import { openEventStream } from './support/event-stream.ts';
import {
  carrierHangUps,
  carrierHangUpsAfter,
  dialCarrierStream as dial,
  playCallUntil,
  speakOnCall,
} from './support/outbound-carrier.ts';
import type { EventStream } from './support/event-stream.ts';

const KEY = 'pk_integration_pv_calls_0123456789abcdef';
const PUBLIC = 'https://voice.example.com';
const PLIVO_ID = 'MAPLIVOINTEGRATION01';
const PLIVO_TOKEN = 'plivo_auth_token_for_outbound_tests';
const VONAGE_APP = 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab';
const VONAGE_SECRET = 'vonage_signature_secret_for_outbound';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const dir = mkdtempSync(join(tmpdir(), 'prx-pv-calls-'));
let server: RunningServer;
let carrier: CarrierApiServer;

beforeAll(async () => {
  carrier = await startCarrierApiServer({
    carriers: [
      createPlivoApi({ authId: PLIVO_ID, authToken: PLIVO_TOKEN }),
      createVonageApi({ applicationId: VONAGE_APP, publicKey, signatureSecret: VONAGE_SECRET }),
    ],
    dial,
    // The server hands out its public URL; the fake reaches it on loopback.
    rewrite: (url) =>
      url
        .replace(PUBLIC, server.url)
        .replace(PUBLIC.replace('https', 'wss'), server.url.replace('http', 'ws')),
    answeredBy: 'machine_end_beep',
  });
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
        PRX_VOICE_ADAPTERS__ASR__OPTIONS: JSON.stringify({ transcript: 'Hello there.' }),
        PRX_VOICE_ADAPTERS__AGENT__OPTIONS: JSON.stringify({ token_delay_ms: 2 }),
        PRX_VOICE_TELEPHONY__PLIVO__TENANT: 'default',
        PRX_VOICE_TELEPHONY__PLIVO__AUTH_TOKEN: PLIVO_TOKEN,
        PRX_VOICE_TELEPHONY__PLIVO__AUTH_ID: PLIVO_ID,
        PRX_VOICE_TELEPHONY__PLIVO__API_BASE_URL: carrier.url,
        PRX_VOICE_TELEPHONY__VONAGE__TENANT: 'default',
        PRX_VOICE_TELEPHONY__VONAGE__SIGNATURE_SECRET: VONAGE_SECRET,
        PRX_VOICE_TELEPHONY__VONAGE__APPLICATION_ID: VONAGE_APP,
        PRX_VOICE_TELEPHONY__VONAGE__PRIVATE_KEY: privateKey
          .export({ type: 'pkcs8', format: 'pem' })
          .toString(),
        PRX_VOICE_TELEPHONY__VONAGE__API_BASE_URL: carrier.url,
      },
    },
    log: (line) => process.stderr.write(`SERVER: ${line}\n`),
  });
}, 120_000);
afterAll(async () => {
  await server.shutdown();
  await carrier.close();
  rmSync(dir, { recursive: true, force: true });
});

async function api(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const isType = (type: string) => (e: AnyVoiceEvent) => e.type === type;
const callStatus = (status: string) => (e: AnyVoiceEvent) =>
  e.type === 'prx.voice.session.call_status' && (e.data as { status: string }).status === status;

/** `prx_voice_carrier_hangups_total{carrier,outcome}` once it has moved past `before`. */
const hangUpsAfter = (name: string, outcome: string, before: number): Promise<number> =>
  carrierHangUpsAfter({ url: server.url, key: KEY, carrier: name, outcome, before });
const hangUpMetric = (name: string, outcome: string): Promise<number> =>
  carrierHangUps({ url: server.url, key: KEY, carrier: name, outcome });

interface Placed {
  readonly sessionId: string;
  readonly tenantId: string;
  readonly callId: string;
  readonly call: FakeCarrierCall;
  readonly events: EventStream;
  readonly request: Record<string, unknown>;
}

async function place(body: Record<string, unknown>): Promise<Placed> {
  const res = await api('POST', '/calls', { to: '+14155550100', from: '+14155550199', ...body });
  expect(res.status).toBe(201);
  const data = (
    (await res.json()) as {
      data: { session_id: string; tenant_id: string; call_id: string; carrier: string };
    }
  ).data;
  expect(data.carrier).toBe(body['carrier']);
  const request = JSON.parse(carrier.requests.at(-1)?.body ?? '{}') as Record<string, unknown>;
  const events = await openEventStream(
    `${server.url}/api/v1/sessions/${data.session_id}/events`,
    KEY,
  );
  const call = await carrier.nextCall();
  expect(call.id).toBe(data.call_id);
  return {
    sessionId: data.session_id,
    tenantId: data.tenant_id,
    callId: data.call_id,
    call,
    events,
    request,
  };
}

const speak = (p: Placed): void => speakOnCall(p.call);
const playUntil = <T>(p: Placed, done: Promise<T>): Promise<T> => playCallUntil(p.call, done);

describe('POST /api/v1/calls through Plivo and Vonage', () => {
  it('Plivo: dials, the answer XML streams to the session, a turn completes, the end hangs up', async () => {
    const before = await hangUpMetric('plivo', 'hung_up');
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
    expect(carrier.requests.at(-1)).toMatchObject({
      method: 'DELETE',
      path: `/v1/Account/${PLIVO_ID}/Call/${callUuid}/`,
    });
    await p.events.waitFor(isType('prx.voice.session.closed'));
    p.events.close();
    expect(await hangUpsAfter('plivo', 'hung_up', before)).toBe(before + 1);
  }, 60_000);

  it('Vonage: dials with an inline NCCO to the session, a turn completes, the end hangs up', async () => {
    const before = await hangUpMetric('vonage', 'hung_up');
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
    expect(carrier.requests.at(-1)).toMatchObject({
      method: 'PUT',
      path: `/v1/calls/${p.callId}`,
      body: JSON.stringify({ action: 'hangup' }),
    });
    await p.events.waitFor(isType('prx.voice.session.closed'));
    p.events.close();
    expect(await hangUpsAfter('vonage', 'hung_up', before)).toBe(before + 1);
  }, 60_000);

  it('a hang-up the carrier refuses is retried with backoff, then reported', async () => {
    const p = await place({ carrier: 'vonage' });
    await p.events.waitFor(callStatus('answered'));
    p.events.close();
    const hangUps = (requests: readonly { method: string; path: string }[]): number =>
      requests.filter((r) => r.method === 'PUT' && r.path === `/v1/calls/${p.callId}`).length;
    for (let i = 0; i < 4; i++) carrier.fail({ status: 503, message: 'Service Unavailable' });
    const before = await hangUpMetric('vonage', 'failed');
    expect((await api('POST', `/sessions/${p.sessionId}/end`)).status).toBe(200);
    const started = Date.now();
    await carrier.untilRequests((requests) => hangUps(requests) === 4);
    // Four attempts, 0.5 + 1 + 2 s apart.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3400);
    expect(await hangUpsAfter('vonage', 'failed', before)).toBe(before + 1);
    expect(p.call.hungUp).toBe(false);
  }, 60_000);

  it('documents the carriers and their callback routes in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as {
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
        `${server.url}/telephony/vonage/events?session_id=${vonage.sessionId}&tenant_id=${vonage.tenantId}`,
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
    const hungUp = await fetch(`${server.url}/telephony/plivo/status?${query}`, {
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
    const hangUps = carrier.requests.filter(
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
      const res = await fetch(`${server.url}${path}?${query}`, {
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
      const res = await fetch(`${server.url}/telephony/vonage/events?${vonageQuery}`, {
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
