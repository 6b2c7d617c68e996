/**
 * Data subjects' keys: which subject a session belongs to (the first configured
 * metadata key its metadata holds), the pseudonymous reference stored for it, and its
 * data key — minted on first use, wrapped under the master key in `subject_keys`, and
 * deleted on erasure, after which nothing sealed with it can be opened (crypto-shredding).
 * Without a master key nothing is sealed: references are then plain salted hashes
 * (pseudonymous, not secret) and erasure deletes the data instead.
 */
import { createHash, hkdfSync } from 'node:crypto';
import type { Repositories } from '@prx-voice/storage';
import type { TenantId } from '@prx-voice/types';
import { newDataKey, subjectRef, unwrapKey, wrapKey } from './sealing.js';
import type { DataKey } from './sealing.js';

/** A session's data subject: the metadata key that named it and its reference. */
export interface SessionSubject {
  readonly key: string;
  readonly ref: string;
}

/** See {@link createSubjectKeys}. */
export interface SubjectKeys {
  /** Whether subjects' data is sealed (a master key is configured). */
  readonly sealing: boolean;
  /** The metadata keys that name a subject, in order of precedence. */
  readonly metadataKeys: readonly string[];
  /** The reference of the subject `key` = `value` within a tenant. */
  refOf(tenantId: TenantId, key: string, value: string): string;
  /** The subject of a session's metadata: the first configured key it holds as a non-empty string. */
  subjectOf(
    tenantId: TenantId,
    metadata: Readonly<Record<string, unknown>> | undefined,
  ): SessionSubject | undefined;
  /** The subject's data key to seal new data with, minted if it has none; undefined when not sealing. */
  sealingKey(tenantId: TenantId, ref: string): Promise<DataKey | undefined>;
  /** The subject's key to open sealed data with; undefined once erased (or never minted). */
  openingKey(tenantId: TenantId, ref: string): Promise<DataKey | undefined>;
  /** Deletes the subject's key; whether it had one. */
  erase(tenantId: TenantId, ref: string): Promise<boolean>;
}

/** Options of {@link createSubjectKeys}. */
export interface SubjectKeysOptions {
  readonly repos: Pick<Repositories, 'forTenant'>;
  /** The master key (32 bytes) wrapping every data key; absent: nothing is sealed. */
  readonly masterKey?: DataKey;
  readonly metadataKeys: readonly string[];
}

const aadOf = (tenantId: string, ref: string): string => `prx-voice subject key ${tenantId} ${ref}`;

/**
 * Creates the subject keys service.
 *
 * @example
 * const subjects = createSubjectKeys({ repos, masterKey, metadataKeys: ['caller_number'] });
 * const subject = subjects.subjectOf(tenantId, { caller_number: '+15550100' });
 * const key = subject && (await subjects.sealingKey(tenantId, subject.ref));
 */
export function createSubjectKeys(o: SubjectKeysOptions): SubjectKeys {
  const master = o.masterKey;
  // References are keyed by a secret derived from the master key, never the master key itself.
  const refSecret =
    master === undefined
      ? undefined
      : new Uint8Array(hkdfSync('sha256', master, new Uint8Array(0), 'prx-voice subject-ref', 32));
  const refOf = (tenantId: TenantId, key: string, value: string): string =>
    refSecret !== undefined
      ? subjectRef(refSecret, tenantId, key, value)
      : `subj_${createHash('sha256').update(`${tenantId}\0${key}\0${value}`).digest('hex').slice(0, 32)}`;
  const unwrap = (tenantId: TenantId, ref: string, wrapped: string): DataKey =>
    unwrapKey(master as DataKey, wrapped, aadOf(tenantId, ref));
  return {
    sealing: master !== undefined,
    metadataKeys: o.metadataKeys,
    refOf,
    subjectOf(tenantId, metadata) {
      if (metadata === undefined) return undefined;
      for (const key of o.metadataKeys) {
        const value = metadata[key];
        if (typeof value === 'string' && value !== '')
          return { key, ref: refOf(tenantId, key, value) };
      }
      return undefined;
    },
    async sealingKey(tenantId, ref) {
      if (master === undefined) return undefined;
      const repo = o.repos.forTenant(tenantId).subjects;
      const existing = await repo.get(ref);
      if (existing !== undefined) return unwrap(tenantId, ref, existing.wrapped_key);
      const row = await repo.ensure(ref, wrapKey(master, newDataKey(), aadOf(tenantId, ref)));
      return unwrap(tenantId, ref, row.wrapped_key);
    },
    async openingKey(tenantId, ref) {
      if (master === undefined) return undefined;
      const row = await o.repos.forTenant(tenantId).subjects.get(ref);
      return row === undefined ? undefined : unwrap(tenantId, ref, row.wrapped_key);
    },
    async erase(tenantId, ref) {
      return o.repos.forTenant(tenantId).subjects.erase(ref);
    },
  };
}
