/**
 * DTMF through the composed server: `dtmf` frames on the session WebSocket and Twilio's `dtmf`
 * messages become `prx.voice.media.dtmf` events and, once a sequence completes (terminator or
 * inter-digit timeout, on the simulated clock), a text turn the mock agent answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { AnyVoiceEvent } from '@prx-voice/event';
import type { SessionId, TenantId } from '@prx-voice/types';
import { createTwilioClientScript } from '@prx-voice/transport/testing';
import type { ControlHarness } from '../testing/control-harness.js';
import { FakeSocket, startManagerBench } from '../testing/manager-bench.js';
import type { ManagerBench } from '../testing/manager-bench.js';
import type { SessionManager } from './session-manager.js';
import { attachTwilioStream, streamToken } from './twilio.js';
import { attachWebSocket } from './ws-attach.js';

let h: ControlHarness;
let manager: SessionManager;
let events: AnyVoiceEvent[];
let settle: ManagerBench['settle'];

beforeAll(async () => {
  ({ h, manager, events, settle } = await startManagerBench('dtmf-test'));
});
afterAll(() => h.close());

async function attached(): Promise<{ ws: FakeSocket; sid: string }> {
  const tenant = await h.tenant('growth');
  const key = await h.key(tenant.id, 'workspace_developer');
  const row = await manager.create(tenant.id as TenantId, { channel: 'websocket' });
  const ws = new FakeSocket();
  await attachWebSocket(
    { manager, authenticator: h.control.authenticator, clock: h.clock, maxFrameBytes: 65_536 },
    ws as unknown as WebSocket,
    {
      url: new URL(`http://localhost/api/v1/ws/${row.id}?token=${key}`),
      headers: {},
      params: { session_id: row.id },
    },
  );
  expect(ws.closed).toBeUndefined();
  await settle();
  return { ws, sid: row.id };
}

const frame = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

describe('DTMF on the session WebSocket', () => {
  it('collects keys up to the terminator into a turn the agent answers', async () => {
    const { ws } = await attached();
    ws.emit('message', frame({ type: 'dtmf', digits: '12' }), false);
    await settle(100);
    ws.emit('message', frame({ type: 'dtmf', digits: '3#' }), false);
    await settle(3000);
    expect(ws.events('prx.voice.media.dtmf').map((e) => e.data)).toEqual([
      { digits: '1', source: 'websocket', complete: false },
      { digits: '2', source: 'websocket', complete: false },
      { digits: '3', source: 'websocket', complete: false },
      { digits: '#', source: 'websocket', complete: false },
      { digits: '123', source: 'websocket', complete: true, reason: 'terminator' },
    ]);
    const turns = ws.events('prx.voice.turn.completed').map((e) => e.data);
    expect(turns).toHaveLength(1);
    expect(turns[0]).toMatchObject({
      user_text: 'DTMF: 123',
      assistant_text: 'You said: DTMF: 123',
    });
    expect(ws.closed).toBeUndefined();
  });

  it('completes a sequence without a terminator after the inter-digit timeout', async () => {
    const { ws } = await attached();
    ws.emit('message', frame({ type: 'dtmf', digits: '4' }), false);
    await settle(1000);
    ws.emit('message', frame({ type: 'dtmf', digits: '5' }), false);
    await settle(2900);
    expect(ws.events('prx.voice.media.dtmf').filter((e) => e.data['complete'] === true)).toEqual(
      [],
    );
    await settle(3000);
    expect(
      ws.events('prx.voice.media.dtmf').filter((e) => e.data['complete'] === true)[0]?.data,
    ).toEqual({ digits: '45', source: 'websocket', complete: true, reason: 'timeout' });
    expect(ws.events('prx.voice.turn.completed')[0]?.data).toMatchObject({
      user_text: 'DTMF: 45',
      assistant_text: 'You said: DTMF: 45',
    });
  });

  it('answers an invalid dtmf frame with a protocol error and stays open', async () => {
    const { ws } = await attached();
    ws.emit('message', frame({ type: 'dtmf', digits: '12x' }), false);
    await settle();
    const errors = ws.events('prx.voice.session.error');
    expect(errors.map((e) => e.data['code'])).toEqual(['VALIDATION_FAILED']);
    expect(ws.events('prx.voice.media.dtmf')).toEqual([]);
    expect(ws.closed).toBeUndefined();
  });
});

describe('DTMF on the Twilio media stream', () => {
  it('turns Twilio dtmf messages into events and a turn', async () => {
    const tenant = await h.tenant('growth');
    const sid = (await manager.create(tenant.id as TenantId, { channel: 'twilio' }))
      .id as SessionId;
    const ws = new FakeSocket();
    const authToken = 'twilio-auth-token-for-tests';
    attachTwilioStream(
      {
        manager,
        clock: h.clock,
        twilio: { authToken, tenant: tenant.slug, publicUrl: 'https://voice.example.com' },
      },
      ws as unknown as WebSocket,
    );
    const twilio = createTwilioClientScript({
      customParameters: {
        session_id: sid,
        tenant_id: tenant.id,
        stream_token: streamToken(authToken, sid),
      },
    });
    ws.emit('message', Buffer.from(twilio.connected()));
    ws.emit('message', Buffer.from(twilio.start()));
    await settle();
    for (const digit of ['9', '8', '#']) ws.emit('message', Buffer.from(twilio.dtmf(digit)));
    await settle(3000);
    const mine = events.filter((e) => e.prxsessionid === sid);
    expect(mine.filter((e) => e.type === 'prx.voice.media.dtmf').map((e) => e.data)).toEqual([
      { digits: '9', source: 'twilio', complete: false },
      { digits: '8', source: 'twilio', complete: false },
      { digits: '#', source: 'twilio', complete: false },
      { digits: '98', source: 'twilio', complete: true, reason: 'terminator' },
    ]);
    expect(mine.find((e) => e.type === 'prx.voice.turn.completed')?.data).toMatchObject({
      user_text: 'DTMF: 98',
      assistant_text: 'You said: DTMF: 98',
    });
  });
});
