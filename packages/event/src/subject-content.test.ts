/**
 * A data subject's content in the event log: the table of content fields, events served
 * with erased content (`prxerased`) still parse — for content fields only — and the log
 * runs its codec once per written batch and per read page, retrying a failed encode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { openTestDatabase } from '@prx-voice/storage/testing';
import type { TestDatabase } from '@prx-voice/storage/testing';
import { VoiceError, createSequentialIdGenerator } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { buildEvent } from './build-event.js';
import { EVENT_TYPES } from './event-types.js';
import { createEventLog } from './event-log.js';
import type { EventLogCodec, EventLogFailure } from './event-log.js';
import { parseEvent } from './parse-event.js';
import { createSessionEmitter } from './session-emitter.js';
import { SUBJECT_CONTENT_FIELDS, erasedFields, subjectContentFields } from './subject-content.js';
import { createMemorySink } from './testing/memory-sink.js';

const ids = createSequentialIdGenerator(Date.UTC(2026, 0, 1));
const TENANT = ids.next('tenant');
const SESSION = ids.next('session');

function turnCompleted(): Record<string, unknown> {
  return buildEvent({
    type: 'prx.voice.turn.completed',
    tenantId: TENANT,
    sessionId: SESSION,
    seq: 7,
    instanceId: 'node-1',
    id: ids.next('event'),
    time: Date.UTC(2026, 0, 1),
    data: {
      turn_id: ids.next('turn'),
      user_text: 'mail jane@example.com',
      assistant_text: 'You said: mail jane@example.com',
      interrupted: false,
      latency: {
        asr_ms: 1,
        agent_first_token_ms: 2,
        tts_first_audio_ms: 3,
        first_audio_sent_ms: 4,
        voice_to_voice_ms: 10,
      },
    },
  }) as unknown as Record<string, unknown>;
}

describe('subject content fields', () => {
  it('names only known event types and fields the schemas have', () => {
    for (const type of Object.keys(SUBJECT_CONTENT_FIELDS)) expect(EVENT_TYPES).toContain(type);
    expect(subjectContentFields('prx.voice.turn.completed')).toEqual([
      'user_text',
      'assistant_text',
    ]);
    expect(subjectContentFields('prx.voice.session.state_changed')).toEqual([]);
    expect(subjectContentFields('com.example.other')).toEqual([]);
  });

  it('parses an event whose content was erased, and only its content', () => {
    const e = turnCompleted();
    const data = e['data'] as Record<string, unknown>;
    const erased = {
      ...e,
      prxerased: 'user_text,assistant_text',
      data: { ...data, user_text: null, assistant_text: null },
    };
    expect(erasedFields(erased)).toEqual(['user_text', 'assistant_text']);
    expect(parseEvent(erased).data).toMatchObject({ user_text: null, interrupted: false });
    // Without the marker, null is not a transcript.
    const { prxerased: _marker, ...unmarked } = erased;
    expect(() => parseEvent(unmarked)).toThrow(/data.user_text/);
    // The marker does not excuse fields that are not content.
    expect(() =>
      parseEvent({
        ...erased,
        prxerased: 'user_text,assistant_text,turn_id',
        data: { ...erased.data, turn_id: null },
      }),
    ).toThrow(/data.turn_id/);
  });
});

describe('the event log with a codec', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase({ ids });
  });
  afterAll(() => db.close());

  it('encodes once per batch, stores what it encoded, decodes what it reads, retries a failed encode', async () => {
    const tenant = await db.repos.tenants.create({ slug: 'codec', name: 'C', tier: 'free' });
    const tenantId = tenant.id as TenantId;
    const t = db.repos.forTenant(tenantId);
    const sessionId = (
      await t.sessions.create({
        state: 'Idle',
        channel: 'websocket',
        direction: 'inbound',
        language: 'en-US',
      })
    ).id as SessionId;
    const calls = { encode: [] as number[], decode: 0 };
    let failNext = 1;
    // A toy codec: the text moves into an attribute, base64-encoded.
    const codec: EventLogCodec = {
      encode(_t, _s, events) {
        calls.encode.push(events.length);
        if (failNext-- > 0) return Promise.reject(new VoiceError('STORAGE_UNAVAILABLE'));
        return Promise.resolve(
          events.map((e) => {
            const data = e['data'] as { text: string };
            return {
              ...e,
              prxhidden: Buffer.from(data.text).toString('base64'),
              data: { text: '' },
            };
          }),
        );
      },
      decode(_t, _s, stored) {
        calls.decode++;
        return Promise.resolve(
          stored.map((e) => {
            const { prxhidden, ...rest } = e as { prxhidden: string };
            return { ...rest, data: { text: Buffer.from(prxhidden, 'base64').toString() } };
          }),
        );
      },
    };
    const clock = new SimulatedClock();
    const failures: EventLogFailure[] = [];
    const log = createEventLog({
      repos: db.repos,
      clock,
      batchSize: 4,
      codec,
      onError: (_e, f) => {
        failures.push(f);
        queueMicrotask(() => clock.advance(f.retryInMs));
      },
    });
    const mem = createMemorySink();
    const emitter = createSessionEmitter({
      tenantId,
      sessionId,
      instanceId: 'node-1',
      clock,
      ids,
      sink: [mem.sink, log.append],
    });
    for (let i = 0; i < 6; i++) emitter.emit('prx.voice.agent.token_stream', { text: `word${i} ` });
    clock.advance(25);
    await log.flush();
    expect(failures).toHaveLength(1); // the failed encode was a failed write, retried
    expect(calls.encode).toEqual([4, 4, 2]);
    const raw = await t.events.readAfter(sessionId, 0);
    expect(JSON.stringify(raw)).not.toContain('word');
    expect(raw[0]?.event['prxhidden']).toBe(Buffer.from('word0 ').toString('base64'));
    expect(await log.readAfter(tenantId, sessionId, 0)).toEqual(mem.events);
    expect(calls.decode).toBe(1);
  });
});
