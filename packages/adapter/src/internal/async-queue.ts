/**
 * A single-consumer queue exposed as an AsyncIterable: producers push events
 * synchronously, the consumer awaits them in order. The streams of the ASR
 * providers are built on it.
 */
import { VoiceError } from '@prx-voice/types';

interface Waiter<T> {
  readonly resolve: (result: IteratorResult<T>) => void;
  readonly reject: (error: unknown) => void;
}

/** Push-based async iterable with one consumer; see the file note. */
export class AsyncEventQueue<T> implements AsyncIterable<T> {
  readonly #items: (T | undefined)[] = [];
  #head = 0;
  /** No more pushes; the iteration ends once the buffer is drained. */
  #ended = false;
  #failure: { readonly error: Error } | undefined;
  #waiter: Waiter<T> | undefined;
  #iterated = false;
  readonly #onReturn: (() => void) | undefined;

  /** `onReturn` runs when the consumer stops early (`break` out of `for await`). */
  constructor(onReturn?: () => void) {
    this.#onReturn = onReturn;
  }

  /** Whether `end`, `fail` or `clear` was called. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Adds an event; ignored once the queue has ended. */
  push(value: T): void {
    if (this.#ended) return;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve({ value, done: false });
      return;
    }
    this.#items.push(value);
  }

  /** Ends the iteration after the buffered events. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#settleWaiter();
  }

  /** Makes the iteration throw `error` after the buffered events. */
  fail(error: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#failure = { error };
    this.#settleWaiter();
  }

  /** Drops the buffered events and ends the iteration at once (without throwing). */
  clear(): void {
    this.#items.length = 0;
    this.#head = 0;
    this.#failure = undefined;
    this.#ended = true;
    this.#settleWaiter();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#iterated) {
      throw new VoiceError('VALIDATION_FAILED', {
        message: 'This stream can be iterated only once.',
      });
    }
    this.#iterated = true;
    return {
      next: () => this.#next(),
      return: () => {
        const wasEnded = this.#ended;
        this.clear();
        if (!wasEnded) this.#onReturn?.();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  #next(): Promise<IteratorResult<T>> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head] as T;
      this.#items[this.#head] = undefined;
      this.#head += 1;
      if (this.#head === this.#items.length) {
        this.#items.length = 0;
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    const failure = this.#failure;
    if (failure !== undefined) {
      this.#failure = undefined;
      return Promise.reject(failure.error);
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    if (this.#waiter !== undefined) {
      return Promise.reject(
        new VoiceError('VALIDATION_FAILED', {
          message: 'next() was called again before the previous call settled.',
        }),
      );
    }
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  #settleWaiter(): void {
    const waiter = this.#waiter;
    if (waiter === undefined || this.#head < this.#items.length) return;
    this.#waiter = undefined;
    const failure = this.#failure;
    if (failure !== undefined) {
      this.#failure = undefined;
      waiter.reject(failure.error);
    } else {
      waiter.resolve({ value: undefined, done: true });
    }
  }
}
