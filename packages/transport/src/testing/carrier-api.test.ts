import { afterEach, describe, expect, it } from 'vitest';
import { createTelnyxCall, hangUpTelnyxCall } from '../telnyx/calls.js';
import { createTwilioCall, hangUpTwilioCall } from '../twilio/calls.js';
import { twimlConnectStream } from '../twilio/twiml.js';
import { startCarrierApiServer } from './carrier-api.js';
import type { CarrierApiServer, CarrierStreamSocket } from './carrier-api.js';
import { createTelnyxSigner } from './telnyx-client.js';

const ACCOUNT = `AC${'0'.repeat(31)}1`;
const TOKEN = 'twilio-secret';
const KEY = 'KEY_telnyx';

/** A dialer recording what the fake carrier sends on each stream it opens. */
function recorder() {
  const opened: { url: string; sent: string[]; closed: boolean }[] = [];
  const dial = (url: string): Promise<CarrierStreamSocket> => {
    const entry = { url, sent: [] as string[], closed: false };
    opened.push(entry);
    return Promise.resolve({
      send: (text) => entry.sent.push(text),
      close: () => (entry.closed = true),
      onMessage: () => undefined,
    });
  };
  return { opened, dial };
}

let server: CarrierApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('Twilio calls through the fake REST API', () => {
  it('creates a call that opens its stream with the TwiML parameters, and hangs it up', async () => {
    const { opened, dial } = recorder();
    server = await startCarrierApiServer({
      twilio: { accountSid: ACCOUNT, authToken: TOKEN },
      dial,
      rewrite: (url) => url.replace('wss://voice.example.com', 'ws://127.0.0.1:1'),
    });
    const auth = { apiBaseUrl: server.url, accountSid: ACCOUNT, authToken: TOKEN };
    const twiml = twimlConnectStream({
      streamUrl: 'wss://voice.example.com/telephony/twilio/stream',
      parameters: { session_id: 'sess_1', stream_token: 'a&b' },
    });
    const created = await createTwilioCall({
      ...auth,
      to: '+14155550100',
      from: '+14155550199',
      twiml,
      machineDetection: true,
    });
    expect(created.status).toBe('queued');
    expect(created.sid).toMatch(/^CA[0-9a-f]{32}$/);
    const form = new URLSearchParams(server.requests[0]?.body);
    expect(form.get('To')).toBe('+14155550100');
    expect(form.get('MachineDetection')).toBe('Enable');
    const call = await server.nextCall();
    expect(call.id).toBe(created.sid);
    expect(opened[0]?.url).toBe('ws://127.0.0.1:1/telephony/twilio/stream');
    const start = JSON.parse(opened[0]?.sent[1] ?? '{}') as {
      start: { callSid: string; customParameters: unknown };
    };
    expect(start.start).toMatchObject({
      callSid: created.sid,
      customParameters: { session_id: 'sess_1', stream_token: 'a&b' },
    });
    await hangUpTwilioCall({ ...auth, callSid: created.sid });
    expect(call.hungUp).toBe(true);
    expect(new URLSearchParams(server.requests[1]?.body).get('Status')).toBe('completed');
    await expect(hangUpTwilioCall({ ...auth, callSid: created.sid })).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
    });
  });

  it('maps refusals: bad credentials, a 5xx', async () => {
    server = await startCarrierApiServer({
      twilio: { accountSid: ACCOUNT, authToken: TOKEN },
      dial: recorder().dial,
      rewrite: (u) => u,
    });
    const base = {
      apiBaseUrl: server.url,
      accountSid: ACCOUNT,
      to: '+1',
      from: '+2',
      twiml: '<Response/>',
    };
    await expect(createTwilioCall({ ...base, authToken: 'wrong' })).rejects.toMatchObject({
      code: 'PROVIDER_AUTH_FAILED',
    });
    server.fail({ status: 503, message: 'down' });
    await expect(createTwilioCall({ ...base, authToken: TOKEN })).rejects.toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
    });
  });
});

describe('Telnyx calls through the fake REST API', () => {
  it('dials with a bidirectional stream and client_state, and hangs up', async () => {
    const { opened, dial } = recorder();
    server = await startCarrierApiServer({
      telnyx: { apiKey: KEY, signer: createTelnyxSigner() },
      dial,
      rewrite: (u) => u,
    });
    const auth = { apiBaseUrl: server.url, apiKey: KEY };
    const call = await createTelnyxCall({
      ...auth,
      connectionId: 'conn-1',
      to: '+14155550100',
      from: '+14155550199',
      streamUrl: 'ws://127.0.0.1:1/telephony/telnyx/stream',
      codec: 'PCMA',
      clientState: '{"session_id":"sess_1"}',
    });
    expect(call.callControlId).toMatch(/^v3:/);
    expect(JSON.parse(server.requests[0]?.body ?? '{}')).toMatchObject({
      connection_id: 'conn-1',
      stream_bidirectional_mode: 'rtp',
      stream_bidirectional_codec: 'PCMA',
      client_state: Buffer.from('{"session_id":"sess_1"}').toString('base64'),
    });
    const placed = await server.nextCall();
    const start = JSON.parse(opened[0]?.sent[1] ?? '{}') as { start: { client_state: string } };
    expect(Buffer.from(start.start.client_state, 'base64').toString()).toBe(
      '{"session_id":"sess_1"}',
    );
    await hangUpTelnyxCall({ ...auth, callControlId: call.callControlId });
    expect(placed.hungUp).toBe(true);
    expect(server.requests[1]?.path).toBe(
      `/v2/calls/${encodeURIComponent(call.callControlId)}/actions/hangup`,
    );
    await expect(
      createTelnyxCall({
        ...auth,
        apiKey: 'x',
        connectionId: 'c',
        to: '+1',
        from: '+2',
        streamUrl: 'ws://x',
        codec: 'PCMU',
      }),
    ).rejects.toMatchObject({ code: 'PROVIDER_AUTH_FAILED' });
  });
});
