import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '@prx-voice/core';
import { SimulatedClock } from '@prx-voice/core/testing';
import { startExotelApiServer } from '@prx-voice/transport/testing';
import type { ExotelApiServer } from '@prx-voice/transport/testing';
import { VoiceError } from '@prx-voice/types';
import { exotelCallbackToken, exotelOutbound } from './exotel-calls.js';
import { exotelSettings } from './exotel.js';
import { createExotelStreams } from './exotel-streams.js';
import { hangUpWithRetry } from './outbound-calls.js';

const runtime = { hostname: 'test', pid: 1 };

function settings(exotel: Record<string, unknown>) {
  const config = parseConfig(
    {
      server: { public_url: 'https://voice.example.com' },
      telephony: { exotel: { tenant: 'default', api_key: 'k', api_token: 't', ...exotel } },
    },
    { runtime },
  );
  const s = exotelSettings(config);
  if (s === undefined) throw new Error('exotel off');
  return s;
}

let fake: ExotelApiServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('Exotel outbound calls on the server', () => {
  it('dials only with an account SID', () => {
    expect(exotelOutbound(settings({}), createExotelStreams())).toBeUndefined();
    expect(exotelOutbound(undefined, createExotelStreams())).toBeUndefined();
    expect(exotelOutbound(settings({ account_sid: 'acct1' }), createExotelStreams())?.name).toBe(
      'exotel',
    );
  });

  it('asks for the session’s stream and status callback, with a per-session token', async () => {
    fake = await startExotelApiServer({
      accountSid: 'acct1',
      apiKey: 'k',
      apiToken: 't',
      outcome: 'no-answer',
      dial: () => Promise.reject(new Error('not answered')),
      // Its status callbacks go nowhere (a closed loopback port).
      rewrite: (url) => url.replace('https://voice.example.com', 'http://127.0.0.1:1'),
    });
    const carrier = exotelOutbound(
      settings({ account_sid: 'acct1', api_base_url: fake.url }),
      createExotelStreams(),
    );
    const placed = await carrier?.dial({
      to: '+919876543210',
      from: '+918047491899',
      session: { id: 'sess_1', tenant_id: 'ten_1' },
      machineDetection: false,
    });
    expect(placed?.status).toBe('in-progress');
    const form = Object.fromEntries(new URLSearchParams(fake.requests[0]?.body));
    expect(form['From']).toBe('+919876543210');
    expect(form['CallerId']).toBe('+918047491899');
    expect(new URL(form['StreamUrl'] ?? '').searchParams.get('session_id')).toBe('sess_1');
    const callback = new URL(form['StatusCallback'] ?? '');
    expect(`${callback.origin}${callback.pathname}`).toBe(
      'https://voice.example.com/telephony/exotel/status',
    );
    expect(callback.searchParams.get('token')).toBe(exotelCallbackToken('t', 'sess_1'));
    expect(exotelCallbackToken('t', 'sess_2')).not.toBe(exotelCallbackToken('t', 'sess_1'));
  });

  it('hangs up by closing the call’s open stream; without one it fails at once', async () => {
    const streams = createExotelStreams();
    const carrier = exotelOutbound(settings({ account_sid: 'acct1' }), streams);
    if (carrier === undefined) throw new Error('no carrier');
    const closed: string[] = [];
    const release = streams.register('call-1', () => closed.push('call-1'));
    await carrier.hangUp('call-1');
    expect(closed).toEqual(['call-1']);
    release();
    // Not open (never answered, or already over): Exotel offers no other way.
    const err = await carrier.hangUp('call-1').catch((e: unknown) => e);
    expect(VoiceError.is(err) && err.code).toBe('PROVIDER_ERROR');
    expect((err as Error).message).toContain('documents no request that ends a call');
    const result = await hangUpWithRetry({
      hangUp: () => carrier.hangUp('call-2'),
      clock: new SimulatedClock(),
    });
    expect(result).toMatchObject({ ok: false, attempts: 1 });
  });

  it('releases only its own registration', () => {
    const streams = createExotelStreams();
    const closed: string[] = [];
    const releaseOld = streams.register('call-1', () => closed.push('old'));
    streams.register('call-1', () => closed.push('new'));
    releaseOld();
    expect(streams.close('call-1')).toBe(true);
    expect(closed).toEqual(['new']);
    expect(streams.close('call-1')).toBe(false);
  });
});
