import type { EventType, SessionEmitter } from '@prx-voice/event';
import type { RunId, TurnId } from '@prx-voice/types';
import type { EmittedEvent } from './actor-types.js';

/**
 * Connects a session actor's events to the event package's session emitter,
 * which stamps the CloudEvents envelope, validates the payload against its
 * schema and assigns the gap-free `prxseq`.
 */
export function emitterSink(emitter: SessionEmitter): (event: EmittedEvent) => void {
  return (e) => {
    emitter.emit(e.type as EventType, e.data, {
      ...(e.turnId === undefined ? {} : { turnId: e.turnId as TurnId }),
      ...(e.runId === undefined ? {} : { runId: e.runId as RunId }),
      ...(e.severity === undefined ? {} : { severity: e.severity }),
    });
  };
}
