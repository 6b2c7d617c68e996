/**
 * A data subject's content in the session event log, where the server composes it: a
 * session whose caller number names a subject speaks a turn holding a phone number and an
 * email; the stored rows (read straight from `session_events`) hold none of it, the event
 * stream serves it in the clear; after the subject's erasure the rows are kept — same
 * `seq`s and ids, still unreadable — and the stream serves them with the content `null`,
 * named in `prxerased`, while the audit chain still verifies.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { createFilesystemObjectStore } from '@prx-voice/storage';
import { testDatabaseKinds } from '@prx-voice/storage/testing';
import type { SessionId } from '@prx-voice/types';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { composeVoiceControl, settle, shutdownOnClock } from '../testing/composed.js';
import type { VoiceControl } from '../voice-control.js';

const CALLER = '+14155550100';
const SAID = 'call me back on +1 415 555 0199 or at jane.doe@example.com';
const LEAKS = ['555 0199', 'jane.doe', 'example.com', CALLER];

describe.each(testDatabaseKinds())('the session event log of a data subject on %s', (kind) => {
  let h: ControlHarness;
  let voice: VoiceControl;
  let dir: string;

  beforeAll(async () => {
    h = await createControlHarness({ kind });
    dir = mkdtempSync(join(tmpdir(), 'prx-evseal-'));
    voice = composeVoiceControl(
      h,
      {
        audit: { subjects: { master_key: Buffer.alloc(32, 7).toString('hex') } },
        observe: { degradation: { sample_ms: 600_000 } },
      },
      { objectStore: createFilesystemObjectStore({ root: dir }) },
    );
  }, 60_000);

  afterAll(async () => {
    await shutdownOnClock(h, voice);
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores the content sealed, serves it opened, and erased after the erasure', async () => {
    const tenant = await h.tenant('growth');
    const token = await h.key(tenant.id, 'tenant_admin');
    const api = (path: string, method = 'GET', body?: unknown) =>
      h.request(
        `/api/v1${path}`,
        { method, token, ...(body === undefined ? {} : { body }) },
        voice.control,
      );
    const created = await api('/sessions', 'POST', {
      channel: 'websocket',
      metadata: { caller_number: CALLER },
    });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { data: { id: SessionId } }).data.id;
    await settle();
    expect((await api(`/sessions/${id}/turns`, 'POST', { text: SAID })).status).toBe(202);
    // The mock TTS speaks 50 ms per character: the answer plays for about 6 s.
    for (let i = 0; i < 500; i++) {
      h.clock.advance(20);
      if (i % 5 === 0) await settle();
    }
    expect((await api(`/sessions/${id}/end`, 'POST')).status).toBeLessThan(300);
    for (let i = 0; i < 20; i++) {
      h.clock.advance(50);
      await settle();
    }

    const rows = async () =>
      (
        await sql<{ seq: number; id: string; body: string }>`
          select seq, id, event::text as body from session_events
          where session_id = ${id} order by seq`.execute(h.db.handle.db)
      ).rows;
    const events = async (): Promise<AnyVoiceEvent[]> => {
      const res = await api(`/sessions/${id}/events`);
      expect(res.status).toBe(200);
      return (await res.text())
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => JSON.parse(l.slice('data:'.length)) as AnyVoiceEvent);
    };
    const of = <T extends AnyVoiceEvent['type']>(list: AnyVoiceEvent[], type: T) =>
      list.filter((e) => e.type === type) as Extract<AnyVoiceEvent, { type: T }>[];

    // Read back (the stream sends each event once it is stored, so every row is written when
    // it ends): in the clear, gap-free up to the terminal event (where the stream ends).
    const clear = await events();
    // At rest: sealed.
    const stored = await rows();
    expect(stored.length).toBeGreaterThan(5);
    const raw = stored.map((r) => r.body).join('\n');
    for (const leak of LEAKS) expect(raw).not.toContain(leak);
    expect(raw).toContain('"prxsealed": "sealed:v1:');

    expect(clear.at(-1)?.type).toBe('prx.voice.session.closed');
    expect(clear.map((e) => e.prxseq)).toEqual(stored.slice(0, clear.length).map((r) => r.seq));
    const [turn] = of(clear, 'prx.voice.turn.completed');
    expect(turn?.data).toMatchObject({ user_text: SAID, assistant_text: `You said: ${SAID}` });
    expect(of(clear, 'prx.voice.agent.response_complete')[0]?.data.text).toBe(`You said: ${SAID}`);
    expect(JSON.stringify(clear)).not.toContain('prxsealed');

    // Erasure: the key goes, the rows stay (unreadable), the stream serves them erased.
    const erased = await api('/subjects/erase', 'POST', { key: 'caller_number', value: CALLER });
    expect(erased.status).toBe(200);
    expect(((await erased.json()) as { data: unknown }).data).toMatchObject({
      key_erased: true,
      sessions: 1,
      events: 0, // nothing was stored in the clear: nothing to rewrite
    });
    const after = await rows();
    expect(after.map((r) => [r.seq, r.id])).toEqual(stored.map((r) => [r.seq, r.id]));
    const rawAfter = after.map((r) => r.body).join('\n');
    for (const leak of LEAKS) expect(rawAfter).not.toContain(leak);

    const shown = await events();
    expect(shown.map((e) => [e.prxseq, e.id])).toEqual(clear.map((e) => [e.prxseq, e.id]));
    for (const leak of LEAKS) expect(JSON.stringify(shown)).not.toContain(leak);
    const [gone] = of(shown, 'prx.voice.turn.completed');
    expect(gone).toMatchObject({
      prxerased: 'user_text,assistant_text',
      data: { user_text: null, assistant_text: null, interrupted: false },
    });
    expect(gone?.data.latency).toEqual(turn?.data.latency);
    for (const e of of(shown, 'prx.voice.agent.token_stream'))
      expect(e).toMatchObject({ prxerased: 'text', data: { text: null } });
    // What carried no content is served as it was.
    expect(of(shown, 'prx.voice.session.closed')).toEqual(of(clear, 'prx.voice.session.closed'));

    // The audit chain never held the subject's value, and verifies.
    const verify = await api('/audit/verify');
    expect(((await verify.json()) as { data: unknown }).data).toMatchObject({ ok: true });
  }, 120_000);
});
