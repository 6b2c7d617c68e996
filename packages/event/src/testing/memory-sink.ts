/** An in-memory event sink for emitter tests. */
import type { EventSink } from '../session-emitter.js';
import type { AnyVoiceEvent } from '../voice-event.js';

/** A sink and what it received. */
export interface MemorySink {
  readonly sink: EventSink;
  readonly events: readonly AnyVoiceEvent[];
}

/**
 * A sink that keeps every event.
 *
 * @example
 * const mem = createMemorySink();
 * const emitter = createSessionEmitter({ ..., sink: mem.sink });
 */
export function createMemorySink(): MemorySink {
  const events: AnyVoiceEvent[] = [];
  return { sink: (event) => void events.push(event), events };
}
