import { SimulatedClock } from '@prx-voice/core/testing';
import { VoiceError } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import { ndjsonValues, sseMessages } from './framing.js';
import { redact, retryAfterMs, streamPost } from './http-stream.js';
import type { StreamPostOptions } from './http-stream.js';

/** A fetch that answers with a body made of exactly these byte chunks, recording the request's signal. */
function chunkedFetch(chunks: readonly Uint8Array[], status = 200) {
  const seen: { signal?: AbortSignal; init?: RequestInit } = {};
  const fetch = (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    seen.init = init ?? {};
    if (init?.signal) seen.signal = init.signal;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    });
    return Promise.resolve(new Response(body, { status }));
  };
  return { fetch, seen };
}

function options(overrides: Partial<StreamPostOptions>): StreamPostOptions {
  return {
    provider: 'test',
    label: 'The test server',
    url: 'http://127.0.0.1:9/x',
    headers: {},
    body: { hello: 'world' },
    signal: new AbortController().signal,
    clock: new SimulatedClock(),
    fetch: chunkedFetch([]).fetch,
    firstByteTimeoutMs: 1000,
    idleTimeoutMs: 1000,
    secrets: [],
    readErrorBody: () => undefined,
    ...overrides,
  };
}

async function texts(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const text of iterable) out.push(text);
  return out;
}

async function* from(parts: readonly string[]): AsyncGenerator<string> {
  for (const part of parts) {
    await Promise.resolve();
    yield part;
  }
}

describe('streamPost', () => {
  it('decodes UTF-8 split across chunks and posts JSON', async () => {
    const bytes = new TextEncoder().encode('Zürich — 21 °C');
    const { fetch, seen } = chunkedFetch([
      bytes.subarray(0, 2),
      bytes.subarray(2, 10),
      bytes.subarray(10),
    ]);
    const clock = new SimulatedClock();
    expect((await texts(streamPost(options({ fetch, clock })))).join('')).toBe('Zürich — 21 °C');
    expect(seen.init?.method).toBe('POST');
    expect(seen.init?.body).toBe('{"hello":"world"}');
    expect(seen.init?.headers).toMatchObject({ 'content-type': 'application/json' });
    expect(clock.pendingCount).toBe(0);
  });

  it('cancels the request when the consumer stops early', async () => {
    const { fetch, seen } = chunkedFetch([
      new TextEncoder().encode('a'),
      new TextEncoder().encode('b'),
    ]);
    for await (const text of streamPost(options({ fetch }))) {
      expect(text).toBe('a');
      break;
    }
    expect(seen.signal?.aborted).toBe(true);
  });

  it('does not call fetch for an already aborted run, and ends quietly when aborted while connecting', async () => {
    const aborted = new AbortController();
    aborted.abort();
    let calls = 0;
    const counting = (() => {
      calls += 1;
      return Promise.reject(new Error('unreachable'));
    }) as typeof globalThis.fetch;
    expect(await texts(streamPost(options({ fetch: counting, signal: aborted.signal })))).toEqual(
      [],
    );
    expect(calls).toBe(0);

    const controller = new AbortController();
    const hanging = ((_url: string, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => {
          reject(new DOMException('aborted', 'AbortError'));
        });
        controller.abort();
      })) as typeof globalThis.fetch;
    expect(await texts(streamPost(options({ fetch: hanging, signal: controller.signal })))).toEqual(
      [],
    );
  });

  it('uses a non-JSON error body as the message, redacting secrets', async () => {
    const { fetch } = chunkedFetch(
      [new TextEncoder().encode('upstream said no to key-123456')],
      502,
    );
    const error = await texts(streamPost(options({ fetch, secrets: ['key-123456'] }))).then(
      () => undefined,
      (e: unknown) => e as VoiceError,
    );
    expect(VoiceError.is(error)).toBe(true);
    expect(error?.code).toBe('PROVIDER_UNAVAILABLE');
    expect(error?.message).toBe(
      'The test server answered HTTP 502: upstream said no to [redacted]',
    );
  });
});

describe('retryAfterMs and redact', () => {
  const now = Date.UTC(2026, 0, 1);
  const headers = (init: Record<string, string>) => new Headers(init);
  it('reads seconds, HTTP dates and retry-after-ms', () => {
    expect(retryAfterMs(headers({ 'retry-after': '3' }), now)).toBe(3000);
    expect(retryAfterMs(headers({ 'retry-after': '1.5' }), now)).toBe(1500);
    expect(retryAfterMs(headers({ 'retry-after': new Date(now + 2000).toUTCString() }), now)).toBe(
      2000,
    );
    expect(retryAfterMs(headers({ 'retry-after': new Date(now - 9000).toUTCString() }), now)).toBe(
      0,
    );
    expect(retryAfterMs(headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now)).toBe(250);
    expect(retryAfterMs(headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterMs(headers({}), now)).toBeUndefined();
  });

  it('replaces every occurrence of every secret', () => {
    expect(redact('a KEY b KEY c other', ['KEY', 'other', ''])).toBe(
      'a [redacted] b [redacted] c [redacted]',
    );
  });
});

describe('framing', () => {
  it('parses server-sent events split anywhere, with CRLF, comments and event names', async () => {
    const messages = [];
    for await (const message of sseMessages(
      from([
        ': keep-alive\r\n\r\nevent: ping\r\nda',
        'ta: {"a":1}\r\n',
        '\r\ndata: two\n',
        'data: lines\n\ndata: cut',
      ]),
    )) {
      messages.push({ event: message.event, data: message.data });
    }
    expect(messages).toEqual([
      { event: 'ping', data: '{"a":1}' },
      { event: undefined, data: 'two\nlines' },
    ]);
  });

  it('reads newline-delimited JSON split anywhere, keeping a complete last line without newline', async () => {
    const read = async (parts: string[]) => {
      const out = [];
      for await (const line of ndjsonValues(from(parts))) out.push(line);
      return out;
    };
    expect(await read(['{"a":', '1}\n\n{"b"', ':2}\nnot json\n{"c":3}'])).toEqual([
      { kind: 'value', value: { a: 1 } },
      { kind: 'value', value: { b: 2 } },
      { kind: 'invalid', line: 'not json' },
      { kind: 'value', value: { c: 3 } },
    ]);
    expect(await read(['{"a":1}\n{"b":'])).toEqual([{ kind: 'value', value: { a: 1 } }]);
  });
});
