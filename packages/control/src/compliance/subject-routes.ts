/**
 * GDPR: `POST /subjects/export` gathers a data subject's sessions, transcripts, events and
 * recordings into one archive in the object store and answers a signed download link
 * (`GET /exports/{id}?key=…&expires=…&signature=…`, no credential: the signature is the
 * credential, for `audit.subjects.export_link_ttl_ms`; each download through a link that
 * verifies is audited as `export.download`, and refused if its record cannot be written);
 * `POST /subjects/erase` first ends the subject's live sessions (they hold its key), then
 * erases the subject (its key first: crypto-shredding). A subject is named by one of
 * `audit.subjects.metadata_keys` and its value; both calls are audited with the subject's
 * pseudonymous reference, never its value.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { eraseSubject, exportSubject } from '@prx-voice/audit';
import type { AuditLog, EventSealing, SubjectKeys } from '@prx-voice/audit';
import type { Clock, Config } from '@prx-voice/core';
import { parseObjectKey } from '@prx-voice/storage';
import type { ObjectStore, Repositories } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import type { IdGenerator, SessionId, TenantId } from '@prx-voice/types';
import { auditOutcome, peerOf } from '../admin/audit-sink.js';
import { principalOf } from '../http/context.js';
import type { ControlContext } from '../http/context.js';
import { ok, requestIdOf } from '../http/envelope.js';
import type { DefineRoute } from '../http/routes.js';
import type { RouteModule } from '../http/route-module.js';
import { idSchema } from '../http/schemas.js';
import { webStream } from './web-stream.js';

const TAGS = ['subjects'];

/** What the subject routes work with. */
export interface SubjectRouteDeps {
  readonly config: Config;
  readonly repos: Repositories;
  readonly store: ObjectStore;
  readonly subjects: SubjectKeys;
  /** The event log's sealing: exports open sealed events, erasure keeps them shredded. */
  readonly events?: EventSealing;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Where downloads through export links are recorded (the server's audit log). */
  readonly audit?: AuditLog | undefined;
  /** Ends a live session on whichever instance runs it (`SESSION_STATE_CONFLICT` once it has ended). */
  readonly endSession?: ((tenantId: TenantId, id: SessionId) => Promise<void>) | undefined;
}

/** Signs and checks export download links. */
export interface ExportLinks {
  sign(objectKey: string, expiresAtS: number): string;
  verify(objectKey: string, expiresAtS: number, signature: string): boolean;
}

/**
 * Export links signed with a key derived from the master key (valid on every instance
 * and across restarts), or without one a random per-process key (valid on this instance
 * until it restarts).
 */
export function exportLinks(masterKey: Uint8Array | undefined): ExportLinks {
  const secret =
    masterKey === undefined
      ? randomBytes(32)
      : Buffer.from(hkdfSync('sha256', masterKey, new Uint8Array(0), 'prx-voice export-link', 32));
  const mac = (objectKey: string, expiresAtS: number): Buffer =>
    createHmac('sha256', secret)
      .update(`${objectKey}\n${String(expiresAtS)}`)
      .digest();
  return {
    sign: (objectKey, expiresAtS) => mac(objectKey, expiresAtS).toString('base64url'),
    verify(objectKey, expiresAtS, signature) {
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(objectKey, expiresAtS);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

/** The subject routes. */
export function subjectRoutes(deps: SubjectRouteDeps, links: ExportLinks): RouteModule {
  return { name: 'subjects', mount: ({ route }) => mountSubjectRoutes(route, deps, links) };
}

function mountSubjectRoutes(define: DefineRoute, deps: SubjectRouteDeps, links: ExportLinks): void {
  const { config } = deps;
  const keys = config.audit.subjects.metadata_keys;
  const subjectBody = z.strictObject({
    key: z
      .string()
      .refine((k) => keys.includes(k), {
        error: `expected one of the subject metadata keys: ${keys.join(', ')}`,
      })
      .describe(
        'The session metadata key that names the subject (`audit.subjects.metadata_keys`).',
      ),
    value: z.string().min(1).max(512).describe('Its value, e.g. a caller number or a user id.'),
  });

  define({
    method: 'post',
    path: '/subjects/export',
    summary:
      "Export a data subject's sessions, transcripts, events and recordings as one archive with a SHA-256 manifest; answers a signed download link.",
    tags: TAGS,
    permission: 'data:export',
    audit: { action: 'subject.export', resource: 'export' },
    body: subjectBody,
    status: 201,
    response: z.object({
      id: z.string(),
      subject_ref: z.string(),
      sessions: z.number(),
      recordings: z.number(),
      bytes: z.number(),
      sha256: z.string(),
      files: z.array(z.object({ path: z.string(), bytes: z.number(), sha256: z.string() })),
      download_url: z.string(),
      expires_at: z.string(),
    }),
    handler: async (c, { body }) => {
      const tenantId = principalOf(c).tenantId;
      const done = await exportSubject(deps, tenantId, body.key, body.value);
      const expiresAtS = Math.floor(
        (deps.clock.now() + config.audit.subjects.export_link_ttl_ms) / 1000,
      );
      const query = new URLSearchParams({
        key: done.objectKey,
        expires: String(expiresAtS),
        signature: links.sign(done.objectKey, expiresAtS),
      });
      return ok(
        c,
        {
          id: done.id,
          subject_ref: done.subjectRef,
          sessions: done.sessions,
          recordings: done.recordings,
          bytes: done.bytes,
          sha256: done.sha256,
          files: done.files,
          download_url: `/api/v1/exports/${done.id}?${query.toString()}`,
          expires_at: new Date(expiresAtS * 1000).toISOString(),
        },
        201,
      );
    },
  });

  define({
    method: 'get',
    path: '/exports/{export_id}',
    summary: "Download a data subject's export archive (tar) through its signed link.",
    description:
      'No credential: the link’s signature is one, until `expires` (Unix seconds). A wrong or expired signature is 403.',
    tags: TAGS,
    auth: 'none',
    params: z.strictObject({ export_id: idSchema('export') }),
    query: z.object({
      key: z.string().min(1).max(1024),
      expires: z.coerce.number().int().positive(),
      signature: z.string().min(1).max(200),
    }),
    contentType: 'application/x-tar',
    errors: ['FORBIDDEN', 'NOT_FOUND'],
    handler: async (c, { params, query }) => {
      const denied = new VoiceError('FORBIDDEN', {
        message: 'The download link is invalid or has expired.',
      });
      // A forged link names no tenant for sure: it is refused, not recorded.
      if (!links.verify(query.key, query.expires, query.signature)) throw denied;
      const parsed = parseObjectKey(query.key);
      if (parsed.kind !== 'exports' || parsed.sessionId !== params.export_id) throw denied;
      const record = (status: number) =>
        recordDownload(c, deps.audit, {
          tenantId: parsed.tenantId,
          exportId: params.export_id,
          status,
          expiresAtS: query.expires,
        });
      if (query.expires * 1000 < deps.clock.now()) {
        await record(403);
        throw denied;
      }
      const info = await deps.store.head(query.key);
      if (info === undefined) {
        await record(404);
        throw new VoiceError('NOT_FOUND', { message: 'The export no longer exists.' });
      }
      await record(200);
      return c.body(webStream(await deps.store.getStream(query.key)), 200, {
        'Content-Type': 'application/x-tar',
        'Content-Length': String(info.size),
        'Content-Disposition': `attachment; filename="${params.export_id}.tar"`,
      });
    },
  });

  define({
    method: 'post',
    path: '/subjects/erase',
    summary:
      "Erase a data subject: its live sessions are ended first (they hold its key), then its key (sealed recordings and transcripts become unreadable everywhere), its recordings' files, its sessions' transcripts, events and metadata, its exports.",
    tags: TAGS,
    permission: 'data:erase',
    audit: { action: 'subject.erase', resource: 'subject' },
    body: subjectBody,
    response: z.object({
      id: z.string().describe('The subject reference (pseudonymous).'),
      subject_ref: z.string(),
      key_erased: z.boolean(),
      sessions: z.number(),
      recordings: z.number(),
      turns: z.number(),
      events: z.number(),
      exports: z.number(),
      sessions_ended: z
        .array(z.string())
        .describe('Live sessions of the subject, ended (as by an operator) before the erasure.'),
    }),
    handler: async (c, { body }) => {
      const tenantId = principalOf(c).tenantId;
      const ended = await endLiveSessions(deps, tenantId, body.key, body.value);
      const done = await eraseSubject(deps, tenantId, body.key, body.value);
      return ok(c, {
        id: done.subjectRef,
        subject_ref: done.subjectRef,
        key_erased: done.keyErased,
        sessions: done.sessions,
        recordings: done.recordings,
        turns: done.turns,
        events: done.events,
        exports: done.exports,
        sessions_ended: ended,
      });
    },
  });
}

/**
 * Records a download through an export link in the tenant's audit chain: the link is the
 * actor (the export's id; `subject.export` names who made it), with the outcome, request
 * id and caller's address. Throws when the record cannot be written (the download is
 * then refused: an export is not handed out unrecorded).
 */
async function recordDownload(
  c: ControlContext,
  audit: AuditLog | undefined,
  o: { tenantId: string; exportId: string; status: number; expiresAtS: number },
): Promise<void> {
  if (audit === undefined) return;
  await audit.record(o.tenantId as TenantId, {
    actorType: 'export_link',
    actorId: o.exportId,
    action: 'export.download',
    resourceType: 'export',
    resourceId: o.exportId,
    outcome: auditOutcome(o.status),
    requestId: requestIdOf(c),
    ip: peerOf(c),
    details: {
      status: o.status,
      method: c.req.method,
      path: c.req.path,
      link_expires_at: new Date(o.expiresAtS * 1000).toISOString(),
    },
  });
}

/**
 * Ends the subject's sessions that have not ended (wherever they run), so none goes on
 * sealing with its key or writing its data once it is erased; the ids of those ended.
 */
async function endLiveSessions(
  deps: SubjectRouteDeps,
  tenantId: TenantId,
  key: string,
  value: string,
): Promise<string[]> {
  if (deps.endSession === undefined) return [];
  const ref = deps.subjects.refOf(tenantId, key, value);
  const sessions = await deps.repos.forTenant(tenantId).sessions.listBySubject(ref, { key, value });
  const ended: string[] = [];
  for (const session of sessions) {
    if (session.ended_at !== null) continue;
    try {
      await deps.endSession(tenantId, session.id as SessionId);
      ended.push(session.id);
    } catch (err) {
      // Ended meanwhile, or never started here: nothing holds its key.
      const code = VoiceError.is(err) ? err.code : undefined;
      if (code !== 'SESSION_STATE_CONFLICT' && code !== 'SESSION_NOT_FOUND') throw err;
    }
  }
  return ended;
}
