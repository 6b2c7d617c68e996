import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { VoiceError } from '@prx-voice/types';
import type { ApiKeyId, TenantId } from '@prx-voice/types';
import type { ApiKeyRow, Repositories } from '@prx-voice/storage';
import { isRole } from './rbac.js';
import type { Principal, Role } from './rbac.js';

/** Every API key starts with this. */
export const API_KEY_PREFIX = 'pk_';
/** Shortest key accepted (the bootstrap key of the configuration included). */
export const MIN_API_KEY_LENGTH = 32;

const LOOKUP_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const LOOKUP_LENGTH = 16;
// pk_ + 16-char lookup id + _ + 43-char base64url secret (32 random bytes).
const GENERATED = /^pk_([0-9a-hjkmnp-tv-z]{16})_([A-Za-z0-9_-]{43})$/;
const MAX_API_KEY_LENGTH = 256;

/** A key as created: the secret is in `key` and is never shown again. */
export interface CreatedApiKey {
  readonly key: string;
  readonly row: ApiKeyRow;
}

/** The result of checking a presented key. */
export type ApiKeyVerification =
  | { readonly kind: 'valid'; readonly principal: Principal; readonly keyId: ApiKeyId }
  | {
      readonly kind: 'invalid';
      readonly reason: 'malformed' | 'unknown' | 'revoked' | 'expired';
      /** For a revoked or expired key (the secret matched): whose key it is. */
      readonly tenantId?: TenantId;
      readonly keyId?: ApiKeyId;
    };

/**
 * The public lookup id of a key, stored beside its hash so a presented key is
 * found without scanning. Generated keys carry theirs in plain sight; any other
 * key (an operator-chosen bootstrap key) gets one derived from its SHA-256.
 */
export function lookupIdOf(key: string): string {
  const m = GENERATED.exec(key);
  if (m?.[1] !== undefined) return m[1];
  return `h${createHash('sha256').update(key).digest('hex').slice(0, 31)}`;
}

/** The salted hash stored for a key: HMAC-SHA-256 keyed by a per-key random salt (keys carry ≥ 256 bits, so a slow KDF buys nothing). */
export function hashApiKey(key: string, salt: string): string {
  return createHmac('sha256', Buffer.from(salt, 'hex')).update(key).digest('hex');
}

/** Makes a new random key string (`pk_<lookup>_<secret>`). */
export function generateApiKey(random: (n: number) => Buffer = randomBytes): string {
  const lookupBytes = random(LOOKUP_LENGTH);
  let lookup = '';
  for (const b of lookupBytes) lookup += LOOKUP_ALPHABET.charAt(b & 31);
  return `${API_KEY_PREFIX}${lookup}_${random(32).toString('base64url')}`;
}

/** Checks the shape of a presented or configured key; returns why it is unusable, or undefined. */
export function apiKeyProblem(key: string): string | undefined {
  if (!key.startsWith(API_KEY_PREFIX)) return `an API key starts with ${API_KEY_PREFIX}`;
  if (key.length < MIN_API_KEY_LENGTH)
    return `an API key has at least ${MIN_API_KEY_LENGTH} characters`;
  if (key.length > MAX_API_KEY_LENGTH)
    return `an API key has at most ${MAX_API_KEY_LENGTH} characters`;
  if (!/^[\x21-\x7e]+$/.test(key)) return 'an API key is printable ASCII without spaces';
  return undefined;
}

/** API key management and verification over the repositories. */
export interface ApiKeyService {
  /** Creates a key (random unless `key` is given, as for the bootstrap key). */
  create(opts: {
    readonly tenantId: TenantId;
    readonly name: string;
    readonly role: Role;
    readonly createdBy?: string;
    readonly expiresAt?: Date;
    readonly key?: string;
  }): Promise<CreatedApiKey>;
  /** Verifies a presented key in constant time with respect to the secret. */
  verify(presented: string): Promise<ApiKeyVerification>;
  revoke(tenantId: TenantId, id: ApiKeyId): Promise<boolean>;
}

/**
 * Creates the API key service.
 *
 * @example
 * const keys = createApiKeyService({ repos, clock });
 * const { key } = await keys.create({ tenantId, name: 'ci', role: 'workspace_developer' });
 * const result = await keys.verify(key); // { kind: 'valid', principal }
 */
export function createApiKeyService(opts: {
  readonly repos: Repositories;
  readonly clock: { now(): number };
  readonly random?: (n: number) => Buffer;
}): ApiKeyService {
  const random = opts.random ?? randomBytes;
  // Compared against when a lookup id is unknown, so that path costs the same as a mismatch.
  const decoySalt = random(16).toString('hex');
  const decoyHash = hashApiKey('decoy', decoySalt);
  return {
    async create(o) {
      const key = o.key ?? generateApiKey(random);
      const problem = apiKeyProblem(key);
      if (problem !== undefined)
        throw new VoiceError('VALIDATION_FAILED', { message: problem, details: { field: 'key' } });
      if (o.name.length === 0 || o.name.length > 100) {
        throw new VoiceError('VALIDATION_FAILED', {
          message: 'an API key name has 1–100 characters',
          details: { field: 'name' },
        });
      }
      const salt = random(16).toString('hex');
      const row = await opts.repos.forTenant(o.tenantId).apiKeys.create({
        lookupId: lookupIdOf(key),
        name: o.name,
        role: o.role,
        salt,
        hash: hashApiKey(key, salt),
        ...(o.createdBy === undefined ? {} : { createdBy: o.createdBy }),
        ...(o.expiresAt === undefined ? {} : { expiresAt: o.expiresAt }),
      });
      return { key, row };
    },
    async verify(presented) {
      if (apiKeyProblem(presented) !== undefined) return { kind: 'invalid', reason: 'malformed' };
      const row = await opts.repos.apiKeyLookup.find(lookupIdOf(presented));
      const expected = Buffer.from(row?.hash ?? decoyHash, 'hex');
      const actual = Buffer.from(hashApiKey(presented, row?.salt ?? decoySalt), 'hex');
      const matches = expected.length === actual.length && timingSafeEqual(expected, actual);
      if (row === undefined || !matches) return { kind: 'invalid', reason: 'unknown' };
      const owner = { tenantId: row.tenant_id as TenantId, keyId: row.id as ApiKeyId };
      if (row.revoked_at !== null) return { kind: 'invalid', reason: 'revoked', ...owner };
      if (row.expires_at !== null && row.expires_at.getTime() <= opts.clock.now())
        return { kind: 'invalid', reason: 'expired', ...owner };
      if (!isRole(row.role)) return { kind: 'invalid', reason: 'unknown' };
      await opts.repos.apiKeyLookup.touch(row.id as ApiKeyId);
      return {
        kind: 'valid',
        keyId: row.id as ApiKeyId,
        principal: {
          tenantId: row.tenant_id as TenantId,
          role: row.role,
          subject: row.id,
          kind: 'api_key',
        },
      };
    },
    async revoke(tenantId, id) {
      return opts.repos.forTenant(tenantId).apiKeys.revoke(id);
    },
  };
}
