/** One bus subscriber: a bounded queue read as an AsyncIterable, cut off with a gap marker on overflow. */
import type { SessionId, TenantId } from '@prx-voice/types';
import { RingBuffer } from './ring-buffer.js';
import type { AnyVoiceEvent } from './voice-event.js';

/**
 * Ends a subscriber's iteration when it fell behind: events after `afterSeq`
 * of `sessionId` (and anything later) were not delivered; read them from the
 * durable log and subscribe again.
 */
export interface GapMarker {
  readonly kind: 'gap';
  /** The session of the first event that did not fit. */
  readonly sessionId: SessionId;
  /** The last `prxseq` of that session the subscriber was given (0 if none). */
  readonly afterSeq: number;
  readonly reason: 'slow_consumer';
}

/** What a subscription yields: events in publish order, possibly ending with one gap marker. */
export type BusItem = AnyVoiceEvent | GapMarker;

/** Whether a bus item is the gap marker. */
export function isGapMarker(item: BusItem): item is GapMarker {
  return (item as { kind?: unknown }).kind === 'gap';
}

/** Which events a subscriber wants. */
export interface SubscriptionFilter {
  /** Only this session's events. */
  readonly sessionId?: SessionId | undefined;
  /** Only this tenant's events. */
  readonly tenantId?: TenantId | undefined;
  /** Only events with `prxseq` above this (requires `sessionId`). */
  readonly afterSeq?: number | undefined;
}

/** A live subscription; iterate it once (`for await`), or end it with `unsubscribe`. */
export interface Subscription extends AsyncIterableIterator<BusItem, undefined> {
  /** True once nothing more will be queued (unsubscribed, cut off, or the bus closed). */
  readonly closed: boolean;
  /** Items queued and not yet read. */
  readonly pending: number;
  /** Stops at once: queued items are dropped and the iteration ends. Idempotent. */
  unsubscribe(): void;
}

type Waiter = (result: IteratorResult<BusItem, undefined>) => void;

const DONE: IteratorResult<BusItem, undefined> = Object.freeze({ done: true, value: undefined });

/** The bus's side of a subscription. */
export class Subscriber implements Subscription {
  readonly #filter: SubscriptionFilter;
  readonly #queue: RingBuffer<AnyVoiceEvent>;
  readonly #detach: (s: Subscriber) => void;
  readonly #lastSeqs = new Map<SessionId, number>();
  readonly #waiters: Waiter[] = [];
  #gap: GapMarker | undefined;
  #closed = false;

  /** A subscriber with a queue of `queueLimit` events; `detach` removes it from its bus. */
  constructor(filter: SubscriptionFilter, queueLimit: number, detach: (s: Subscriber) => void) {
    this.#filter = filter;
    this.#queue = new RingBuffer(queueLimit);
    this.#detach = detach;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get pending(): number {
    return this.#queue.size + (this.#gap === undefined ? 0 : 1);
  }

  /** Offers a published event; never blocks. Overflow cuts the subscriber off. */
  offer(event: AnyVoiceEvent): void {
    if (this.#closed) return;
    const f = this.#filter;
    if (f.sessionId !== undefined && event.prxsessionid !== f.sessionId) return;
    if (f.tenantId !== undefined && event.prxtenantid !== f.tenantId) return;
    if (f.afterSeq !== undefined && event.prxseq <= f.afterSeq) return;
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      this.#delivered(event);
      waiter({ done: false, value: event });
    } else if (this.#queue.push(event)) {
      this.#delivered(event);
    } else {
      const sessionId = event.prxsessionid;
      this.#gap = {
        kind: 'gap',
        sessionId,
        afterSeq: this.#lastSeqs.get(sessionId) ?? f.afterSeq ?? 0,
        reason: 'slow_consumer',
      };
      this.#end();
    }
  }

  /** Ends gracefully: what is queued is still delivered, then the iteration ends. */
  close(): void {
    if (!this.#closed) this.#end();
  }

  unsubscribe(): void {
    this.#queue.clear();
    this.#gap = undefined;
    if (!this.#closed) this.#end();
  }

  next(): Promise<IteratorResult<BusItem, undefined>> {
    const event = this.#queue.shift();
    if (event !== undefined) return Promise.resolve({ done: false, value: event });
    const gap = this.#gap;
    if (gap !== undefined) {
      this.#gap = undefined;
      return Promise.resolve({ done: false, value: gap });
    }
    if (this.#closed) return Promise.resolve(DONE);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  return(): Promise<IteratorResult<BusItem, undefined>> {
    this.unsubscribe();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #delivered(event: AnyVoiceEvent): void {
    if (event.type === 'prx.voice.session.closed' || event.type === 'prx.voice.session.failed') {
      this.#lastSeqs.delete(event.prxsessionid);
    } else {
      this.#lastSeqs.set(event.prxsessionid, event.prxseq);
    }
  }

  #end(): void {
    this.#closed = true;
    this.#detach(this);
    // Waiters wait only while the queue is empty, and a gap needs a full queue: they get the end.
    for (const waiter of this.#waiters.splice(0)) waiter(DONE);
  }
}
