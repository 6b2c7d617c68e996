import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSequentialIdGenerator } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import { migrateToLatest } from './connect.js';
import type { DatabaseHandle } from './connect.js';
import { createRepositories } from './repositories/index.js';
import type { Repositories, TenantRepositories } from './repositories/index.js';

const START = Date.UTC(2026, 11, 6, 12, 0, 0);
const DAY = 86_400_000;

/**
 * The data-subject and recording storage contract (subject keys, sessions by subject,
 * recordings past retention), run identically against each database implementation.
 */
export function describeSubjectsContract(
  name: string,
  setup: () => Promise<{ handle: DatabaseHandle; cleanup(): Promise<void> }>,
): void {
  describe(`subjects and recordings storage contract: ${name}`, () => {
    let cleanup: () => Promise<void>;
    let repos: Repositories;
    let now = START;
    const clock = { now: () => now };
    const ids = createSequentialIdGenerator(START);
    let counter = 0;

    async function newTenant(): Promise<TenantRepositories> {
      const row = await repos.tenants.create({
        slug: `subj-${++counter}`,
        name: `Subjects tenant ${counter}`,
        tier: 'starter',
      });
      return repos.forTenant(row.id as TenantId);
    }
    async function session(t: TenantRepositories, subjectRef?: string): Promise<SessionId> {
      const row = await t.sessions.create({
        state: 'Idle',
        channel: 'websocket',
        direction: 'inbound',
        language: 'en-US',
        ...(subjectRef === undefined ? {} : { subjectRef }),
      });
      return row.id as SessionId;
    }
    async function recording(t: TenantRepositories, sessionId: SessionId, key: string) {
      return t.recordings.create({
        sessionId,
        objectKey: key,
        contentType: 'audio/wav',
        sampleRate: 24_000,
        channels: 2,
        durationMs: 1_000,
        sizeBytes: 96_044,
      });
    }

    beforeAll(async () => {
      const ready = await setup();
      cleanup = () => ready.cleanup();
      await migrateToLatest(ready.handle.db);
      repos = createRepositories({ db: ready.handle.db, clock, ids });
    }, 120_000);
    afterAll(async () => {
      await cleanup();
    });

    it('keeps one key per subject: the first writer wins, erasure deletes it', async () => {
      const t = await newTenant();
      const other = await newTenant();
      expect(await t.subjects.get('subj_a')).toBeUndefined();
      const first = await t.subjects.ensure('subj_a', 'v1.first');
      const second = await t.subjects.ensure('subj_a', 'v1.second');
      expect(first.wrapped_key).toBe('v1.first');
      expect(second.wrapped_key).toBe('v1.first');
      expect(await other.subjects.get('subj_a')).toBeUndefined();
      expect(await t.subjects.erase('subj_a')).toBe(true);
      expect(await t.subjects.erase('subj_a')).toBe(false);
      expect(await t.subjects.get('subj_a')).toBeUndefined();
      // A later session of the same subject gets a new key.
      expect((await t.subjects.ensure('subj_a', 'v1.third')).wrapped_key).toBe('v1.third');
    });

    it("lists a subject's sessions and nothing of another subject or tenant", async () => {
      const t = await newTenant();
      const other = await newTenant();
      const a1 = await session(t, 'subj_x');
      await session(t, 'subj_y');
      await session(t);
      const a2 = await session(t, 'subj_x');
      await session(other, 'subj_x');
      const rows = await t.sessions.listBySubject('subj_x');
      expect(rows.map((r) => r.id)).toEqual([a1, a2]);
      expect(rows.every((r) => r.subject_ref === 'subj_x')).toBe(true);
      expect(await t.sessions.listBySubject('subj_none')).toEqual([]);
      // A session named by another key that also carries this one is found by its metadata.
      const both = await t.sessions.create({
        state: 'Idle',
        channel: 'websocket',
        direction: 'inbound',
        language: 'en-US',
        metadata: { subject_id: 'u-1', caller_number: '+15550100' },
        subjectRef: 'subj_u1',
      });
      const byNumber = await t.sessions.listBySubject('subj_x', {
        key: 'caller_number',
        value: '+15550100',
      });
      expect(byNumber.map((r) => r.id)).toEqual([a1, a2, both.id]);
      expect(
        await other.sessions.listBySubject('subj_none', {
          key: 'caller_number',
          value: '+15550100',
        }),
      ).toEqual([]);
    });

    it('scrubs what sessions stored of what was said, and nothing of other sessions', async () => {
      const t = await newTenant();
      const ids2 = [await session(t, 'subj_s'), await session(t, 'subj_s')];
      const other = await session(t);
      for (const [i, id] of [...ids2, other].entries()) {
        await t.sessions.update(id, { metadata: { caller_number: `+1555010${String(i)}` } });
        const turn = await t.turns.create({
          sessionId: id,
          seq: 1,
          inputKind: 'text',
          userText: 'my number is 555',
        });
        await t.turns.complete(turn.id as never, {
          status: 'completed',
          assistantText: 'noted',
          assistantTextGenerated: 'noted',
          interrupted: false,
          latency: {},
        });
        await t.events.append([
          {
            sessionId: id,
            seq: 1,
            id: `evt_${id.slice(5)}`,
            type: 'prx.voice.asr.transcript_final',
            time: new Date(now),
            severity: 'info',
            event: { data: { text: 'my number is 555' } },
          },
        ]);
      }
      expect(await t.subjects.scrubSessions(ids2)).toEqual({ turns: 2, events: 2 });
      for (const id of ids2) {
        const [turn] = (await t.turns.listBySession(id)).items;
        expect([turn?.user_text, turn?.assistant_text]).toEqual([null, null]);
        expect(await t.events.readAfter(id, 0)).toEqual([]);
        expect((await t.sessions.get(id))?.metadata).toEqual({});
      }
      expect((await t.turns.listBySession(other)).items[0]?.user_text).toBe('my number is 555');
      expect(await t.events.readAfter(other, 0)).toHaveLength(1);
      expect(await t.subjects.scrubSessions([])).toEqual({ turns: 0, events: 0 });
    });

    it('keeps sealed events on a scrub that asks to, and rewrites events in place', async () => {
      const t = await newTenant();
      const id = await session(t, 'subj_k');
      const stored = (seq: number, text: string) => ({
        sessionId: id,
        seq,
        id: `evt_${id.slice(5, 20)}${String(seq).padStart(6, '0')}`,
        type: 'prx.voice.asr.transcript_final',
        time: new Date(now),
        severity: 'info',
        event: { prxseq: seq, data: { text } },
      });
      await t.events.append([stored(1, 'sealed'), stored(2, 'clear 555')]);
      expect(await t.subjects.scrubSessions([id], { keepEvents: true })).toEqual({
        turns: 0,
        events: 0,
      });
      expect(await t.events.readAfter(id, 0)).toHaveLength(2);
      const erased = { prxseq: 2, prxerased: 'text', data: { text: null } };
      expect(
        await t.events.rewrite(id, [
          { seq: 2, event: erased },
          { seq: 9, event: {} },
        ]),
      ).toBe(1);
      const rows = await t.events.readAfter(id, 0);
      expect(rows.map((r) => [r.seq, r.id, r.event])).toEqual([
        [1, stored(1, '').id, stored(1, 'sealed').event],
        [2, stored(2, '').id, erased],
      ]);
      expect(await t.events.rewrite(id, [])).toBe(0);
    });

    it('stores the subject of a recording', async () => {
      const t = await newTenant();
      const s = await session(t, 'subj_r');
      const sealed = await t.recordings.create({
        sessionId: s,
        objectKey: `k-${counter}-sealed`,
        contentType: 'application/vnd.prx-voice.sealed',
        sampleRate: 24_000,
        channels: 2,
        durationMs: 10,
        sizeBytes: 10,
        subjectRef: 'subj_r',
      });
      expect(sealed.subject_ref).toBe('subj_r');
      expect((await recording(t, s, `k-${counter}-plain`)).subject_ref).toBeNull();
    });

    it('finds recordings past retention, by age or by their session ending, then deletes them', async () => {
      const t = await newTenant();
      now = START;
      const oldSession = await session(t);
      const old = await recording(t, oldSession, `k-${counter}-old`);
      const endsSoon = await session(t);
      now = START + 20 * DAY;
      const young = await recording(t, endsSoon, `k-${counter}-young`);
      await t.sessions.update(endsSoon, { endedAt: new Date(START + 20 * DAY) });
      const fresh = await recording(t, await session(t), `k-${counter}-fresh`);
      now = START + 40 * DAY;
      const cutoffs = (createdBefore: number, sessionEndedBefore: number) => ({
        createdBefore: new Date(createdBefore),
        sessionEndedBefore: new Date(sessionEndedBefore),
      });
      const byAge = await t.retention.expiredRecordings(
        cutoffs(START + 10 * DAY, START + 10 * DAY),
        10,
      );
      expect(byAge.map((r) => r.id)).toEqual([old.id]);
      const withEnded = await t.retention.expiredRecordings(
        cutoffs(START + 10 * DAY, START + 30 * DAY),
        10,
      );
      expect(withEnded.map((r) => r.id).sort()).toEqual([old.id, young.id].sort());
      expect(await t.retention.expiredRecordings(cutoffs(START + 30 * DAY, START), 1)).toHaveLength(
        1,
      );
      expect(await t.retention.deleteRecording(old.id)).toBe(true);
      expect(await t.retention.deleteRecording(old.id)).toBe(false);
      expect(await t.recordings.get(old.id as never)).toBeUndefined();
      expect(await t.recordings.get(fresh.id as never)).toBeDefined();
    });
  });
}
