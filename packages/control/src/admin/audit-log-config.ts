/**
 * The server's audit log and retention sweeper from `audit.*`: checkpoints signed with the configured Ed25519
 * key when `audit.signing.enabled` (a key that is missing, unreadable or not Ed25519
 * stops start-up naming the key), none otherwise.
 */
import { readFileSync } from 'node:fs';
import {
  createAuditLog,
  createCheckpointSigner,
  createRetentionSweeper,
  parsePrivateKey,
} from '@prx-voice/audit';
import type { AuditLog, CheckpointSigner, RetentionSweeper } from '@prx-voice/audit';
import type { Clock, Config, Logger } from '@prx-voice/core';
import type { ObjectStore, Repositories } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';

function invalid(key: string, expected: string): VoiceError {
  return new VoiceError('CONFIG_INVALID', {
    message: `Invalid configuration (1 problem):\n  - ${key}: ${expected}`,
  });
}

/** The checkpoint signer `audit.signing` describes, if enabled. */
export function auditSignerFromConfig(config: Config): CheckpointSigner | undefined {
  const signing = config.audit.signing;
  if (!signing.enabled) return undefined;
  const key =
    signing.private_key !== undefined
      ? 'audit.signing.private_key'
      : 'audit.signing.private_key_file';
  let text = signing.private_key;
  if (text === undefined) {
    const file = signing.private_key_file ?? '';
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw invalid(
        key,
        `cannot read ${file} (${err instanceof Error ? err.message : String(err)})`,
      );
    }
  }
  try {
    return createCheckpointSigner(signing.name, parsePrivateKey(text));
  } catch {
    throw invalid(key, 'expected an Ed25519 private key: a base64 32-byte seed or a PKCS#8 PEM');
  }
}

/** The audit log of a server. */
export function auditLogFromConfig(o: {
  readonly config: Config;
  readonly repos: Repositories;
  readonly clock: Clock;
  readonly logger: Logger;
}): AuditLog {
  const signer = auditSignerFromConfig(o.config);
  return createAuditLog({
    repos: o.repos,
    clock: o.clock,
    ...(signer === undefined ? {} : { signer }),
    checkpointEvery: o.config.audit.checkpoint_every,
    checkpointIntervalMs: o.config.audit.checkpoint_interval_ms,
    onError: (err, context) =>
      o.logger.warn({ error: err instanceof Error ? err.message : String(err) }, context),
  });
}

/** The retention sweeper `audit.retention` describes, recording its sweeps in `audit`. */
export function retentionSweeperFromConfig(o: {
  readonly config: Config;
  readonly repos: Repositories;
  readonly clock: Clock;
  readonly audit: AuditLog;
  readonly logger: Logger;
  /** Where recordings' files are deleted from. */
  readonly store?: ObjectStore | undefined;
}): RetentionSweeper {
  return createRetentionSweeper({
    repos: o.repos,
    clock: o.clock,
    audit: o.audit,
    ...(o.store === undefined ? {} : { store: o.store }),
    defaults: o.config.audit.retention,
    intervalMs: o.config.audit.retention.sweep_interval_ms,
    onError: (err, context) =>
      o.logger.warn({ error: err instanceof Error ? err.message : String(err) }, context),
  });
}
