import type { Channel, SessionId } from '@prx-voice/types';
import type { TenantRepositories } from '../db/repositories/index.js';
import type { SessionRow } from '../db/schema.js';

/** How {@link testSession} ends the session (omitted: it stays live). */
export interface TestSessionEnd {
  readonly at: Date;
  /** Default `completed` (`Closed`); `error` ends it `Failed`. */
  readonly outcome?: string;
  readonly closeReason?: string;
}

/**
 * A session of a tenant for tests: a websocket session in `Idle` on instance `instanceId`
 * (default `i-1`), ended as `end` says when given.
 *
 * @example
 * const lost = await testSession(t, { end: { at, outcome: 'error', closeReason: 'instance_lost' } });
 */
export async function testSession(
  t: TenantRepositories,
  opts: {
    readonly channel?: Channel;
    readonly instanceId?: string;
    readonly end?: TestSessionEnd;
  } = {},
): Promise<SessionRow> {
  const row = await t.sessions.create({
    channel: opts.channel ?? 'websocket',
    direction: 'inbound',
    state: 'Idle',
    language: 'en-US',
    providers: {},
    instanceId: opts.instanceId ?? 'i-1',
  });
  const end = opts.end;
  if (end === undefined) return row;
  const outcome = end.outcome ?? 'completed';
  return (
    (await t.sessions.update(row.id as SessionId, {
      state: outcome === 'error' ? 'Failed' : 'Closed',
      outcome,
      ...(end.closeReason === undefined ? {} : { closeReason: end.closeReason }),
      endedAt: end.at,
    })) ?? row
  );
}
