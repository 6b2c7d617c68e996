/** The stored row of an event: what the event log writes. */
import type { NewSessionEvent } from '@prx-voice/storage';
import type { AnyVoiceEvent } from './voice-event.js';

/** The stored row of an event (what the log writes); `stored`: its stored JSON, default itself. */
export function eventToRow(
  event: AnyVoiceEvent,
  stored: Record<string, unknown> = event as unknown as Record<string, unknown>,
): NewSessionEvent {
  return {
    sessionId: event.prxsessionid,
    seq: event.prxseq,
    id: event.id,
    type: event.type,
    time: new Date(event.time),
    turnId: event.prxturnid ?? null,
    runId: event.prxrunid ?? null,
    severity: event.prxseverity,
    event: stored,
  };
}
