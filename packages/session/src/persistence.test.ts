import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '@prx-voice/storage/testing';
import type { TestDatabase } from '@prx-voice/storage/testing';
import type { TenantId } from '@prx-voice/types';
import { repositoryPersistence } from './persistence.js';
import { createScenario } from './testing/scenario.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
}, 60_000);
afterAll(() => db.close());

describe('repository persistence', () => {
  it('records the session state and each turn with its texts and latency breakdown', async () => {
    const tenant = await db.repos.tenants.create({ slug: 'persist', name: 'P', tier: 'starter' });
    const repos = db.repos.forTenant(tenant.id as TenantId);
    let idle: () => Promise<void> = () => Promise.resolve();
    const s = await createScenario({
      tenantId: tenant.id as TenantId,
      persistence: async ({ sessionId }, clock) => {
        await repos.sessions.create({
          id: sessionId,
          state: 'Idle',
          channel: 'websocket',
          direction: 'inbound',
          language: 'en-US',
        });
        const p = repositoryPersistence(repos, sessionId, clock);
        idle = () => p.idle();
        return p;
      },
    });
    await s.speak(600);
    await s.silence(3000);
    s.actor.dispatch({ type: 'end' });
    await idle();
    const session = await repos.sessions.require(s.sessionId as never);
    expect(session).toMatchObject({
      state: 'Closed',
      outcome: 'completed',
      close_reason: 'client_end',
      turn_count: 1,
    });
    expect(session.ended_at).toBeInstanceOf(Date);
    const turns = (await repos.turns.listBySession(s.sessionId as never)).items;
    expect(turns).toHaveLength(1);
    expect(turns[0]).toMatchObject({
      seq: 1,
      status: 'completed',
      input_kind: 'voice',
      user_text: 'hello',
      assistant_text: 'You said: hello',
      interrupted: false,
    });
    const event = s.events.find((e) => e.type === 'prx.voice.turn.completed')?.data as {
      latency: Record<string, number>;
    };
    expect(turns[0]?.latency_voice_to_voice_ms).toBe(
      Math.round(event.latency.voice_to_voice_ms ?? -1),
    );
    expect(turns[0]?.latency_agent_first_token_ms).toBe(20);
  }, 60_000);
});
