import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { VoiceError } from '@prx-voice/types';
import { hangUpWithRetry, isFinalCallStatus } from './outbound-calls.js';
import { credentialsFromClientState } from './carrier-stream.js';

/** Lets pending promise callbacks run. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('hangUpWithRetry', () => {
  it('retries a retryable failure with doubling delays on the clock, then succeeds', async () => {
    const clock = new SimulatedClock();
    const at: number[] = [];
    let calls = 0;
    const done = hangUpWithRetry({
      clock,
      retry: { attempts: 4, baseDelayMs: 500 },
      hangUp: () => {
        at.push(clock.now());
        calls++;
        return calls < 3
          ? Promise.reject(new VoiceError('PROVIDER_UNAVAILABLE', { message: 'HTTP 503' }))
          : Promise.resolve();
      },
    });
    await settle();
    clock.advance(500);
    await settle();
    clock.advance(1000);
    await settle();
    expect(await done).toEqual({ ok: true, attempts: 3 });
    expect(at.map((t) => t - (at[0] ?? 0))).toEqual([0, 500, 1500]);
  });

  it('gives up after the last attempt, and at once on a refusal that will not change', async () => {
    const clock = new SimulatedClock();
    const failing = hangUpWithRetry({
      clock,
      retry: { attempts: 2, baseDelayMs: 100 },
      hangUp: () => Promise.reject(new VoiceError('PROVIDER_UNAVAILABLE', { message: 'down' })),
    });
    await settle();
    clock.advance(100);
    await settle();
    expect(await failing).toMatchObject({ ok: false, attempts: 2, error: 'down' });
    const refused = await hangUpWithRetry({
      clock,
      hangUp: () => Promise.reject(new VoiceError('PROVIDER_AUTH_FAILED', { message: 'HTTP 401' })),
    });
    expect(refused).toMatchObject({ ok: false, attempts: 1 });
  });
});

describe('outbound call helpers', () => {
  it('knows the final statuses and reads credentials from client_state', () => {
    expect(['completed', 'busy', 'no-answer', 'failed', 'canceled'].every(isFinalCallStatus)).toBe(
      true,
    );
    // Plivo's and Vonage's ends that are not `completed`.
    expect(
      ['cancel', 'timeout', 'cancelled', 'rejected', 'unanswered'].every(isFinalCallStatus),
    ).toBe(true);
    expect(isFinalCallStatus('ringing')).toBe(false);
    expect(isFinalCallStatus('answered')).toBe(false);
    const state = Buffer.from(
      '{"session_id":"sess_1","tenant_id":"ten_1","stream_token":"t"}',
    ).toString('base64');
    expect(credentialsFromClientState(state)).toEqual({
      sessionId: 'sess_1',
      tenantId: 'ten_1',
      token: 't',
    });
    expect(credentialsFromClientState('not base64 json')).toEqual({
      sessionId: '',
      tenantId: '',
      token: '',
    });
  });
});
