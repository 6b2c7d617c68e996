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
        /** Debug-severity events (partials, token streams, audio chunks). */
        debug_events_days: integerIn(1, 36_500).default(7),
        /** Meter events, ledger entries and invoices. */
        billing_days: integerIn(1, 36_500).default(1_095),
        /** How often the sweeper runs, ms. */
        sweep_interval_ms: integerIn(60_000, 86_400_000).default(3_600_000),
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
