import { SimulatedClock } from '@prx-voice/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { canFallback } from '../../interfaces.js';
import { createDeepgramAsr } from './deepgram-asr.js';
import { consume, failureOf, visibleText } from './testing/consume.js';
import {
  BYTES_PER_MS,
  closeDeepgramFixtures,
  DEEPGRAM_TEST_KEY as KEY,
  openDeepgramFixture as setup,
  pushMs,
} from './testing/deepgram-fixture.js';
import { deepgramResults } from './testing/deepgram-listen-server.js';

afterEach(async () => {
  await closeDeepgramFixtures();
  vi.restoreAllMocks();
});

describe('deepgram ASR failures', () => {
  it('maps a 401 upgrade to PROVIDER_AUTH_FAILED, never showing or logging the key', async () => {
    const logged = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(() => undefined),
    );
    const { stream, consumed } = await setup(
      {},
      {
        upgrade: {
          status: 401,
          headers: { 'dg-error': `Invalid credentials: Token ${KEY}` },
          body: `{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials ${KEY}"}`,
        },
      },
    );
    pushMs(stream, 40);
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_AUTH_FAILED');
    expect(canFallback(error)).toBe(true);
    expect(error.details).toMatchObject({ provider: 'deepgram', status: 401, partial: false });
    expect(error.message).toContain('Invalid credentials');
    expect(visibleText(error)).not.toContain(KEY);
    for (const spy of logged) expect(spy).not.toHaveBeenCalled();
  });

  it('maps a 429 upgrade to PROVIDER_RATE_LIMITED with the retry hint', async () => {
    const { consumed } = await setup(
      {},
      { upgrade: { status: 429, headers: { 'Retry-After': '3' } } },
    );
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_RATE_LIMITED');
    expect(error.retryable).toBe(true);
    expect(error.details).toMatchObject({ retry_after_ms: 3000, fallback: true });
  });

  it('maps a 5xx upgrade to PROVIDER_UNAVAILABLE', async () => {
    const { consumed } = await setup({}, { upgrade: { status: 503 } });
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(canFallback(error)).toBe(true);
  });

  it('maps a 1011 close to PROVIDER_UNAVAILABLE and a 1008 close to PROVIDER_ERROR, mid-stream', async () => {
    const a = await setup();
    const connA = await a.server.connections.take();
    connA.close(1011, 'NET-0000: internal server error');
    const unavailable = await failureOf(a.consumed);
    expect(unavailable.code).toBe('PROVIDER_UNAVAILABLE');
    expect(unavailable.details).toMatchObject({ close_code: 1011, partial: true, fallback: true });
    expect(unavailable.message).toContain('NET-0000');

    const b = await setup();
    const connB = await b.server.connections.take();
    connB.close(1008, 'DATA-0000: The payload cannot be decoded as audio.');
    const refused = await failureOf(b.consumed);
    expect(refused.code).toBe('PROVIDER_ERROR');
    expect(refused.details).toMatchObject({ close_code: 1008, fallback: true });
  });

  it('reports a dropped connection as PROVIDER_UNAVAILABLE with partial true', async () => {
    const { server, stream, consumed } = await setup();
    pushMs(stream, 100);
    const conn = await server.connections.take();
    await conn.waitForAudio(100 * BYTES_PER_MS);
    conn.send(deepgramResults({ transcript: 'hel', start: 0, duration: 0.1 }));
    expect(await consumed.events.take()).toMatchObject({ type: 'partial', text: 'hel' });
    conn.terminate();
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(error.details).toMatchObject({ partial: true, fallback: true });
  });

  it('times out an upgrade that stalls past first_byte_timeout_ms', async () => {
    const { clock, server, consumed } = await setup(
      { first_byte_timeout_ms: 2000 },
      { upgrade: 'stall' },
    );
    await server.upgrades.take();
    clock.advance(2000);
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_TIMEOUT');
    expect(error.details).toMatchObject({ stage: 'connect', timeout_ms: 2000, partial: false });
  });

  it('times out a Finalize the server never answers', async () => {
    const { clock, server, stream, consumed } = await setup();
    pushMs(stream, 500);
    const conn = await server.connections.take();
    await conn.waitForAudio(500 * BYTES_PER_MS);
    stream.finalize();
    await conn.waitForControl('Finalize');
    clock.advance(5000);
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_TIMEOUT');
    expect(error.details).toMatchObject({ stage: 'finalize', partial: true });
  });

  it('takes what was heard as the final when the server heard it all but sends no from_finalize', async () => {
    const { clock, server, stream, consumed } = await setup();
    pushMs(stream, 500);
    const conn = await server.connections.take();
    await conn.waitForAudio(500 * BYTES_PER_MS);
    conn.send(deepgramResults({ transcript: 'maybe', start: 0, duration: 0.45 }));
    expect(await consumed.events.take()).toMatchObject({ type: 'partial', text: 'maybe' });
    stream.finalize();
    await conn.waitForControl('Finalize');
    clock.advance(1000); // it heard everything: a short grace, not the full timeout
    expect(await consumed.events.take()).toEqual({
      type: 'final',
      text: 'maybe',
      startMs: 0,
      endMs: 500,
    });
    stream.abort();
  });

  it('fails on a malformed Results message', async () => {
    const { server, consumed } = await setup();
    const conn = await server.connections.take();
    conn.send({ type: 'Results', start: 'soon' });
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.message).toContain('malformed Results');
  });

  it('fails with PROVIDER_AUTH_FAILED when no key is configured', async () => {
    const stream = createDeepgramAsr({ clock: new SimulatedClock(), env: {} }).open({
      sampleRate: 16000,
      language: 'en-US',
    });
    const error = await failureOf(consume(stream));
    expect(error.code).toBe('PROVIDER_AUTH_FAILED');
    expect(error.message).toContain('DEEPGRAM_API_KEY');
  });

  it('never puts the key into events', async () => {
    const { server, stream, consumed } = await setup({ api_key: KEY });
    pushMs(stream, 100);
    const conn = await server.connections.take();
    await conn.waitForAudio(100 * BYTES_PER_MS);
    conn.send(deepgramResults({ transcript: 'ok', start: 0, duration: 0.1, isFinal: true }));
    stream.end();
    await consumed.done;
    expect(conn.headers.authorization).toBe(`Token ${KEY}`);
    expect(consumed.events.all.length).toBeGreaterThan(0);
    expect(visibleText(consumed.events.all)).not.toContain(KEY);
  });
});
