/** The list of transcript-bearing event fields and the redaction applied with it. */
import { describe, expect, it } from 'vitest';
import {
  EVENT_DATA_SCHEMAS,
  EVENT_TYPES,
  TRANSCRIPT_FIELDS,
  buildEvent,
  parseEvent,
} from '@prx-voice/event';
import type { AnyVoiceEvent, EventType } from '@prx-voice/event';
import { SAMPLE_EVENT_DATA } from '@prx-voice/event/testing';
import type { Principal } from '@prx-voice/policy';
import { createSequentialIdGenerator } from '@prx-voice/types';
import { REDACTED, redactTranscript, transcriptViewFor } from './transcript-redaction.js';

const ids = createSequentialIdGenerator();
const tenantId = ids.next('tenant');
const sessionId = ids.next('session');
const listed = TRANSCRIPT_FIELDS as Readonly<Partial<Record<EventType, readonly string[]>>>;

function sample(type: EventType): AnyVoiceEvent {
  return buildEvent({
    type,
    data: SAMPLE_EVENT_DATA[type],
    id: ids.next('event'),
    time: 1_700_000_000_000,
    instanceId: 'test-1',
    tenantId,
    sessionId,
    seq: 1,
  }) as AnyVoiceEvent;
}

function shapeOf(type: EventType): Record<string, { safeParse(v: unknown): { success: boolean } }> {
  const schema = EVENT_DATA_SCHEMAS[type] as unknown as { shape?: Record<string, never> };
  return schema.shape ?? {};
}

describe('transcript redaction', () => {
  it('lists only fields that exist in their schema and hold a string', () => {
    for (const [type, fields] of Object.entries(listed) as [EventType, readonly string[]][]) {
      expect(EVENT_TYPES).toContain(type);
      for (const f of fields) {
        const field = shapeOf(type)[f];
        expect(field, `${type} ${f}`).toBeDefined();
        expect(field?.safeParse(REDACTED).success, `${type} ${f}`).toBe(true);
      }
    }
  });

  it('misses no field named like text in any schema', () => {
    for (const type of EVENT_TYPES) {
      for (const f of Object.keys(shapeOf(type)).filter((k) => /(^|_)text$/.test(k)))
        expect(listed[type] ?? [], `${type} ${f}`).toContain(f);
    }
  });

  it('replaces the listed fields and the redacted event still parses; other events are unchanged', () => {
    for (const type of EVENT_TYPES) {
      const event = sample(type);
      const redacted = redactTranscript(event);
      expect(parseEvent(JSON.parse(JSON.stringify(redacted)))).toEqual(redacted);
      const data = redacted.data as Record<string, unknown>;
      const original = event.data as Record<string, unknown>;
      const fields = listed[type] ?? [];
      for (const f of fields) expect(data[f], `${type} ${f}`).toBe(REDACTED);
      for (const [k, v] of Object.entries(original))
        if (!fields.includes(k)) expect(data[k], `${type} ${k}`).toEqual(v);
      expect({ ...redacted, data: undefined }).toEqual({ ...event, data: undefined });
    }
  });

  it('leaves an absent optional field absent', () => {
    const event = { ...sample('prx.voice.interrupt.issued'), data: { reason: 'api' } };
    expect(redactTranscript(event as AnyVoiceEvent).data).toEqual({ reason: 'api' });
  });

  it('redacts for a principal without transcript:read only', () => {
    const who = (role: Principal['role']): Principal => ({
      tenantId,
      role,
      subject: 'k',
      kind: 'api_key',
    });
    const event = sample('prx.voice.turn.completed');
    expect(transcriptViewFor(who('workspace_viewer'))(event).data).toMatchObject({
      user_text: REDACTED,
      assistant_text: REDACTED,
    });
    expect(transcriptViewFor(who('workspace_developer'))(event)).toBe(event);
  });
});
