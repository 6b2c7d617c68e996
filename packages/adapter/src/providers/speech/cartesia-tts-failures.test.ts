import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SimulatedClock } from '@prx-voice/core/testing';
import { VoiceError } from '@prx-voice/types';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { canFallback } from '../../interfaces.js';
import { createCartesiaTts } from './cartesia-tts.js';
import { consume, failureOf, visibleText } from './testing/consume.js';
import {
  CARTESIA_TEST_KEY as KEY,
  closeCartesiaFixtures,
  CONTEXT_ID,
  ramp,
  startCartesiaFixture as setup,
  TextFeed,
} from './testing/cartesia-fixture.js';
import { startCartesiaWsServer } from './testing/cartesia-ws-server.js';

afterEach(async () => {
  await closeCartesiaFixtures();
  vi.restoreAllMocks();
});

/** A port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('cartesia TTS cancellation', () => {
  it('sends cancel on abort and ends without throwing', async () => {
    const { server, consumed, controller } = await setup();
    const conn = await server.connections.take();
    await conn.messages.take();
    conn.sendChunk(CONTEXT_ID, ramp(160));
    expect(await consumed.events.take()).toMatchObject({ type: 'audio' });
    controller.abort();
    expect(await consumed.done).toBeUndefined();
    expect(await conn.waitForCancel(CONTEXT_ID)).toEqual({ context_id: CONTEXT_ID, cancel: true });
    expect(await conn.closed).toBe(1000);
    expect(consumed.events.all.filter((e) => e.type === 'usage')).toEqual([]);
  });

  it('sends cancel when the consumer stops early, and stops reading the text', async () => {
    const server = await startCartesiaWsServer({ apiKey: KEY });
    onTestFinished(() => server.close());
    const feed = new TextFeed();
    const tts = createCartesiaTts({
      clock: new SimulatedClock(),
      env: { CARTESIA_API_KEY: KEY },
      newContextId: () => 'ctx-early',
    });
    const events = tts.synthesize({
      text: feed,
      sampleRate: 16000,
      signal: new AbortController().signal,
      options: { base_url: server.url },
    });
    const iterator = events[Symbol.asyncIterator]();
    const first = iterator.next();
    const conn = await server.connections.take();
    feed.push('Long answer. ');
    await conn.messages.take();
    conn.sendChunk('ctx-early', ramp(160));
    expect((await first).value).toMatchObject({ type: 'audio' });
    await iterator.return?.();
    await conn.waitForCancel('ctx-early');
    expect(await conn.closed).toBe(1000);
    expect(feed.returned).toBe(true);
  });

  it('ends quietly on an abort during the handshake, with nothing to cancel', async () => {
    const { server, consumed, controller } = await setup({ server: { handshake: 'stall' } });
    await server.handshakes.take();
    controller.abort();
    expect(await consumed.done).toBeUndefined();
    expect(consumed.events.all).toEqual([]);
  });
});

describe('cartesia TTS handshake failures', () => {
  it('maps a 401 to PROVIDER_AUTH_FAILED, never showing or logging the key', async () => {
    const logged = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(() => undefined),
    );
    const { consumed } = await setup({
      server: {
        handshake: {
          status: 401,
          body: JSON.stringify({
            error_code: 'invalid_api_key',
            title: 'Unauthorized',
            message: `Invalid API key ${KEY}`,
          }),
        },
      },
    });
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_AUTH_FAILED');
    expect(error.retryable).toBe(false);
    expect(canFallback(error)).toBe(true);
    expect(error.details).toMatchObject({ provider: 'cartesia', status: 401, partial: false });
    expect(error.message).toContain('Invalid API key [redacted]');
    expect(visibleText(error)).not.toContain(KEY);
    for (const spy of logged) expect(spy).not.toHaveBeenCalled();
  });

  it('is refused by the server for a wrong key (PROVIDER_AUTH_FAILED)', async () => {
    const { consumed } = await setup({ env: { CARTESIA_API_KEY: 'sk_car_wrong' } });
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_AUTH_FAILED');
    expect(error.message).toContain('Invalid API key');
  });

  it('maps a 429 to PROVIDER_RATE_LIMITED with the Retry-After hint', async () => {
    const { consumed } = await setup({
      server: { handshake: { status: 429, headers: { 'Retry-After': '3' } } },
    });
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_RATE_LIMITED');
    expect(error.retryable).toBe(true);
    expect(error.details).toMatchObject({ retry_after_ms: 3000, fallback: true, status: 429 });
  });

  it('maps a 5xx to PROVIDER_UNAVAILABLE', async () => {
    const { consumed } = await setup({
      server: { handshake: { status: 503, body: 'upstream overloaded' } },
    });
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(canFallback(error)).toBe(true);
    expect(error.message).toContain('upstream overloaded');
  });

  it('maps a refused connection to PROVIDER_UNAVAILABLE', async () => {
    const port = await closedPort();
    const tts = createCartesiaTts({ clock: new SimulatedClock(), env: { CARTESIA_API_KEY: KEY } });
    const error = await failureOf(
      consume(
        tts.synthesize({
          text: 'Hi.',
          sampleRate: 16000,
          signal: new AbortController().signal,
          options: { base_url: `ws://127.0.0.1:${port}` },
        }),
      ),
    );
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(error.details).toMatchObject({ partial: false, fallback: true });
    expect(error.message).toContain('could not connect');
  });

  it('times out a handshake that stalls past first_byte_timeout_ms', async () => {
    const { clock, server, consumed } = await setup({
      options: { first_byte_timeout_ms: 2000 },
      server: { handshake: 'stall' },
    });
    await server.handshakes.take();
    clock.advance(1999);
    clock.advance(1);
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_TIMEOUT');
    expect(error.details).toMatchObject({ stage: 'connect', timeout_ms: 2000, partial: false });
  });

  it('fails with PROVIDER_AUTH_FAILED naming CARTESIA_API_KEY when no key is set', async () => {
    const tts = createCartesiaTts({ clock: new SimulatedClock(), env: {} });
    const error = await failureOf(
      consume(
        tts.synthesize({ text: 'x', sampleRate: 16000, signal: new AbortController().signal }),
      ),
    );
    expect(error.code).toBe('PROVIDER_AUTH_FAILED');
    expect(error.message).toContain('CARTESIA_API_KEY');
  });
});

describe('cartesia TTS mid-stream failures', () => {
  it('maps an error message by its status_code, with partial', async () => {
    const { server, consumed } = await setup();
    const conn = await server.connections.take();
    await conn.messages.take();
    conn.sendChunk(CONTEXT_ID, ramp(160));
    expect(await consumed.events.take()).toMatchObject({ type: 'audio' });
    conn.sendError(CONTEXT_ID, {
      statusCode: 400,
      errorCode: 'voice_not_found',
      title: 'Invalid voice',
      message: 'The voice does not exist.',
    });
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.retryable).toBe(false);
    expect(canFallback(error)).toBe(true);
    expect(error.message).toBe(
      'cartesia reported an error (400 voice_not_found): Invalid voice: The voice does not exist.',
    );
    expect(error.details).toMatchObject({
      status: 400,
      error_code: 'voice_not_found',
      partial: true,
    });
  });

  it('maps a rate-limit error message without a context id to PROVIDER_RATE_LIMITED', async () => {
    const { server, consumed } = await setup();
    const conn = await server.connections.take();
    await conn.messages.take();
    conn.sendError(undefined, {
      statusCode: 429,
      errorCode: 'concurrency_limited',
      title: 'Too many concurrent requests',
      message: "You have exceeded your plan's concurrency limit.",
    });
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_RATE_LIMITED');
    expect(error.retryable).toBe(true);
    expect(error.details).toMatchObject({ partial: false, error_code: 'concurrency_limited' });
  });

  it('reports a connection dropped after audio as PROVIDER_UNAVAILABLE, partial true', async () => {
    const feed = new TextFeed();
    const { server, consumed } = await setup({ request: { text: feed } });
    const conn = await server.connections.take();
    feed.push('One sentence. ');
    await conn.messages.take();
    conn.sendChunk(CONTEXT_ID, ramp(160));
    expect(await consumed.events.take()).toMatchObject({ type: 'audio' });
    conn.terminate();
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(error.details).toMatchObject({ partial: true, close_code: 1006, fallback: true });
    expect(feed.returned).toBe(true); // the agent's text is no longer read
  });

  it('reports a close before any audio with partial false', async () => {
    const { server, consumed } = await setup();
    const conn = await server.connections.take();
    await conn.messages.take();
    conn.close(1011, 'internal error');
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(error.details).toMatchObject({
      partial: false,
      close_code: 1011,
      close_reason: 'internal error',
    });
  });

  it('times out when the first audio does not come once the text is sent', async () => {
    const { clock, server, consumed } = await setup({ options: { first_byte_timeout_ms: 3000 } });
    const conn = await server.connections.take();
    await conn.waitForLastInput(CONTEXT_ID);
    clock.advance(3000);
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_TIMEOUT');
    expect(error.details).toMatchObject({ stage: 'first audio', timeout_ms: 3000, partial: false });
    expect(await conn.waitForCancel(CONTEXT_ID)).toMatchObject({ cancel: true });
  });

  it('times out a stall between chunks, and waits for the text while it still streams', async () => {
    const feed = new TextFeed();
    const { clock, server, consumed } = await setup({ request: { text: feed } });
    const conn = await server.connections.take();
    feed.push('Thinking slowly, ');
    await conn.messages.take();
    clock.advance(60_000); // the agent is slow: no timer runs while its text may still come
    feed.push('done.');
    feed.end();
    await conn.waitForLastInput(CONTEXT_ID);
    conn.sendChunk(CONTEXT_ID, ramp(160));
    expect(await consumed.events.take()).toMatchObject({ type: 'audio' });
    clock.advance(4999);
    conn.sendChunk(CONTEXT_ID, ramp(160, 160));
    expect(await consumed.events.take()).toMatchObject({ type: 'audio' });
    clock.advance(5000);
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_TIMEOUT');
    expect(error.details).toMatchObject({ stage: 'audio stream', partial: true });
    expect(await conn.waitForCancel(CONTEXT_ID)).toMatchObject({ cancel: true });
  });

  it('fails on a malformed chunk', async () => {
    const { server, consumed } = await setup();
    const conn = await server.connections.take();
    await conn.messages.take();
    conn.send({ type: 'chunk', context_id: CONTEXT_ID, data: 42 });
    const error = await failureOf(consumed);
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.message).toContain('malformed chunk');
  });

  it('passes a failure of the text source through and cancels the context', async () => {
    const feed = new TextFeed();
    const { server, consumed } = await setup({ request: { text: feed } });
    const conn = await server.connections.take();
    feed.push('Half an ');
    await conn.messages.take();
    const agentFailure = new VoiceError('PROVIDER_UNAVAILABLE', { message: 'agent went away' });
    feed.fail(agentFailure);
    expect(await consumed.done).toBe(agentFailure);
    await conn.waitForCancel(CONTEXT_ID);
  });
});
