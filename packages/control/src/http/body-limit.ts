/**
 * The request body limit: a declared `Content-Length` over the limit is refused
 * at once, and the body actually read is counted too, so a lying or missing
 * `Content-Length` cannot get a larger body past. The body is buffered (the API
 * takes small JSON bodies), so handlers read it as usual.
 */
import type { MiddlewareHandler } from 'hono';
import { VoiceError } from '@prx-voice/types';
import type { ControlEnv } from './context.js';
import { internalMiddleware } from './route-match.js';

function tooLarge(maxBytes: number): VoiceError {
  return new VoiceError('PAYLOAD_TOO_LARGE', {
    message: `The body is larger than ${maxBytes} bytes.`,
    details: { max_bytes: maxBytes },
  });
}

/** Reads a stream to its end, refusing it as soon as it passes `maxBytes`. */
export async function readLimited(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** Whether a request's `Content-Length` claims more than `maxBytes`. */
function declaresTooMuch(declared: string | undefined, maxBytes: number): boolean {
  return declared !== undefined && /^\d+$/.test(declared.trim()) && Number(declared) > maxBytes;
}

/**
 * Middleware refusing at once a request whose `Content-Length` claims more than
 * `maxBytes` (`PAYLOAD_TOO_LARGE`) — mounted before authentication, so the answer
 * never waits on a credential lookup while the client is still sending (or has
 * stopped sending) a body that will be refused anyway.
 */
export function declaredLengthMiddleware(maxBytes: number): MiddlewareHandler<ControlEnv> {
  return internalMiddleware<MiddlewareHandler<ControlEnv>>(async (c, next) => {
    if (declaresTooMuch(c.req.header('content-length'), maxBytes)) throw tooLarge(maxBytes);
    await next();
  });
}

/** Middleware enforcing `maxBytes` on every request body (`PAYLOAD_TOO_LARGE`). */
export function bodyLimitMiddleware(maxBytes: number): MiddlewareHandler<ControlEnv> {
  return internalMiddleware<MiddlewareHandler<ControlEnv>>(async (c, next) => {
    const raw = c.req.raw;
    if (raw.body === null) {
      await next();
      return;
    }
    if (declaresTooMuch(c.req.header('content-length'), maxBytes)) throw tooLarge(maxBytes);
    const bytes = await readLimited(raw.body, maxBytes);
    // A new Request from the parts: the original's body stream is consumed now.
    c.req.raw = new Request(raw.url, {
      method: raw.method,
      headers: raw.headers,
      signal: raw.signal,
      body: bytes.byteLength === 0 ? null : bytes,
    });
    await next();
  });
}
