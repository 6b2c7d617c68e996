/**
 * Outbound backpressure and dropped-frame accounting of the session WebSocket and the Twilio stream,
 * with a stand-in for the `ws` socket whose `bufferedAmount` the test sets; the Twilio stream's
 * start deadline on the simulated clock.
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
import {
  TWILIO_MAX_BACKLOG_BYTES,
  TWILIO_START_DEADLINE_MS,
  attachTwilioStream,
  streamToken,
} from './twilio.js';
import { MAX_OUTBOUND_BACKLOG_MS, attachWebSocket } from './ws-attach.js';

let h: ControlHarness;
let manager: SessionManager;
let events: AnyVoiceEvent[];
let settle: ManagerBench['settle'];

beforeAll(async () => {
  ({ h, manager, events, settle } = await startManagerBench('ws-test'));
});
afterAll(() => h.close());

describe('the session WebSocket under backpressure', () => {
  it('drops outbound audio while the socket holds more than a second of it, and reports the drops', async () => {
    const tenant = await h.tenant('growth');
    const key = await h.key(tenant.id, 'workspace_developer');
    const row = await manager.create(tenant.id as TenantId, { channel: 'websocket' });
    const ws = new FakeSocket();
    await attachWebSocket(
      {
        manager,
        authenticator: h.control.authenticator,
        clock: h.clock,
        maxFrameBytes: 65_536,
      },
      ws as unknown as WebSocket,
      {
        url: new URL(`http://localhost/api/v1/ws/${row.id}?token=${key}`),
        headers: {},
        params: { session_id: row.id },
      },
    );
    expect(ws.closed).toBeUndefined();
    await settle();
    // One second of 24 kHz PCM16 is 48 000 bytes: above it, nothing more is sent.
    ws.bufferedAmount = (24_000 * 2 * MAX_OUTBOUND_BACKLOG_MS) / 1000 + 1;
    ws.emit('message', Buffer.from(JSON.stringify({ type: 'input.text', text: 'hello' })), false);
    await settle(3000);
    const audio = ws.sent.filter((d) => typeof d !== 'string');
    expect(audio).toEqual([]);
    const dropped = events
      .filter((e) => e.prxsessionid === row.id && e.type === 'prx.voice.media.audio_dropped')
      .map((e) => e.data as Record<string, unknown>);
    expect(dropped.length).toBeGreaterThan(0);
    expect(dropped.every((d) => d.direction === 'outbound' && d.reason === 'backpressure')).toBe(
      true,
    );
    // "You said: hello": 15 characters of 50 ms, every frame of it dropped and counted.
    expect(dropped.reduce((n, d) => n + (d.duration_ms as number), 0)).toBe(750);
    // The socket drains: audio flows again.
    ws.bufferedAmount = 0;
    ws.emit('message', Buffer.from(JSON.stringify({ type: 'input.text', text: 'again' })), false);
    await settle(3000);
    expect(ws.sent.filter((d) => typeof d !== 'string').length).toBeGreaterThan(0);
  });

  it('measures the backlog in the negotiated output format (µ-law: 8000 bytes a second)', async () => {
    const tenant = await h.tenant('growth');
    const key = await h.key(tenant.id, 'workspace_developer');
    const row = await manager.create(tenant.id as TenantId, { channel: 'websocket' });
    const ws = new FakeSocket();
    await attachWebSocket(
      {
        manager,
        authenticator: h.control.authenticator,
        clock: h.clock,
        maxFrameBytes: 65_536,
      },
      ws as unknown as WebSocket,
      {
        url: new URL(`http://localhost/api/v1/ws/${row.id}?token=${key}`),
        headers: {},
        params: { session_id: row.id },
      },
    );
    await settle();
    ws.emit(
      'message',
      Buffer.from(
        JSON.stringify({
          type: 'session.update',
          output: { encoding: 'mulaw', sample_rate: 8000, channels: 1 },
        }),
      ),
      false,
    );
    // Over a second of µ-law, far under a second of 24 kHz PCM16.
    ws.bufferedAmount = 9000;
    ws.emit('message', Buffer.from(JSON.stringify({ type: 'input.text', text: 'hello' })), false);
    await settle(3000);
    expect(ws.sent.filter((d) => typeof d !== 'string')).toEqual([]);
    expect(
      events.some((e) => e.prxsessionid === row.id && e.type === 'prx.voice.media.audio_dropped'),
    ).toBe(true);
  });

  it('counts an invalid inbound frame as dropped audio', async () => {
    const tenant = await h.tenant('growth');
    const key = await h.key(tenant.id, 'workspace_developer');
    const row = await manager.create(tenant.id as TenantId, { channel: 'websocket' });
    const ws = new FakeSocket();
    await attachWebSocket(
      {
        manager,
        authenticator: h.control.authenticator,
        clock: h.clock,
        maxFrameBytes: 65_536,
      },
      ws as unknown as WebSocket,
      {
        url: new URL(`http://localhost/api/v1/ws/${row.id}?token=${key}`),
        headers: {},
        params: { session_id: row.id },
      },
    );
    await settle();
    ws.emit('message', Buffer.alloc(641), true); // odd length: not PCM16
    await settle(1000);
    expect(
      events
        .filter((e) => e.prxsessionid === row.id && e.type === 'prx.voice.media.audio_dropped')
        .map((e) => e.data),
    ).toEqual([{ direction: 'inbound', reason: 'invalid_audio', frames: 1, duration_ms: 20 }]);
  });

  it('Twilio: drops outbound media while the socket holds more than a second of it', async () => {
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
    expect(ws.closed).toBeUndefined();
    ws.bufferedAmount = TWILIO_MAX_BACKLOG_BYTES + 1;
    await manager.textTurn(tenant.id as TenantId, sid, 'hello');
    await settle(3000);
    const media = ws.sent.filter((d) => typeof d === 'string' && d.includes('"event":"media"'));
    expect(media).toEqual([]);
    const dropped = events
      .filter((e) => e.prxsessionid === sid && e.type === 'prx.voice.media.audio_dropped')
      .map((e) => e.data as Record<string, unknown>);
    expect(dropped.reduce((n, d) => n + (d.duration_ms as number), 0)).toBe(750);
  });
});

describe('the Twilio media stream before its start', () => {
  const authToken = 'twilio-auth-token-for-tests';
  const attach = (tenantSlug: string): FakeSocket => {
    const ws = new FakeSocket();
    attachTwilioStream(
      {
        manager,
        clock: h.clock,
        twilio: { authToken, tenant: tenantSlug, publicUrl: 'https://voice.example.com' },
      },
      ws as unknown as WebSocket,
    );
    return ws;
  };

  it('closes a connection that sends no valid start within the deadline with 4401', async () => {
    const tenant = await h.tenant('growth');
    const ws = attach(tenant.slug);
    ws.emit('message', Buffer.from(createTwilioClientScript().connected()));
    h.clock.advance(TWILIO_START_DEADLINE_MS - 1);
    expect(ws.closed).toBeUndefined();
    h.clock.advance(1);
    expect(ws.closed).toEqual({ code: 4401, reason: 'no valid start in time' });
  });

  it('keeps a connection whose valid start arrives in time', async () => {
    const tenant = await h.tenant('growth');
    const sid = (await manager.create(tenant.id as TenantId, { channel: 'twilio' }))
      .id as SessionId;
    const ws = attach(tenant.slug);
    const twilio = createTwilioClientScript({
      customParameters: {
        session_id: sid,
        tenant_id: tenant.id,
        stream_token: streamToken(authToken, sid),
      },
    });
    ws.emit('message', Buffer.from(twilio.connected()));
    h.clock.advance(TWILIO_START_DEADLINE_MS - 1);
    ws.emit('message', Buffer.from(twilio.start()));
    await settle();
    h.clock.advance(TWILIO_START_DEADLINE_MS * 2);
    expect(ws.closed).toBeUndefined();
    ws.emit('close');
    await settle();
  });
});
