/**
 * Outbound Exotel calls over the wire: `POST /api/v1/calls` with `carrier: exotel` against a
 * real server whose Exotel API base URL points at a local fake Exotel. The fake answers the
 * connect request as Exotel does, posts the `answered` status callback, opens the AgentStream
 * to the `StreamUrl` it was given with a scripted Exotel client — so a turn completes — and
 * posts `terminal` once the call is over. Exotel documents no hang-up request: the session's
 * end closes the stream, which ends the call, and the hang-up metric counts it. A status
 * callback without Exotel's credentials or the session's token is a 403 that changes nothing.
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
import { parseExotelOutbound, startExotelApiServer } from '@prx-voice/transport/testing';
import type {
  ExotelApiServer,
  ExotelStreamSocket,
  FakeExotelCall,
} from '@prx-voice/transport/testing';
import { openEventStream } from './support/event-stream.ts';
import type { EventStream } from './support/event-stream.ts';

const KEY = 'pk_integration_exotel_out_0123456789abcdef';
const PUBLIC = 'https://voice.example.com';
const ACCOUNT = 'prxvoice1';
const EXOTEL_KEY = 'exotel_api_key_outbound';
const EXOTEL_TOKEN = 'exotel_api_token_outbound_0123456789';
const BASIC = `Basic ${Buffer.from(`${EXOTEL_KEY}:${EXOTEL_TOKEN}`).toString('base64')}`;
const dir = mkdtempSync(join(tmpdir(), 'prx-exotel-out-'));
let server: RunningServer;
let exotel: ExotelApiServer;

/** Opens a WebSocket as Exotel's media side does. */
async function dial(url: string): Promise<ExotelStreamSocket> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return {
    send: (text) => ws.send(text),
    close: () => ws.close(),
    onMessage: (listener) => ws.on('message', (data: Buffer) => listener(data.toString('utf8'))),
    onClose: (listener) => ws.once('close', listener),
  };
}

beforeAll(async () => {
  exotel = await startExotelApiServer({
    accountSid: ACCOUNT,
    apiKey: EXOTEL_KEY,
    apiToken: EXOTEL_TOKEN,
    dial,
    rewrite: (url) =>
      url
        .replace(PUBLIC, server.url)
        .replace(PUBLIC.replace('https', 'wss'), server.url.replace('http', 'ws')),
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
        PRX_VOICE_TELEPHONY__EXOTEL__TENANT: 'default',
        PRX_VOICE_TELEPHONY__EXOTEL__API_KEY: EXOTEL_KEY,
        PRX_VOICE_TELEPHONY__EXOTEL__API_TOKEN: EXOTEL_TOKEN,
        PRX_VOICE_TELEPHONY__EXOTEL__ACCOUNT_SID: ACCOUNT,
        PRX_VOICE_TELEPHONY__EXOTEL__API_BASE_URL: exotel.url,
      },
    },
    log: (line) => process.stderr.write(`SERVER: ${line}\n`),
  });
}, 120_000);
afterAll(async () => {
  await server.shutdown();
  await exotel.close();
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

/** `prx_voice_carrier_hangups_total{carrier="exotel",outcome}` from /metrics. */
async function hangUpMetric(outcome: string): Promise<number> {
  const text = await (
    await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })
  ).text();
  const m = new RegExp(
    `^prx_voice_carrier_hangups_total\\{[^}]*carrier="exotel"[^}]*outcome="${outcome}"[^}]*\\} (\\d+)`,
    'm',
  ).exec(text);
  return Number(m?.[1] ?? 0);
}

async function sessionState(id: string): Promise<string> {
  const res = await api('GET', `/sessions/${id}`);
  return ((await res.json()) as { data: { state: string } }).data.state;
}

interface Placed {
  readonly sessionId: string;
  readonly tenantId: string;
  readonly callId: string;
  readonly call: FakeExotelCall;
  readonly events: EventStream;
}

async function place(): Promise<Placed> {
  const res = await api('POST', '/calls', {
    to: '+919876543210',
    from: '+918047491899',
    carrier: 'exotel',
  });
  expect(res.status).toBe(201);
  const data = (
    (await res.json()) as {
      data: { session_id: string; tenant_id: string; call_id: string; carrier: string };
    }
  ).data;
  expect(data.carrier).toBe('exotel');
  const events = await openEventStream(
    `${server.url}/api/v1/sessions/${data.session_id}/events`,
    KEY,
  );
  const call = await exotel.nextCall();
  expect(call.id).toBe(data.call_id);
  return {
    sessionId: data.session_id,
    tenantId: data.tenant_id,
    callId: data.call_id,
    call,
    events,
  };
}

describe('POST /api/v1/calls with Exotel', () => {
  it('dials with the session’s stream, a turn completes, the end closes the stream and is counted', async () => {
    const p = await place();
    const form = new URLSearchParams(exotel.requests.at(-1)?.body);
    expect(exotel.requests.at(-1)?.path).toBe(`/v1/Accounts/${ACCOUNT}/Calls/connect.json`);
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

    const before = await hangUpMetric('hung_up');
    expect((await api('POST', `/sessions/${p.sessionId}/end`)).status).toBe(200);
    await p.events.waitFor(isType('prx.voice.session.closed'));
    p.events.close();
    // The bot closed the stream; Exotel ended the call and posted `terminal`.
    await p.call.until(() => p.call.over);
    expect(p.call.endedByBot).toBe(true);
    let after = before;
    for (let i = 0; i < 50 && after === before; i++) after = await hangUpMetric('hung_up');
    expect(after).toBe(before + 1);
  }, 60_000);

  it('refuses machine_detection, which Exotel does not offer, with 400 before dialling', async () => {
    const before = exotel.requests.length;
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
    expect(exotel.requests.length).toBe(before);
  });

  it('refuses a status callback without Exotel’s credentials or token (403, nothing changes); a valid busy ends the session', async () => {
    const p = await place();
    await p.events.waitFor(callStatus('answered'));
    const url = (token: string) =>
      `${server.url}/telephony/exotel/status?session_id=${p.sessionId}&tenant_id=${p.tenantId}&token=${token}`;
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
