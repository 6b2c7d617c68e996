/** The `audit` section: the tamper-evident audit log's signed checkpoints. */
import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';
import { flag, integerIn, nonEmptyString } from './schema-helpers.js';

/**
 * Whether `value` is an Ed25519 private key as the configuration takes it: the 32-byte
 * seed in base64, or a PKCS#8 PEM (`openssl genpkey -algorithm ed25519`).
 */
export function isEd25519PrivateKey(value: string): boolean {
  const text = value.trim();
  if (text.startsWith('-----BEGIN')) {
    try {
      return createPrivateKey(text).asymmetricKeyType === 'ed25519';
    } catch {
      return false;
    }
  }
  return /^[A-Za-z0-9+/]{43}=?$/.test(text) && Buffer.from(text, 'base64').length === 32;
}

/** Whether `value` is a 32-byte key as base64 (standard or URL alphabet) or 64 hex digits. */
export function isDataKeyText(value: string): boolean {
  const text = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return true;
  return /^[A-Za-z0-9+/_-]{43}=?$/.test(text) && Buffer.from(text, 'base64').length === 32;
}

const privateKey = z.string().refine(isEd25519PrivateKey, {
  error: 'expected an Ed25519 private key: a base64 32-byte seed or a PKCS#8 PEM',
});

/** The `audit` section. */
export const auditSchema = z
  .strictObject({
    /** Checkpoints of each tenant's chain (tree size and head hash), signed as a note. */
    signing: z
      .strictObject({
        enabled: flag().default(false),
        /** The signer's name in the signed note (and the verifier key). */
        name: nonEmptyString()
          .regex(/^[^\s+]+$/, { error: 'expected a name without spaces or "+"' })
          .default('prx-voice-audit'),
        private_key: privateKey.optional(),
        /** A file holding the private key (read at start-up). */
        private_key_file: nonEmptyString('a file path').optional(),
      })
      .prefault({}),
    /**
     * What sessions' transcripts are redacted at before they are stored or leave the
     * session (events, turns), for tenants whose `settings.redaction` does not say.
     */
    redaction: z
      .enum(['none', 'basic', 'strict'], { error: 'expected "none", "basic" or "strict"' })
      .default('none'),
    /**
     * How long a tenant's data is kept (a tenant's `settings.retention.<key>` overrides
     * each), days; the sweeper deletes what is older and records it in the audit log.
     */
    retention: z
      .strictObject({
        /** Sessions that ended longer ago, with their turns and events. */
        sessions_days: integerIn(1, 36_500).default(90),
        /** Recordings made longer ago (rows and objects). */
        recordings_days: integerIn(1, 36_500).default(30),
        /** Debug-severity events (partials, token streams, audio chunks). */
        debug_events_days: integerIn(1, 36_500).default(7),
        /** Meter events, ledger entries and invoices. */
        billing_days: integerIn(1, 36_500).default(1_095),
        /**
         * Audit records, up to the newest signed checkpoint of records this old (the anchor
         * verification starts from); none without `audit.signing`.
         */
        audit_days: integerIn(1, 36_500).default(730),
        /** How often the sweeper runs, ms. */
        sweep_interval_ms: integerIn(60_000, 86_400_000).default(3_600_000),
      })
      .prefault({}),
    /**
     * Recording conversations to the object store, stereo (caller left, bot right): the
     * default for tenants whose `settings.recording` does not say; a session's `record`
     * on create overrides both.
     */
    recording: z
      .strictObject({
        enabled: flag().default(false),
        /** Length of the chunks written while the session runs (a crash loses at most one), ms. */
        chunk_ms: integerIn(1_000, 60_000).default(5_000),
      })
      .prefault({}),
    /**
     * Data subjects (GDPR export and erasure): a session belongs to the subject named by
     * the first of `metadata_keys` its metadata holds. With a master key, each subject's
     * recordings and transcripts are sealed with its own data key (wrapped under the
     * master key), so erasure makes every copy unreadable; without one, erasure deletes.
     */
    subjects: z
      .strictObject({
        metadata_keys: z
          .array(
            nonEmptyString('a metadata key')
              .max(64, { error: 'expected at most 64 characters' })
              .regex(/^[A-Za-z0-9_.-]+$/, { error: 'expected letters, digits, "_", "." or "-"' }),
          )
          .max(16, { error: 'expected at most 16 keys' })
          .default(['subject_id', 'caller_number', 'user_id']),
        master_key: z
          .string()
          .refine(isDataKeyText, { error: 'expected a 32-byte key: base64 or 64 hex digits' })
          .optional(),
        /** A file holding the master key (read at start-up). */
        master_key_file: nonEmptyString('a file path').optional(),
        /** How long an export's signed download link works, ms. */
        export_link_ttl_ms: integerIn(60_000, 7 * 86_400_000).default(86_400_000),
      })
      .prefault({}),
    /** A checkpoint after this many new records of a tenant. */
    checkpoint_every: integerIn(1, 1_000_000).default(100),
    /** And at least this often for a tenant with records since its last checkpoint, ms. */
    checkpoint_interval_ms: integerIn(1_000, 86_400_000).default(60_000),
  })
  .superRefine((audit, ctx) => {
    const { signing } = audit;
    if (!signing.enabled) return;
    if (signing.private_key === undefined && signing.private_key_file === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['signing', 'private_key'],
        message: 'expected a private key (or private_key_file) when audit.signing.enabled is true',
      });
    }
  });

/** The validated `audit` section. */
export type AuditConfig = z.output<typeof auditSchema>;
