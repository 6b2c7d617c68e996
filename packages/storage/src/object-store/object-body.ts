import { VoiceError } from '@prx-voice/types';
import type { ObjectBody } from './object-store.js';

const encoder = new TextEncoder();

/** A streamed body whose own failures can be told apart from the backend's. */
export interface TrackedBody {
  /** The chunks, each checked to be a `Uint8Array`. */
  readonly chunks: AsyncIterable<Uint8Array> | readonly Uint8Array[];
  /** The error the body itself threw (or a VALIDATION_FAILED for a bad chunk), if any. */
  failure(): { readonly error: unknown } | undefined;
}

/** A body as bytes (a string is UTF-8 encoded) or a stream; `VALIDATION_FAILED` for anything else. */
export function normalizeBody(body: ObjectBody): Uint8Array | AsyncIterable<Uint8Array> {
  if (typeof body === 'string') return encoder.encode(body);
  if (body instanceof Uint8Array) return body;
  if (isAsyncIterable(body)) return body;
  throw new VoiceError('VALIDATION_FAILED', {
    message: 'Invalid object body: expected a Uint8Array, a string or an AsyncIterable<Uint8Array>',
    details: { field: 'body' },
  });
}

/**
 * Wraps a streamed body so that an error it throws is remembered for the caller to
 * rethrow; bytes become a single chunk.
 */
export function trackBody(body: Uint8Array | AsyncIterable<Uint8Array>): TrackedBody {
  if (body instanceof Uint8Array) return { chunks: [body], failure: () => undefined };
  const stream: AsyncIterable<Uint8Array> = body;
  let failure: { error: unknown } | undefined;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    const it = stream[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await it.next();
      } catch (error) {
        failure = { error };
        throw error;
      }
      if (next.done === true) return;
      const chunk: unknown = next.value;
      if (!(chunk instanceof Uint8Array)) {
        failure = {
          error: new VoiceError('VALIDATION_FAILED', {
            message: 'Invalid object body: a streamed chunk is not a Uint8Array',
            details: { field: 'body' },
          }),
        };
        await it.return?.();
        throw failure.error;
      }
      if (chunk.length > 0) yield chunk;
    }
  }
  return { chunks: chunks(), failure: () => failure };
}

/** Reads a stream of chunks into one array. */
export async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    parts.push(chunk);
    size += chunk.length;
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Whether a value can be iterated with `for await`. */
export function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function'
  );
}
