/** A recognition stream that failed before it could start. */
import type { AsrEvent, AsrStream } from '../../interfaces.js';
import { AsyncEventQueue } from '../../internal/async-queue.js';

/**
 * An ASR stream whose iteration throws `error` (so a failover chain sees the
 * failure where it reads events); pushes are ignored and `abort()` ends it quietly.
 */
export function failedAsrStream(error: Error): AsrStream {
  const queue = new AsyncEventQueue<AsrEvent>();
  queue.fail(error);
  return {
    push: () => undefined,
    finalize: () => undefined,
    end: () => undefined,
    abort: () => {
      queue.clear();
    },
    [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator](),
  };
}
