/**
 * `prx-voice subjects export --tenant SLUG_OR_ID --key K --value V [--out FILE]` and
 * `prx-voice subjects erase --tenant SLUG_OR_ID --key K --value V`: GDPR export and
 * erasure of a data subject on the configured database and object store, as the
 * `/subjects/export` and `/subjects/erase` routes do them. Each prints a JSON summary and
 * is recorded in the tenant's audit log (actor `cli`) with the subject's pseudonymous
 * reference and counts, never its value.
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { eraseSubject, exportSubject } from '@prx-voice/audit';
import type { EventSealing, SubjectKeys } from '@prx-voice/audit';
import { complianceFromConfig } from '@prx-voice/control';
import { VoiceError } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import type { CliIo } from '../cli.js';
import { openRuntime } from '../runtime.js';
import type { Runtime } from '../runtime.js';
import { audited, required } from './tenant.js';
import { tenantOf } from './tenant-ref.js';

/** The flags naming a data subject. */
export interface SubjectOptions {
  readonly tenant?: string;
  readonly key?: string;
  readonly value?: string;
}

/** What a subject command runs with, once its flags are checked. */
interface SubjectContext {
  readonly rt: Runtime;
  readonly tenantId: TenantId;
  readonly subjects: SubjectKeys;
  /** The event log's sealing (exports open sealed events; erasure keeps them shredded). */
  readonly events: EventSealing;
  readonly key: string;
  readonly value: string;
}

/** Checks the flags, opens storage and the subject keys, runs `run`, closes storage. */
async function withSubject(
  io: CliIo,
  o: SubjectOptions,
  run: (ctx: SubjectContext) => Promise<number>,
): Promise<number> {
  const ref = required(o.tenant, 'tenant');
  const key = required(o.key, 'key');
  const value = required(o.value, 'value');
  if (value.length > 512)
    throw new VoiceError('VALIDATION_FAILED', { message: '--value is longer than 512 characters' });
  const rt = await openRuntime({ ...(io.load === undefined ? {} : { load: io.load }) });
  try {
    const keys = rt.config.audit.subjects.metadata_keys;
    if (!keys.includes(key))
      throw new VoiceError('VALIDATION_FAILED', {
        message: `--key "${key}" is not a subject metadata key: expected one of ${keys.join(', ')} (audit.subjects.metadata_keys)`,
      });
    const tenant = await tenantOf(rt.repos, ref);
    const { subjects, events } = complianceFromConfig(rt.config, rt.repos, rt.storage.objectStore);
    return await run({ rt, tenantId: tenant.id as TenantId, subjects, events, key, value });
  } finally {
    await rt.close();
  }
}

/** `subjects export`: the subject's archive in the object store, and with `--out` in FILE. */
export async function subjectsExportCommand(
  io: CliIo,
  o: SubjectOptions & { readonly out?: string },
): Promise<number> {
  return withSubject(io, o, async ({ rt, tenantId, subjects, events, key, value }) => {
    const store = rt.storage.objectStore;
    const done = await exportSubject(
      { repos: rt.repos, store, subjects, events, clock: rt.clock, ids: rt.ids },
      tenantId,
      key,
      value,
    );
    await audited(
      rt,
      tenantId,
      'subject.export',
      { type: 'export', id: done.id },
      {
        subject_ref: done.subjectRef,
        metadata_key: key,
        sessions: done.sessions,
        recordings: done.recordings,
        files: done.files.length,
        bytes: done.bytes,
        sha256: done.sha256,
      },
    );
    io.out(
      JSON.stringify(
        {
          id: done.id,
          subject_ref: done.subjectRef,
          sessions: done.sessions,
          recordings: done.recordings,
          bytes: done.bytes,
          sha256: done.sha256,
          object_key: done.objectKey,
        },
        null,
        2,
      ),
    );
    if (o.out !== undefined && o.out !== '')
      await pipeline(await store.getStream(done.objectKey), createWriteStream(o.out));
    return 0;
  });
}

/** `subjects erase`: the subject's key first, then its recordings, transcripts, events, exports. */
export async function subjectsEraseCommand(io: CliIo, o: SubjectOptions): Promise<number> {
  return withSubject(io, o, async ({ rt, tenantId, subjects, events, key, value }) => {
    const done = await eraseSubject(
      { repos: rt.repos, store: rt.storage.objectStore, subjects, events },
      tenantId,
      key,
      value,
    );
    const counts = {
      key_erased: done.keyErased,
      sessions: done.sessions,
      recordings: done.recordings,
      turns: done.turns,
      events: done.events,
      exports: done.exports,
    };
    await audited(
      rt,
      tenantId,
      'subject.erase',
      { type: 'subject', id: done.subjectRef },
      { metadata_key: key, ...counts },
    );
    io.out(JSON.stringify({ subject_ref: done.subjectRef, ...counts }, null, 2));
    return 0;
  });
}
