/**
 * GDPR: `POST /subjects/export` gathers a data subject's sessions, transcripts, events and
 * recordings into one archive in the object store and answers a signed download link
 * (`GET /exports/{id}?key=…&expires=…&signature=…`, no credential: the signature is the
 * credential, for `audit.subjects.export_link_ttl_ms`); `POST /subjects/erase` erases the
 * subject (its key first: crypto-shredding). A subject is named by one of
 * `audit.subjects.metadata_keys` and its value; both calls are audited with the subject's
 * pseudonymous reference, never its value.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { eraseSubject, exportSubject } from '@prx-voice/audit';
import type { SubjectKeys } from '@prx-voice/audit';
import type { Clock, Config } from '@prx-voice/core';
import { parseObjectKey } from '@prx-voice/storage';
import type { ObjectStore, Repositories } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import type { IdGenerator } from '@prx-voice/types';
import { principalOf } from '../http/context.js';
import { ok } from '../http/envelope.js';
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
  readonly clock: Clock;
  readonly ids: IdGenerator;
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
      if (!links.verify(query.key, query.expires, query.signature)) throw denied;
      if (query.expires * 1000 < deps.clock.now()) throw denied;
      const parsed = parseObjectKey(query.key);
      if (parsed.kind !== 'exports' || parsed.sessionId !== params.export_id) throw denied;
      const info = await deps.store.head(query.key);
      if (info === undefined)
        throw new VoiceError('NOT_FOUND', { message: 'The export no longer exists.' });
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
      "Erase a data subject: its key (sealed recordings and transcripts become unreadable everywhere), its recordings' files, its sessions' transcripts, events and metadata, its exports.",
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
    }),
    handler: async (c, { body }) => {
      const done = await eraseSubject(deps, principalOf(c).tenantId, body.key, body.value);
      return ok(c, {
        id: done.subjectRef,
        subject_ref: done.subjectRef,
        key_erased: done.keyErased,
        sessions: done.sessions,
        recordings: done.recordings,
        turns: done.turns,
        events: done.events,
        exports: done.exports,
      });
    },
  });
}
