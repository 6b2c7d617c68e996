/** Per-session sequencing: gap-free `prxseq` from 1, assigned synchronously at emit. */
import { VoiceError } from '@prx-voice/types';
import type { IdGenerator, RunId, SessionId, Severity, TenantId, TurnId } from '@prx-voice/types';
import type { Clock } from '@prx-voice/core';
import { buildEvent } from './build-event.js';
import type { EventDataMap } from './data-schemas.js';
import type { EventType } from './event-types.js';
import type { AnyVoiceEvent, VoiceEvent } from './voice-event.js';

/** Receives every event a session emits, in `prxseq` order; must not block (queue, don't await). */
export type EventSink = (event: AnyVoiceEvent) => void;

/** Per-event options of {@link SessionEmitter.emit}. */
export interface EmitOptions {
  readonly turnId?: TurnId | undefined;
  readonly runId?: RunId | undefined;
  /** Overrides the type's default severity. */
  readonly severity?: Severity | undefined;
  /** W3C trace context; defaults to the emitter's `traceparent` (for this event's turn). */
  readonly traceparent?: string | undefined;
}

/** Options of {@link createSessionEmitter}. */
export interface SessionEmitterOptions {
  readonly tenantId: TenantId;
  readonly sessionId: SessionId;
  /** This instance's id, part of every event's `source`. */
  readonly instanceId: string;
  /** Time source of `time`. */
  readonly clock: Pick<Clock, 'now'>;
  /** Source of the events' `evt_…` IDs. */
  readonly ids: IdGenerator;
  /** Where events go: the bus, the durable log, … each gets every event in order. */
  readonly sink: EventSink | readonly EventSink[];
  /** The last `prxseq` already emitted, to resume a session after a restart; default 0. */
  readonly lastSeq?: number;
  /**
   * The W3C `traceparent` of the session's events: one for all, or asked per event
   * with its turn (a tracer's turn span, else its session span).
   */
  readonly traceparent?: string | ((turnId: TurnId | undefined) => string | undefined);
  /**
   * Called when a sink throws (the event has its seq and reached the other
   * sinks). Without it, the first sink error is rethrown from `emit`.
   */
  readonly onSinkError?: (error: unknown, event: AnyVoiceEvent) => void;
  /**
   * Whether each event's `data` is checked against its schema, for fields it lacks, and
   * frozen (default true; see `buildEvent`'s `checkData`). A server trusting its own typed
   * code turns it off: about half of an event's cost.
   */
  readonly checkData?: boolean;
}

/** Emits one session's events with gap-free sequence numbers. */
export interface SessionEmitter {
  readonly tenantId: TenantId;
  readonly sessionId: SessionId;
  /** The `prxseq` of the last event emitted (0 before the first). */
  readonly lastSeq: number;
  /**
   * Builds the next event (seq = lastSeq + 1, time from the clock, a new ID)
   * and hands it to every sink before returning it. Synchronous, so events
   * emitted in one tick keep their order. A validation error consumes no seq.
   */
  emit<T extends EventType>(type: T, data: EventDataMap[T], options?: EmitOptions): VoiceEvent<T>;
  /**
   * Adds a sink called synchronously, after the others, for every later event
   * (e.g. the socket a client attached, so events and audio leave in the order
   * they happen); returns its removal.
   */
  addSink(sink: EventSink): () => void;
}

/**
 * Creates a session's emitter.
 *
 * @example
 * const emitter = createSessionEmitter({ tenantId, sessionId, instanceId, clock, ids, sink: [bus.publish, log.append] });
 * emitter.emit('prx.voice.session.state_changed', { from: 'Idle', to: 'Connecting', trigger: 'session_create' });
 */
export function createSessionEmitter(options: SessionEmitterOptions): SessionEmitter {
  const { tenantId, sessionId, instanceId, clock, ids, onSinkError } = options;
  const checkData = options.checkData ?? true;
  const traceparentOf = options.traceparent;
  // Replaced, never changed in place: an emit in progress keeps the list it started with.
  let sinks: readonly EventSink[] =
    typeof options.sink === 'function' ? [options.sink] : [...options.sink];
  let lastSeq = options.lastSeq ?? 0;
  if (!Number.isSafeInteger(lastSeq) || lastSeq < 0) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `lastSeq must be a non-negative integer, got ${lastSeq}`,
      details: { field: 'lastSeq' },
    });
  }

  return {
    tenantId,
    sessionId,
    get lastSeq() {
      return lastSeq;
    },
    emit(type, data, emitOptions = {}) {
      const event = buildEvent({
        type,
        data,
        id: ids.next('event'),
        time: clock.now(),
        instanceId,
        tenantId,
        sessionId,
        seq: lastSeq + 1,
        turnId: emitOptions.turnId,
        runId: emitOptions.runId,
        severity: emitOptions.severity,
        traceparent:
          emitOptions.traceparent ??
          (typeof traceparentOf === 'function' ? traceparentOf(emitOptions.turnId) : traceparentOf),
        checkData,
      });
      lastSeq = event.prxseq;
      let failure: { error: unknown } | undefined;
      for (const sink of sinks) {
        try {
          sink(event as AnyVoiceEvent);
        } catch (error) {
          if (onSinkError !== undefined) onSinkError(error, event as AnyVoiceEvent);
          else failure ??= { error };
        }
      }
      if (failure !== undefined) throw failure.error;
      return event;
    },
    addSink(sink) {
      sinks = [...sinks, sink];
      return () => {
        sinks = sinks.filter((s) => s !== sink);
      };
    },
  };
}
