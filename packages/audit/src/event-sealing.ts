/**
 * A data subject's content in the session event log, sealed with the subject's key (the
 * shapes are in `event-content.ts`): sealed a batch at a time on the way to storage, opened
 * a page at a time on the way out, served erased once the subject's key is gone — never an
 * error that breaks a read of the log. A session without a subject, or a server without a
 * master key, stores its events as they are.
 */
import type { Repositories } from '@prx-voice/storage';
import type { SessionId, TenantId } from '@prx-voice/types';
import {
  erasedEvent,
  eventAad,
  isSealedEvent,
  openEventContent,
  presentContent,
  sealEventContent,
} from './event-content.js';
import type { EventJson } from './event-content.js';
import type { DataKey } from './sealing.js';
import type { SubjectKeys } from './subject-keys.js';

/** See {@link createEventSealing}; its `encode` and `decode` are an event log's codec. */
export interface EventSealing {
  /** Whether subjects' content is sealed (a master key is configured). */
  readonly sealing: boolean;
  /** The stored shape of a batch of one session's events. */
  encode(
    tenantId: TenantId,
    sessionId: SessionId,
    events: readonly EventJson[],
  ): Promise<readonly Record<string, unknown>[]>;
  /** The events of a session's stored ones: opened, or erased once the subject is. */
  decode(
    tenantId: TenantId,
    sessionId: SessionId,
    stored: readonly EventJson[],
  ): Promise<readonly Record<string, unknown>[]>;
  /**
   * Rewrites the stored events of sessions whose subject is erased that still hold content
   * in the clear (stored before sealing, or without a key) into the erased shape; how many.
   */
  scrubClear(tenantId: TenantId, sessionIds: readonly string[]): Promise<number>;
}

/** Options of {@link createEventSealing}. */
export interface EventSealingOptions {
  readonly subjects: SubjectKeys;
  readonly repos: Pick<Repositories, 'forTenant'>;
  /** The `data` fields of an event type that carry a subject's content. */
  readonly fieldsOf: (type: string) => readonly string[];
  /** Sessions whose sealing key is kept in memory (the oldest is dropped past it). Default 1 024. */
  readonly cacheSize?: number;
  /** Told of a stored event whose sealed content did not open (it is served erased). */
  readonly onOpenFailed?: (
    error: unknown,
    where: { tenantId: string; sessionId: string; seq: unknown },
  ) => void;
}

const TERMINAL = new Set(['prx.voice.session.closed', 'prx.voice.session.failed']);

/**
 * Creates the event log's sealing of subjects' content.
 *
 * @example
 * const sealing = createEventSealing({ subjects, repos, fieldsOf: subjectContentFields });
 * const log = createEventLog({ repos, clock, onError, codec: sealing });
 */
export function createEventSealing(o: EventSealingOptions): EventSealing {
  const cacheSize = o.cacheSize ?? 1024;
  const keys = new Map<string, Promise<DataKey | undefined>>();
  const subjectOf = async (tenantId: TenantId, sessionId: SessionId) =>
    (await o.repos.forTenant(tenantId).sessions.get(sessionId))?.subject_ref ?? null;

  const sealingKey = (tenantId: TenantId, sessionId: SessionId): Promise<DataKey | undefined> => {
    const id = `${tenantId}/${sessionId}`;
    let key = keys.get(id);
    if (key === undefined) {
      key = subjectOf(tenantId, sessionId).then((ref) =>
        ref === null ? undefined : o.subjects.sealingKey(tenantId, ref),
      );
      // A failed look-up is not kept: the batch is retried and looks again.
      key.catch(() => keys.delete(id));
      keys.set(id, key);
      if (keys.size > cacheSize) keys.delete(keys.keys().next().value as string);
    }
    return key;
  };

  return {
    sealing: o.subjects.sealing,
    async encode(tenantId, sessionId, events) {
      if (!o.subjects.sealing) return events;
      if (!events.some((e) => presentContent(e, o.fieldsOf(String(e['type']))).length > 0)) {
        if (events.some((e) => TERMINAL.has(String(e['type']))))
          keys.delete(`${tenantId}/${sessionId}`);
        return events;
      }
      const key = await sealingKey(tenantId, sessionId);
      if (events.some((e) => TERMINAL.has(String(e['type']))))
        keys.delete(`${tenantId}/${sessionId}`);
      if (key === undefined) return events;
      return events.map((e) =>
        sealEventContent(key, e, o.fieldsOf(String(e['type'])), eventAad(tenantId, sessionId, e)),
      );
    },
    async decode(tenantId, sessionId, stored) {
      if (!stored.some(isSealedEvent)) return stored;
      const ref = await subjectOf(tenantId, sessionId);
      const key = ref === null ? undefined : await o.subjects.openingKey(tenantId, ref);
      return stored.map((e) => {
        try {
          return openEventContent(key, e, eventAad(tenantId, sessionId, e));
        } catch (err) {
          o.onOpenFailed?.(err, { tenantId, sessionId, seq: e['prxseq'] });
          return erasedEvent(e);
        }
      });
    },
    async scrubClear(tenantId, sessionIds) {
      const repo = o.repos.forTenant(tenantId).events;
      let scrubbed = 0;
      for (const sessionId of sessionIds) {
        for (let after = 0; ;) {
          const page = await repo.readAfter(sessionId as SessionId, after, 500);
          const rewrite = page
            .filter((r) => presentContent(r.event, o.fieldsOf(r.type)).length > 0)
            .map((r) => ({ seq: r.seq, event: { ...erasedEvent(r.event, o.fieldsOf(r.type)) } }));
          if (rewrite.length > 0) scrubbed += await repo.rewrite(sessionId as SessionId, rewrite);
          if (page.length < 500) break;
          after = page.at(-1)?.seq ?? after;
        }
      }
      return scrubbed;
    },
  };
}
