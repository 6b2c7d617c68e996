/**
 * A tenant's redaction policy through the composed control plane: under `strict`, a
 * phone number, an email and a card number said in a turn reach neither the stored
 * turn, nor the durable event log, nor any event that leaves the session, nor the log
 * lines; the agent still hears them. Without a policy, nothing is changed.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyVoiceEvent } from '@prx-voice/event';
import type { SessionId, TenantId } from '@prx-voice/types';
import { createControlHarness } from '../testing/control-harness.js';
import type { ControlHarness } from '../testing/control-harness.js';
import { composeVoiceControl, settle, shutdownOnClock } from '../testing/composed.js';
import type { VoiceControl } from '../voice-control.js';

const SAID = 'call me on +1 415 555 2671 or at jane.doe@example.com, card 4111 1111 1111 1111';
const SECRETS = ['555 2671', 'jane.doe@example.com', '4111 1111 1111 1111'];

let h: ControlHarness;
let voice: VoiceControl;
let platform: string;

beforeAll(async () => {
  h = await createControlHarness();
  voice = composeVoiceControl(h);
  const home = await h.tenant('enterprise');
  platform = await h.key(home.id, 'platform_admin');
}, 60_000);

afterAll(() => shutdownOnClock(h, voice));

async function api(path: string, token: string, method = 'GET', body?: unknown) {
  const res = await h.request(
    `/api/v1${path}`,
    { method, token, ...(body === undefined ? {} : { body }) },
    voice.control,
  );
  return { status: res.status, json: (await res.json()) as { data: Record<string, unknown> } };
}

/** A tenant with `settings`, one text turn saying {@link SAID}: what was stored and emitted. */
async function turnOf(settings: Record<string, unknown>) {
  const created = await api('/tenants', platform, 'POST', {
    slug: `red-${String(Math.random()).slice(2, 8)}`,
    name: 'Redaction',
    tier: 'growth',
    settings,
  });
  expect(created.status).toBe(201);
  const tenantId = String(created.json.data['id']) as TenantId;
  const token = await h.key(tenantId, 'tenant_admin');
  const session = await api('/sessions', token, 'POST', { channel: 'websocket' });
  const id = String(session.json.data['id']);
  await settle();
  const emitted: AnyVoiceEvent[] = [];
  voice.manager.live(tenantId, id as SessionId)?.emitter.addSink((e) => emitted.push(e));
  expect((await api(`/sessions/${id}/turns`, token, 'POST', { text: SAID })).status).toBe(202);
  for (let i = 0; i < 60; i++) {
    h.clock.advance(100);
    await settle();
  }
  await api(`/sessions/${id}/end`, token, 'POST');
  for (let i = 0; i < 10; i++) {
    h.clock.advance(100);
    await settle();
  }
  const turns = await h.db.repos.forTenant(tenantId).turns.listBySession(id as SessionId);
  // The log writes a batch of every session each tick: read once all of the session's is in.
  const read = async () =>
    (
      await sql<{
        seq: number;
        event: unknown;
      }>`select seq, event from session_events where session_id = ${id} order by seq`.execute(
        h.db.handle.db,
      )
    ).rows;
  // Everything the session emitted, its end and what came after (the cancelled run's turn).
  const last = emitted.at(-1)?.prxseq ?? Number.POSITIVE_INFINITY;
  const ended = (rows: readonly { seq: number }[]) => Number(rows.at(-1)?.seq) >= last;
  let rows = await read();
  for (let i = 0; i < 50 && !ended(rows); i++) {
    h.clock.advance(25);
    await settle();
    rows = await read();
  }
  expect(ended(rows)).toBe(true);
  return { emitted, turns: turns.items, stored: JSON.stringify(rows.map((r) => r.event)) };
}

describe('a tenant’s redaction policy', () => {
  it('under strict, keeps what was said out of storage, events and logs', async () => {
    const { emitted, turns, stored } = await turnOf({ redaction: 'strict' });
    expect(turns[0]?.user_text).toBe('call me on [PHONE] or at [EMAIL], card [CARD]');
    // The agent heard it all (the mock echoes it); what is stored of its answer is redacted.
    expect(turns[0]?.assistant_text).toMatch(
      /^You said: call me on \[PHONE\] or at \[EMAIL\], card \[[A-Z]+\]$/,
    );
    expect(emitted.map((e) => e.type)).toContain('prx.voice.turn.completed');
    const everything = [
      JSON.stringify(emitted),
      JSON.stringify(turns),
      stored,
      JSON.stringify(h.logged),
    ];
    for (const text of everything) for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect(stored).toContain('[PHONE]');
  });

  it('without a policy, stores what was said', async () => {
    const { turns } = await turnOf({});
    expect(turns[0]?.user_text).toBe(SAID);
  });

  it('refuses a policy that is not a level', async () => {
    const bad = await api('/tenants', platform, 'POST', {
      slug: 'red-bad',
      name: 'Bad',
      settings: { redaction: 'everything' },
    });
    expect(bad.status).toBe(400);
    const retention = await api('/tenants', platform, 'POST', {
      slug: 'ret-bad',
      name: 'Bad',
      settings: { retention: { sessions_days: 0 } },
    });
    expect(retention.status).toBe(400);
  });
});
