/** Waiting on the injected clock, cut short by an AbortSignal. */
import type { Clock } from '@prx-voice/core';

/**
 * Resolves after `ms` on `clock`, or as soon as `signal` aborts (check
 * `signal.aborted` afterwards). A delay of 0 or less resolves without a timer.
 */
export function clockDelay(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (!(ms > 0) || signal?.aborted === true) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      resolve();
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The next value of `iterator`, or `undefined` when `signal` aborts first; the
 * iterator is then asked to return (without waiting for it).
 */
export function nextUnlessAborted<T>(
  iterator: AsyncIterator<T>,
  signal: AbortSignal,
): Promise<IteratorResult<T> | undefined> {
  if (signal.aborted) {
    closeQuietly(iterator);
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      closeQuietly(iterator);
      resolve(undefined);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    iterator
      .next()
      .finally(() => {
        signal.removeEventListener('abort', onAbort);
      })
      .then(resolve, reject);
  });
}

/**
 * Reads `signal.aborted` afresh: after an `await` or `yield` it may have
 * changed, which TypeScript's narrowing of the property does not see.
 */
export function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

/** Asks an iterator to return without waiting for it or caring how it ends. */
export function closeQuietly<T>(iterator: AsyncIterator<T>): void {
  const result = iterator.return?.();
  if (result !== undefined) result.then(undefined, () => undefined);
}
