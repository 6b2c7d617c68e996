/** Live fan-out of events to subscribers, each with its own bounded queue. */
import { VoiceError } from '@prx-voice/types';
import { Subscriber } from './subscription.js';
import type { BusItem, Subscription, SubscriptionFilter } from './subscription.js';
import type { AnyVoiceEvent } from './voice-event.js';

/** Default per-subscriber queue length. */
export const DEFAULT_QUEUE_LIMIT = 1024;

/** Options of {@link createEventBus}. */
export interface EventBusOptions {
  /** Events a subscriber may have queued before it is cut off; default {@link DEFAULT_QUEUE_LIMIT}. */
  readonly queueLimit?: number;
}

/** Options of {@link EventBus.subscribe}. */
export interface SubscribeOptions extends SubscriptionFilter {
  /** Overrides the bus's queue limit for this subscriber. */
  readonly queueLimit?: number;
  /** Unsubscribes when aborted. */
  readonly signal?: AbortSignal;
}

/** Options of {@link EventBus.listen}. */
export interface ListenOptions extends SubscribeOptions {
  /** Called when the handler throws or rejects; the listener then stops. */
  readonly onError: (error: unknown) => void;
}

/** A callback subscriber. */
export interface Listener {
  /** Stops delivery at once. */
  unsubscribe(): void;
  /** Settles when delivery has ended (unsubscribed, cut off after the gap marker, bus closed, or handler error). */
  readonly done: Promise<void>;
}

/** Live event fan-out. */
export interface EventBus {
  /**
   * Offers the event to every matching subscriber's queue and returns at once;
   * never awaits, never throws because of a subscriber. A subscriber whose
   * queue is full is removed and ends with a gap marker. Unbound-safe (pass it as a sink).
   */
  readonly publish: (event: AnyVoiceEvent) => void;
  /** A new subscriber, read with `for await`. */
  subscribe(options?: SubscribeOptions): Subscription;
  /**
   * A callback subscriber: `handler` is called for each item, later than
   * `publish` (never inside it); a returned promise is awaited before the next
   * item, so a slow handler is cut off like a slow iterator.
   */
  listen(handler: (item: BusItem) => void | Promise<void>, options: ListenOptions): Listener;
  /** Live subscribers. */
  readonly subscriberCount: number;
  /** Ends every subscription after its queued items; later publishes are ignored. */
  close(): void;
}

function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `queueLimit must be a positive integer, got ${limit}`,
      details: { field: 'queueLimit' },
    });
  }
  return limit;
}

/**
 * Creates an event bus.
 *
 * @example
 * const bus = createEventBus({ queueLimit: 512 });
 * const sub = bus.subscribe({ sessionId, afterSeq: lastSeen });
 * for await (const item of sub) {
 *   if (isGapMarker(item)) break; // re-read from the log after item.afterSeq
 *   send(item);
 * }
 */
export function createEventBus(options: EventBusOptions = {}): EventBus {
  const defaultLimit = checkLimit(options.queueLimit ?? DEFAULT_QUEUE_LIMIT);
  const subscribers = new Set<Subscriber>();
  let closed = false;
  const detach = (s: Subscriber): void => {
    subscribers.delete(s);
  };

  const subscribe = (opts: SubscribeOptions = {}): Subscription => {
    if (opts.afterSeq !== undefined && opts.sessionId === undefined) {
      throw new VoiceError('VALIDATION_FAILED', {
        message: 'afterSeq needs a sessionId: sequence numbers are per session',
        details: { field: 'afterSeq' },
      });
    }
    const filter: SubscriptionFilter = {
      sessionId: opts.sessionId,
      tenantId: opts.tenantId,
      afterSeq: opts.afterSeq,
    };
    const sub = new Subscriber(filter, checkLimit(opts.queueLimit ?? defaultLimit), detach);
    if (closed) {
      sub.close();
      return sub;
    }
    subscribers.add(sub);
    const signal = opts.signal;
    if (signal !== undefined) {
      if (signal.aborted) sub.unsubscribe();
      else {
        signal.addEventListener(
          'abort',
          () => {
            sub.unsubscribe();
          },
          { once: true },
        );
      }
    }
    return sub;
  };

  return {
    publish: (event) => {
      if (closed) return;
      for (const sub of subscribers) sub.offer(event);
    },
    subscribe,
    listen(handler, opts) {
      const sub = subscribe(opts);
      const pump = async (): Promise<void> => {
        for await (const item of sub) await handler(item);
      };
      const done = pump().catch((error: unknown) => {
        sub.unsubscribe();
        opts.onError(error);
      });
      return {
        unsubscribe: () => {
          sub.unsubscribe();
        },
        done,
      };
    },
    get subscriberCount() {
      return subscribers.size;
    },
    close() {
      closed = true;
      for (const sub of [...subscribers]) sub.close();
    },
  };
}
