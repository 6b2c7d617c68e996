/**
 * Outbound calls over the wire: `POST /api/v1/calls` against a real server whose Twilio and
 * Telnyx REST base URLs point at a local fake carrier. The fake answers as the carrier's REST
 * API does, posts signed status callbacks / call events, and opens the media stream the call
 * was given with the scripted carrier clients — so a dialled call joins its session, a turn
 * completes, the answering-machine result and call statuses become session events, and the
 * session's end hangs the carrier call up (retried when the carrier fails).
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
import {
  createTelnyxSigner,
  parseTelnyxOutbound,
  parseTwilioOutbound,
  startCarrierApiServer,
} from '@prx-voice/transport/testing';
import type {
  CarrierApiServer,
  CarrierStreamSocket,
  FakeCarrierCall,
} from '@prx-voice/transport/testing';
import { openEventStream } from './support/event-stream.ts';
import type { EventStream } from './support/event-stream.ts';

const KEY = 'pk_integration_calls_0123456789abcdef';
const PUBLIC = 'https://voice.example.com';
const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'twilio_auth_token_for_outbound_tests';
const TELNYX_KEY = 'KEY0123456789ABCDEF_outbound_tests';
const signer = createTelnyxSigner();
const dir = mkdtempSync(join(tmpdir(), 'prx-calls-'));
let server: RunningServer;
let carrier: CarrierApiServer;

/** Opens a WebSocket as the carrier's media side does. */
async function dial(url: string): Promise<CarrierStreamSocket> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return {
    send: (text) => ws.send(text),
    close: () => ws.close(),
    onMessage: (listener) => ws.on('message', (data: Buffer) => listener(data.toString('utf8'))),
  };
}

beforeAll(async () => {
  carrier = await startCarrierApiServer({
    twilio: { accountSid: ACCOUNT, authToken: AUTH_TOKEN },
    telnyx: { apiKey: TELNYX_KEY, signer, codec: 'PCMU' },
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
        // Twilio under telephony.twilio (its old place, adapters.providers.twilio, is deprecated).
        PRX_VOICE_TELEPHONY__TWILIO__TENANT: 'default',
        PRX_VOICE_TELEPHONY__TWILIO__AUTH_TOKEN: AUTH_TOKEN,
        PRX_VOICE_TELEPHONY__TWILIO__ACCOUNT_SID: ACCOUNT,
        PRX_VOICE_TELEPHONY__TWILIO__API_BASE_URL: carrier.url,
        PRX_VOICE_TELEPHONY__TELNYX__TENANT: 'default',
        PRX_VOICE_TELEPHONY__TELNYX__PUBLIC_KEY: signer.publicKey,
        PRX_VOICE_TELEPHONY__TELNYX__API_KEY: TELNYX_KEY,
        PRX_VOICE_TELEPHONY__TELNYX__CONNECTION_ID: 'conn-outbound-1',
        PRX_VOICE_TELEPHONY__TELNYX__API_BASE_URL: carrier.url,
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

interface Placed {
  readonly sessionId: string;
  readonly callId: string;
  readonly call: FakeCarrierCall;
  readonly events: EventStream;
}

/** `prx_voice_carrier_hangups_total{carrier="twilio",outcome}` from /metrics. */
async function hangUpMetric(outcome: string): Promise<number> {
  const text = await (
    await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })
  ).text();
  const m = new RegExp(
    `^prx_voice_carrier_hangups_total\\{[^}]*carrier="twilio"[^}]*outcome="${outcome}"[^}]*\\} (\\d+)`,
    'm',
  ).exec(text);
  return Number(m?.[1] ?? 0);
}

async function place(body: Record<string, unknown>): Promise<Placed> {
  const res = await api('POST', '/calls', { to: '+14155550100', from: '+14155550199', ...body });
  expect(res.status).toBe(201);
  const data = (
    (await res.json()) as { data: { session_id: string; call_id: string; carrier: string } }
  ).data;
  expect(data.carrier).toBe(body['carrier']);
  const events = await openEventStream(
    `${server.url}/api/v1/sessions/${data.session_id}/events`,
    KEY,
  );
  const call = await carrier.nextCall();
  expect(call.id).toBe(data.call_id);
  return { sessionId: data.session_id, callId: data.call_id, call, events };
}

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
    const form = new URLSearchParams(carrier.requests.at(-1)?.body);
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
    expect(carrier.requests.at(-1)?.path).toBe(
      `/2010-04-01/Accounts/${ACCOUNT}/Calls/${p.callId}.json`,
    );
    await p.events.waitFor(isType('prx.voice.session.closed'));
    p.events.close();
  }, 60_000);

  it('Telnyx: dials with the session in client_state, DTMF reaches the agent, the end hangs up', async () => {
    const p = await place({ carrier: 'telnyx' });
    expect(JSON.parse(carrier.requests.at(-1)?.body ?? '{}')).toMatchObject({
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
    expect(carrier.requests.at(-1)?.path).toBe(
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
    for (let i = 0; i < 4; i++) carrier.fail({ status: 503, message: 'Service Unavailable' });
    const before = await hangUpMetric('failed');
    expect((await api('POST', `/sessions/${p.sessionId}/end`)).status).toBe(200);
    const started = Date.now();
    await carrier.untilRequests((requests) => hangUps(requests) === 4);
    // Four attempts, 0.5 + 1 + 2 s apart.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3400);
    let after = before;
    for (let i = 0; i < 50 && after === before; i++) after = await hangUpMetric('failed');
    expect(after).toBe(before + 1);
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
    const before = carrier.requests.length;
    carrier.fail({ status: 500, message: 'Internal Server Error' });
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
    expect(carrier.requests.length).toBe(before + 1);
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
      `${server.url}/telephony/twilio/status?session_id=sess_x&tenant_id=ten_x`,
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
