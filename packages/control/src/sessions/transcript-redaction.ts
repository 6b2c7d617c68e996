/**
 * What a credential without `transcript:read` sees of a session's events: every event (so
 * `prxseq` stays gap-free), with the fields that carry what the caller or the assistant said
 * replaced by {@link REDACTED}, so each event still validates against its schema.
 */
import { TRANSCRIPT_FIELDS } from '@prx-voice/event';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { authorize } from '@prx-voice/policy';
import type { Principal } from '@prx-voice/policy';

/** What a redacted field holds instead of the text. */
export const REDACTED = '[redacted]';

const FIELDS: Readonly<Partial<Record<string, readonly string[]>>> = TRANSCRIPT_FIELDS;

/** The event with its transcript-bearing fields replaced by {@link REDACTED} (absent ones stay absent). */
export function redactTranscript(event: AnyVoiceEvent): AnyVoiceEvent {
  const fields = FIELDS[event.type];
  if (fields === undefined) return event;
  const data: Record<string, unknown> = { ...(event.data as Record<string, unknown>) };
  for (const f of fields) if (typeof data[f] === 'string') data[f] = REDACTED;
  return { ...event, data } as AnyVoiceEvent;
}

/** How a principal sees events: unchanged with `transcript:read`, else redacted. */
export function transcriptViewFor(principal: Principal): (event: AnyVoiceEvent) => AnyVoiceEvent {
  return authorize(principal, 'transcript:read').kind === 'allowed'
    ? (event) => event
    : redactTranscript;
}
