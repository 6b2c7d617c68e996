/**
 * A data subject's erasure (GDPR): first its data key is deleted, so every sealed copy
 * of its recordings and transcripts — backups of the object store included — can never
 * be opened again (crypto-shredding); then what can be deleted is: the recordings'
 * files (with any chunks a crash left), the sessions' transcripts, events and metadata,
 * and the subject's exports. When the event log seals subjects' content (`events`), the
 * sessions' events are kept — their content is shredded with the key, the log's order,
 * ids, usage and times stay — and any event still holding content in the clear (stored
 * before sealing) is rewritten into the erased shape. The sessions' rows stay,
 * pseudonymous (their subject reference, outcome and times), so usage, billing and the
 * audit chain still add up — the chain never held the subject's value, only its reference.
 */
import type { ObjectStore, Repositories } from '@prx-voice/storage';
import { objectKey, parseObjectKey, tenantPrefix } from '@prx-voice/storage';
import type { Id, SessionId, TenantId } from '@prx-voice/types';
import type { EventSealing } from './event-sealing.js';
import type { SubjectKeys } from './subject-keys.js';

/** What an erasure did. */
export interface SubjectErasure {
  readonly subjectRef: string;
  /** Whether the subject had a data key, now deleted. */
  readonly keyErased: boolean;
  readonly sessions: number;
  readonly recordings: number;
  readonly turns: number;
  readonly events: number;
  readonly exports: number;
}

/** What {@link eraseSubject} works with. */
export interface SubjectErasureDeps {
  readonly repos: Pick<Repositories, 'forTenant'>;
  readonly store: Pick<ObjectStore, 'delete' | 'deletePrefix' | 'list'>;
  readonly subjects: SubjectKeys;
  /** The event log's sealing: events are kept (shredded) instead of deleted while it seals. */
  readonly events?: Pick<EventSealing, 'sealing' | 'scrubClear'>;
}

/** The prefix of a session's recording objects made on the day of `at`. */
function recordingsPrefix(tenantId: TenantId, sessionId: SessionId, at: Date | number): string {
  const key = objectKey({ tenantId, kind: 'recordings', at, sessionId, name: 'x' });
  return key.slice(0, -1);
}

/**
 * Erases the subject `key` = `value` of a tenant (see the module's description). Running
 * it again erases what was added since, and is otherwise a no-op.
 *
 * @example
 * const done = await eraseSubject(deps, tenantId, 'caller_number', '+15550100');
 */
export async function eraseSubject(
  deps: SubjectErasureDeps,
  tenantId: TenantId,
  key: string,
  value: string,
): Promise<SubjectErasure> {
  const repos = deps.repos.forTenant(tenantId);
  const ref = deps.subjects.refOf(tenantId, key, value);
  // The key first: whatever fails after this, nothing sealed can be read again.
  const keyErased = await deps.subjects.erase(tenantId, ref);
  const sessions = await repos.sessions.listBySubject(ref, { key, value });
  let recordings = 0;
  for (const session of sessions) {
    const sid = session.id as SessionId;
    const prefixes = new Set([recordingsPrefix(tenantId, sid, session.created_at)]);
    for (const rec of await repos.recordings.listBySession(sid)) {
      const parsed = parseObjectKey(rec.object_key);
      prefixes.add(recordingsPrefix(tenantId, sid, parsed.at));
      await deps.store.delete(rec.object_key);
      if (await repos.recordings.markDeleted(rec.id as Id<'recording'>)) recordings += 1;
    }
    // Chunks a crash left behind, and anything else recorded of the session.
    for (const prefix of prefixes) await deps.store.deletePrefix(prefix);
  }
  const ids = sessions.map((s) => s.id);
  const sealed = deps.events?.sealing === true ? deps.events : undefined;
  const scrubbed = await repos.subjects.scrubSessions(ids, { keepEvents: sealed !== undefined });
  const events = sealed === undefined ? scrubbed.events : await sealed.scrubClear(tenantId, ids);
  let exports = 0;
  const exportsPrefix = `${tenantPrefix(tenantId)}exports/`;
  const ours: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.store.list(exportsPrefix, cursor === undefined ? {} : { cursor });
    for (const item of page.items) if (item.key.endsWith(`/${ref}.tar`)) ours.push(item.key);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  for (const k of ours) if (await deps.store.delete(k)) exports += 1;
  return {
    subjectRef: ref,
    keyErased,
    sessions: sessions.length,
    recordings,
    turns: scrubbed.turns,
    events,
    exports,
  };
}
