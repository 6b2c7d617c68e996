/**
 * A data subject's content in the session event log: sealed field by field with the
 * subject's key before it is stored (the rest of the event stays clear), opened back to
 * exactly the event emitted, bound to its event, and served erased — never an error — once
 * the key is gone; clear events of an erased subject are rewritten erased.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { openTestDatabase, testDatabaseKinds } from '@prx-voice/storage/testing';
import type { TestDatabase } from '@prx-voice/storage/testing';
import type { SessionId, TenantId } from '@prx-voice/types';
import {
  ERASED_ATTRIBUTE,
  SEALED_ATTRIBUTE,
  SEALED_FIELDS_ATTRIBUTE,
  erasedEvent,
  eventAad,
  openEventContent,
  sealEventContent,
} from './event-content.js';
import type { EventJson } from './event-content.js';
import { createEventSealing } from './event-sealing.js';
import { newDataKey } from './sealing.js';
import { createSubjectKeys } from './subject-keys.js';

const FIELDS: Record<string, readonly string[]> = {
  'prx.voice.turn.completed': ['user_text', 'assistant_text'],
  'prx.voice.agent.tool_result': ['result', 'error.message'],
  'prx.voice.asr.transcript_final': ['text'],
};
const fieldsOf = (type: string): readonly string[] => FIELDS[type] ?? [];
const SECRET = 'call me on +1 415 555 0100 or jane@example.com';

/** Event ids are unique across the database: each test's session has its own prefix. */
let ns = 0;

function event(seq: number, type: string, data: Record<string, unknown>): EventJson {
  return {
    specversion: '1.0',
    id: `evt_${String(ns).padStart(4, '0')}${String(seq).padStart(22, '0')}`,
    type,
    prxseq: seq,
    prxseverity: 'info',
    time: '2029-01-01T00:00:00.000Z',
    data,
  };
}

const turn = (seq: number): EventJson =>
  event(seq, 'prx.voice.turn.completed', {
    turn_id: 'turn_1',
    user_text: SECRET,
    assistant_text: `You said: ${SECRET}`,
    interrupted: false,
    latency: { asr_ms: 10 },
  });

describe('event content (pure)', () => {
  const key = newDataKey();

  it('seals the content fields only, and opens back to the very event', () => {
    const e = turn(3);
    const stored = sealEventContent(key, e, fieldsOf(String(e['type'])), 'aad');
    expect(JSON.stringify(stored)).not.toContain('555');
    expect(stored['data']).toMatchObject({
      user_text: null,
      assistant_text: null,
      turn_id: 'turn_1',
    });
    expect(stored[SEALED_FIELDS_ATTRIBUTE]).toBe('user_text,assistant_text');
    expect(String(stored[SEALED_ATTRIBUTE])).toMatch(/^sealed:v1:/);
    expect(openEventContent(key, stored, 'aad')).toEqual(e);
    // Another event's aad (a sealed value moved between rows) does not open.
    expect(() => openEventContent(key, stored, 'other')).toThrow(/does not authenticate/);
    // Without the key: erased, named.
    const erased = openEventContent(undefined, stored, 'aad');
    expect(erased[ERASED_ATTRIBUTE]).toBe('user_text,assistant_text');
    expect(erased[SEALED_ATTRIBUTE]).toBeUndefined();
    expect(erased['data']).toMatchObject({ user_text: null, assistant_text: null });
  });

  it('seals nested fields, leaves absent ones absent and events without content as they are', () => {
    const failed = event(4, 'prx.voice.agent.tool_result', {
      call_id: 'c1',
      name: 'lookup',
      duration_ms: 3,
      ok: false,
      error: { code: 'TOOL_FAILED', message: `no account for ${SECRET}` },
    });
    const stored = sealEventContent(key, failed, fieldsOf('prx.voice.agent.tool_result'), 'a');
    expect(stored[SEALED_FIELDS_ATTRIBUTE]).toBe('error.message');
    expect(stored['data']).toMatchObject({ error: { code: 'TOOL_FAILED', message: null } });
    expect(failed['data']).toMatchObject({ error: { message: `no account for ${SECRET}` } });
    expect(openEventContent(key, stored, 'a')).toEqual(failed);
    const plain = event(5, 'prx.voice.session.state_changed', { from: 'Idle', to: 'Listening' });
    expect(sealEventContent(key, plain, fieldsOf(String(plain['type'])), 'a')).toBe(plain);
    // A clear event of an erased subject: its content erased in place.
    expect(erasedEvent(turn(6), fieldsOf('prx.voice.turn.completed'))).toMatchObject({
      [ERASED_ATTRIBUTE]: 'user_text,assistant_text',
      data: { user_text: null, assistant_text: null, interrupted: false },
    });
  });
});

describe.each(testDatabaseKinds())('event sealing on %s', (kind) => {
  const clock = new SimulatedClock({ start: Date.UTC(2029, 0, 1) });
  let db: TestDatabase;
  const master = newDataKey();

  beforeAll(async () => {
    db = await openTestDatabase({ clock, kind });
  }, 60_000);
  afterAll(() => db.close());

  async function setup(opts: { subject: boolean; masterKey?: Uint8Array }) {
    ns++;
    const row = await db.repos.tenants.create({
      slug: `t${String(Math.random()).slice(2, 10)}`,
      name: 't',
      tier: 'growth',
      settings: {},
    });
    const tenantId = row.id as TenantId;
    const t = db.repos.forTenant(tenantId);
    const subjects = createSubjectKeys({
      repos: db.repos,
      metadataKeys: ['caller_number'],
      ...(opts.masterKey === undefined ? {} : { masterKey: opts.masterKey }),
    });
    const subject = subjects.subjectOf(tenantId, { caller_number: '+14155550100' });
    const session = await t.sessions.create({
      channel: 'websocket',
      direction: 'inbound',
      state: 'Idle',
      language: 'en-US',
      providers: {},
      instanceId: 'i-1',
      ...(opts.subject && subject !== undefined ? { subjectRef: subject.ref } : {}),
    });
    const sessionId = session.id as SessionId;
    let lookups = 0;
    const counted = {
      ...subjects,
      sealingKey: (tid: TenantId, ref: string) => {
        lookups++;
        return subjects.sealingKey(tid, ref);
      },
    };
    const failures: unknown[] = [];
    const sealing = createEventSealing({
      subjects: counted,
      repos: db.repos,
      fieldsOf,
      onOpenFailed: (err) => failures.push(err),
    });
    const store = async (events: readonly EventJson[]) => {
      const stored = await sealing.encode(tenantId, sessionId, events);
      await t.events.append(
        stored.map((e) => ({
          sessionId,
          seq: e['prxseq'] as number,
          id: e['id'] as string,
          type: e['type'] as string,
          time: new Date(e['time'] as string),
          severity: 'info',
          event: e,
        })),
      );
    };
    const raw = async () => (await t.events.readAfter(sessionId, 0)).map((r) => r.event);
    return {
      tenantId,
      sessionId,
      subjects,
      subject,
      sealing,
      store,
      raw,
      failures,
      lookups: () => lookups,
      t,
    };
  }

  it('stores the content sealed, reads it back opened, and erased once the key is gone', async () => {
    const s = await setup({ subject: true, masterKey: master });
    const state = event(1, 'prx.voice.session.state_changed', { from: 'Idle', to: 'Listening' });
    await s.store([state]);
    expect(s.lookups()).toBe(0); // nothing to seal: no key looked up
    const events = [
      turn(2),
      event(3, 'prx.voice.asr.transcript_final', { text: SECRET, start_ms: 0, end_ms: 5 }),
    ];
    await s.store(events);
    await s.store([turn(4)]);
    expect(s.lookups()).toBe(1); // one look-up per session, not per batch
    const stored = await s.raw();
    expect(JSON.stringify(stored)).not.toContain('555');
    expect(JSON.stringify(stored)).not.toContain('jane@');
    expect(await s.sealing.decode(s.tenantId, s.sessionId, stored)).toEqual([
      state,
      ...events,
      turn(4),
    ]);

    // A sealed value copied onto another event does not open there: served erased, reported.
    const swapped = {
      ...turn(4),
      [SEALED_ATTRIBUTE]: stored[1]?.[SEALED_ATTRIBUTE],
      [SEALED_FIELDS_ATTRIBUTE]: 'user_text,assistant_text',
      data: { ...(stored[3]?.['data'] as object) },
    };
    const [moved] = await s.sealing.decode(s.tenantId, s.sessionId, [swapped]);
    expect(moved?.[ERASED_ATTRIBUTE]).toBe('user_text,assistant_text');
    expect(s.failures).toHaveLength(1);

    expect(await s.subjects.erase(s.tenantId, s.subject?.ref ?? '')).toBe(true);
    const after = await s.sealing.decode(s.tenantId, s.sessionId, await s.raw());
    expect(after[0]).toEqual(state);
    expect(after[1]).toMatchObject({
      id: turn(2)['id'],
      prxseq: 2,
      [ERASED_ATTRIBUTE]: 'user_text,assistant_text',
      data: { user_text: null, assistant_text: null, turn_id: 'turn_1', latency: { asr_ms: 10 } },
    });
    expect(after[2]).toMatchObject({ [ERASED_ATTRIBUTE]: 'text', data: { text: null, end_ms: 5 } });
    expect(JSON.stringify(after)).not.toContain('555');
    expect(s.failures).toHaveLength(1);
  });

  it('leaves sessions without a subject, and servers without a master key, in the clear', async () => {
    const noSubject = await setup({ subject: false, masterKey: master });
    await noSubject.store([turn(1)]);
    expect(await noSubject.raw()).toEqual([turn(1)]);
    const noMaster = await setup({ subject: true });
    expect(noMaster.sealing.sealing).toBe(false);
    await noMaster.store([turn(1)]);
    expect(await noMaster.raw()).toEqual([turn(1)]);
    expect(noMaster.lookups()).toBe(0);
  });

  it("rewrites an erased subject's clear events erased, keeping their order and ids", async () => {
    const s = await setup({ subject: true, masterKey: master });
    // Stored in the clear (before sealing was configured), then one sealed.
    await s.t.events.append(
      [turn(1)].map((e) => ({
        sessionId: s.sessionId,
        seq: 1,
        id: e['id'] as string,
        type: e['type'] as string,
        time: new Date(),
        severity: 'info',
        event: e,
      })),
    );
    await s.store([turn(2)]);
    expect(await s.sealing.scrubClear(s.tenantId, [s.sessionId])).toBe(1);
    const raw = await s.raw();
    expect(JSON.stringify(raw)).not.toContain('555');
    expect(raw.map((e) => [e['prxseq'], e['id']])).toEqual([
      [1, turn(1)['id']],
      [2, turn(2)['id']],
    ]);
    expect(raw[0]?.[ERASED_ATTRIBUTE]).toBe('user_text,assistant_text');
    expect(await s.sealing.scrubClear(s.tenantId, [s.sessionId])).toBe(0);
  });

  it('binds the content to its event with the tenant, session, seq and id', () => {
    expect(eventAad('ten_1', 'ses_1', turn(7))).toBe(
      `prx-voice event ten_1 ses_1 7 ${String(turn(7)['id'])}`,
    );
  });
});
