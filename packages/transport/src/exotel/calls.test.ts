import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { VoiceError } from '@prx-voice/types';
import { startExotelApiServer } from '../testing/exotel-api.js';
import type { ExotelApiServer, ExotelStreamSocket } from '../testing/exotel-api.js';
import { createExotelCall } from './calls.js';

const SID = 'prxvoice1';
const KEY = 'exo-key';
const TOKEN = 'exo-token';
const STREAM = 'wss://voice.example.com/telephony/exotel/stream?session_id=sess_1&stream_token=t';

/** A dialer recording what the fake sends on each stream; `close()` plays the bot closing it. */
function recorder() {
  const opened: { url: string; sent: string[]; close: () => void }[] = [];
  const dial = (url: string): Promise<ExotelStreamSocket> => {
    const closers: (() => void)[] = [];
    const entry = {
      url,
      sent: [] as string[],
      close: () => closers.splice(0).forEach((c) => c()),
    };
    opened.push(entry);
    return Promise.resolve({
      send: (text) => entry.sent.push(text),
      close: () => entry.close(),
      onMessage: () => undefined,
      onClose: (listener) => closers.push(listener),
    });
  };
  return { opened, dial };
}

/** Receives status callbacks (multipart form data) with their Authorization header. */
async function callbackSink() {
  const got: { fields: Record<string, string>; authorization: string | undefined }[] = [];
  const waiters: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      // Multipart form data: each part is `name="…"`, a blank line, its value.
      expect(req.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
      const fields: Record<string, string> = {};
      for (const m of body.matchAll(/name="([^"]+)"\r\n\r\n([^\r]*)\r\n/g))
        fields[m[1] ?? ''] = m[2] ?? '';
      got.push({ fields, authorization: req.headers.authorization });
      res.end();
      waiters.splice(0).forEach((w) => w());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  return {
    url,
    got,
    until: async (n: number) => {
      while (got.length < n) await new Promise<void>((r) => waiters.push(r));
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let exotel: ExotelApiServer | undefined;
let sink: Awaited<ReturnType<typeof callbackSink>> | undefined;
afterEach(async () => {
  await exotel?.close();
  await sink?.close();
  exotel = undefined;
  sink = undefined;
});

describe('createExotelCall against the fake Exotel API', () => {
  it('connects the number to the stream, reports answered, and terminal once the bot closes the stream', async () => {
    const { opened, dial } = recorder();
    sink = await callbackSink();
    exotel = await startExotelApiServer({
      accountSid: SID,
      apiKey: KEY,
      apiToken: TOKEN,
      dial,
      rewrite: (url) => url,
    });
    const call = await createExotelCall({
      apiBaseUrl: exotel.url,
      accountSid: SID,
      apiKey: KEY,
      apiToken: TOKEN,
      to: '+919876543210',
      callerId: '+918047491899',
      streamUrl: STREAM,
      statusCallback: `http://${KEY}:${TOKEN}@${sink.url.slice(7)}/status?session_id=sess_1`,
      timeLimitS: 600,
    });
    expect(call.status).toBe('in-progress');
    const request = exotel.requests[0];
    expect(request?.path).toBe(`/v1/Accounts/${SID}/Calls/connect.json`);
    expect(request?.authorization).toBe(
      `Basic ${Buffer.from(`${KEY}:${TOKEN}`).toString('base64')}`,
    );
    const form = new URLSearchParams(request?.body);
    expect(Object.fromEntries(form)).toMatchObject({
      From: '+919876543210',
      CallerId: '+918047491899',
      StreamUrl: STREAM,
      StreamType: 'bidirectional',
      'StatusCallbackEvents[0]': 'answered',
      'StatusCallbackEvents[1]': 'terminal',
      TimeLimit: '600',
    });
    const placed = await exotel.nextCall();
    expect(placed.id).toBe(call.sid);
    expect(opened[0]?.url).toBe(STREAM);
    const start = JSON.parse(opened[0]?.sent[1] ?? '{}') as {
      start: { call_sid: string; custom_parameters: Record<string, string> };
    };
    expect(start.start.call_sid).toBe(call.sid);
    expect(start.start.custom_parameters).toEqual({ session_id: 'sess_1', stream_token: 't' });
    await sink.until(1);
    expect(sink.got[0]?.fields).toMatchObject({ CallSid: call.sid, EventType: 'answered' });
    // The credentials of the callback URL arrive as Basic auth.
    expect(sink.got[0]?.authorization).toBe(request?.authorization);
    opened[0]?.close();
    await sink.until(2);
    expect(sink.got[1]?.fields).toMatchObject({
      CallSid: call.sid,
      EventType: 'terminal',
      Status: 'completed',
    });
    expect(placed.endedByBot).toBe(true);
  });

  it('places a call into a flow with Url', async () => {
    const { dial } = recorder();
    exotel = await startExotelApiServer({
      accountSid: SID,
      apiKey: KEY,
      apiToken: TOKEN,
      dial,
      rewrite: (url) => url,
      outcome: 'no-answer',
    });
    const flowUrl = `http://my.exotel.com/${SID}/exoml/start_voice/12345`;
    await createExotelCall({
      apiBaseUrl: exotel.url,
      accountSid: SID,
      apiKey: KEY,
      apiToken: TOKEN,
      to: '+919876543210',
      callerId: '+918047491899',
      flowUrl,
    });
    const form = new URLSearchParams(exotel.requests[0]?.body);
    expect(form.get('Url')).toBe(flowUrl);
    expect(form.has('StreamUrl')).toBe(false);
    expect(form.has('StatusCallback')).toBe(false);
  });

  it('maps refusals to VoiceErrors naming Exotel’s message', async () => {
    const { dial } = recorder();
    exotel = await startExotelApiServer({
      accountSid: SID,
      apiKey: KEY,
      apiToken: TOKEN,
      dial,
      rewrite: (url) => url,
    });
    const base = {
      apiBaseUrl: exotel.url,
      accountSid: SID,
      apiKey: KEY,
      to: '+919876543210',
      callerId: '+918047491899',
      streamUrl: STREAM,
    };
    const wrong = await createExotelCall({ ...base, apiToken: 'nope' }).catch((e: unknown) => e);
    expect(VoiceError.is(wrong) && wrong.code).toBe('PROVIDER_AUTH_FAILED');
    expect((wrong as Error).message).toContain('Authentication is required');
    exotel.fail({ status: 503, message: 'Service Unavailable' });
    const down = await createExotelCall({ ...base, apiToken: TOKEN }).catch((e: unknown) => e);
    expect(VoiceError.is(down) && down.code).toBe('PROVIDER_UNAVAILABLE');
    expect(VoiceError.is(down) && down.retryable).toBe(true);
    exotel.fail({ status: 400, message: 'Invalid From number' });
    const bad = await createExotelCall({ ...base, apiToken: TOKEN }).catch((e: unknown) => e);
    expect(VoiceError.is(bad) && bad.code).toBe('PROVIDER_ERROR');
    expect((bad as Error).message).toContain('Invalid From number');
  });

  it('refuses a malformed account SID or an over-long StreamUrl before sending', async () => {
    const calls: unknown[] = [];
    const fetchSpy = ((...args: unknown[]) => {
      calls.push(args);
      return Promise.resolve(new Response('{}'));
    }) as typeof fetch;
    const base = {
      apiKey: KEY,
      apiToken: TOKEN,
      to: '+919876543210',
      callerId: '+918047491899',
      fetch: fetchSpy,
    };
    await expect(
      createExotelCall({ ...base, accountSid: '../x', streamUrl: STREAM }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(
      createExotelCall({ ...base, accountSid: SID, streamUrl: `${STREAM}${'x'.repeat(600)}` }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'streamUrl' } });
    expect(calls).toHaveLength(0);
  });

  it('reports an unreachable API and an answer without Call.Sid', async () => {
    const base = {
      accountSid: SID,
      apiKey: KEY,
      apiToken: TOKEN,
      to: '+919876543210',
      callerId: '+918047491899',
      streamUrl: STREAM,
    };
    const failing = (() => Promise.reject(new TypeError('fetch failed'))) as typeof fetch;
    await expect(createExotelCall({ ...base, fetch: failing })).rejects.toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
    });
    const empty = (() => Promise.resolve(new Response('{"Call":{}}'))) as typeof fetch;
    await expect(createExotelCall({ ...base, fetch: empty })).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
    });
  });
});
