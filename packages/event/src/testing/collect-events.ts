/** Collecting what a bus subscriber receives, with promises to wait on. */
import type { EventBus, SubscribeOptions } from '../event-bus.js';
import type { EventType } from '../event-types.js';
import { isGapMarker } from '../subscription.js';
import type { BusItem, GapMarker } from '../subscription.js';
import type { AnyVoiceEvent, VoiceEvent } from '../voice-event.js';

/** What {@link collectEvents} returns. */
export interface EventCollector {
  /** Everything received, events and the gap marker, in order. */
  readonly items: readonly BusItem[];
  /** The events received, in order. */
  readonly events: readonly AnyVoiceEvent[];
  /** The gap marker, once received. */
  readonly gap: GapMarker | undefined;
  /** Resolves once `predicate(events)` holds; rejects if the subscription ends first. */
  waitFor(
    predicate: (events: readonly AnyVoiceEvent[]) => boolean,
  ): Promise<readonly AnyVoiceEvent[]>;
  /** Resolves once at least `count` events have arrived. */
  waitForCount(count: number): Promise<readonly AnyVoiceEvent[]>;
  /** Resolves with the first event of `type` (already received or to come). */
  waitForType<T extends EventType>(type: T): Promise<VoiceEvent<T>>;
  /** Unsubscribes. */
  stop(): void;
  /** Settles when the subscription has ended. */
  readonly done: Promise<void>;
}

interface Wait {
  readonly predicate: (events: readonly AnyVoiceEvent[]) => boolean;
  readonly resolve: (events: readonly AnyVoiceEvent[]) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Subscribes to `bus` and records everything delivered.
 *
 * @example
 * const seen = collectEvents(bus, { sessionId });
 * emitter.emit('prx.voice.session.pong', {});
 * await seen.waitForType('prx.voice.session.pong');
 */
export function collectEvents(bus: EventBus, options: SubscribeOptions = {}): EventCollector {
  const sub = bus.subscribe(options);
  const items: BusItem[] = [];
  const events: AnyVoiceEvent[] = [];
  let gap: GapMarker | undefined;
  let ended = false;
  let waits: Wait[] = [];

  const check = (): void => {
    const open: Wait[] = [];
    for (const w of waits) {
      if (w.predicate(events)) w.resolve(events);
      else if (ended) {
        w.reject(
          new Error(
            `subscription ended after ${events.length} events before the awaited condition held`,
          ),
        );
      } else open.push(w);
    }
    waits = open;
  };

  const done = (async () => {
    try {
      for await (const item of sub) {
        items.push(item);
        if (isGapMarker(item)) gap = item;
        else events.push(item);
        check();
      }
    } finally {
      ended = true;
      check();
    }
  })();

  const waitFor = (
    predicate: (events: readonly AnyVoiceEvent[]) => boolean,
  ): Promise<readonly AnyVoiceEvent[]> =>
    new Promise((resolve, reject) => {
      waits.push({ predicate, resolve, reject });
      check();
    });

  return {
    items,
    events,
    get gap() {
      return gap;
    },
    waitFor,
    waitForCount: (count) => waitFor((e) => e.length >= count),
    async waitForType<T extends EventType>(type: T) {
      const found = await waitFor((e) => e.some((x) => x.type === type));
      return found.find((x) => x.type === type) as VoiceEvent<T>;
    },
    stop: () => {
      sub.unsubscribe();
    },
    done,
  };
}
