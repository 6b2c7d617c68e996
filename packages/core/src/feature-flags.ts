/**
 * Feature flags evaluated per tenant from `features` definitions.
 *
 * Semantics, first match wins:
 * 1. unknown flag → off;
 * 2. `enabled: false` → off for everyone (the kill switch beats the allow-list);
 * 3. the tenant is on `tenants` → on;
 * 4. with `percentage`: a tenant is on when its bucket — sha256 of
 *    `<flag>:<tenantId>` mapped to [0, 100) — is below the percentage, so one
 *    tenant always gets the same answer and raising the percentage only adds
 *    tenants; without a tenant id it is on only at 100;
 * 5. with `tenants` but no `percentage` → off for everyone else (an empty list allows nobody);
 * 6. neither → on for everyone.
 */
import { createHash } from 'node:crypto';
import { VoiceError } from '@prx-voice/types';
import { z } from 'zod';
import { featuresSchema } from './config/features-schema.js';
import type { FeatureFlagDefinition } from './config/features-schema.js';

/** Who a flag is evaluated for. */
export interface FlagContext {
  /** The tenant; flags with a rollout percentage need one. */
  readonly tenantId?: string | undefined;
}

/** Why a flag evaluated as it did. */
export type FlagReason =
  | 'unknown_flag'
  | 'disabled'
  | 'allow_list'
  | 'in_rollout'
  | 'outside_rollout'
  | 'no_tenant'
  | 'not_listed'
  | 'everyone';

/** A flag decision with its reason, for logs and support. */
export interface FlagExplanation {
  /** The flag asked about. */
  readonly flag: string;
  /** The decision. */
  readonly enabled: boolean;
  /** The rule that decided. */
  readonly reason: FlagReason;
  /** The tenant's rollout bucket in [0, 100), when a percentage was consulted for a tenant. */
  readonly bucket?: number;
  /** The decision in one sentence. */
  readonly text: string;
}

/** Evaluates feature flags. */
export interface FeatureFlags {
  /** Whether `flag` is on for the context. */
  isEnabled(flag: string, context?: FlagContext): boolean;
  /** The decision and the rule behind it. */
  explain(flag: string, context?: FlagContext): FlagExplanation;
}

/** The stable rollout bucket of a tenant for a flag: sha256(`flag:tenant`) mapped to [0, 100). */
export function rolloutBucket(flag: string, tenantId: string): number {
  const digest = createHash('sha256').update(`${flag}:${tenantId}`).digest();
  // 48 bits are exact in a double and plenty to spread tenants evenly.
  return (digest.readUIntBE(0, 6) / 2 ** 48) * 100;
}

function decide(
  flag: string,
  definition: FeatureFlagDefinition | undefined,
  tenantId: string | undefined,
): FlagExplanation {
  const who = tenantId === undefined ? 'without a tenant' : `for tenant "${tenantId}"`;
  const result = (
    enabled: boolean,
    reason: FlagReason,
    why: string,
    bucket?: number,
  ): FlagExplanation => ({
    flag,
    enabled,
    reason,
    ...(bucket === undefined ? {} : { bucket }),
    text: `flag "${flag}" is ${enabled ? 'on' : 'off'} ${who}: ${why}`,
  });
  if (definition === undefined) return result(false, 'unknown_flag', 'no such flag is defined');
  if (!definition.enabled) return result(false, 'disabled', 'the flag is disabled');
  const { tenants, percentage } = definition;
  if (tenantId !== undefined && tenants?.includes(tenantId) === true) {
    return result(true, 'allow_list', 'the tenant is on the allow-list');
  }
  if (percentage !== undefined) {
    if (tenantId === undefined) {
      return percentage >= 100
        ? result(true, 'everyone', 'the rollout is at 100%')
        : result(false, 'no_tenant', `a ${percentage}% rollout needs a tenant id`);
    }
    const bucket = rolloutBucket(flag, tenantId);
    return bucket < percentage
      ? result(
          true,
          'in_rollout',
          `bucket ${bucket.toFixed(2)} is below the ${percentage}% rollout`,
          bucket,
        )
      : result(
          false,
          'outside_rollout',
          `bucket ${bucket.toFixed(2)} is not below the ${percentage}% rollout`,
          bucket,
        );
  }
  if (tenants !== undefined)
    return result(false, 'not_listed', 'the flag is limited to its allow-list');
  return result(true, 'everyone', 'the flag is enabled for everyone');
}

/**
 * Creates a flag evaluator over `definitions` (the `features` config section).
 *
 * @throws VoiceError `VALIDATION_FAILED` when a definition or flag name is invalid.
 * @example
 * const flags = createFeatureFlags(config.features);
 * if (flags.isEnabled('semantic_vad', { tenantId })) useSemanticVad();
 */
export function createFeatureFlags(
  definitions: Readonly<Record<string, FeatureFlagDefinition>>,
): FeatureFlags {
  const parsed = featuresSchema.safeParse(definitions);
  if (!parsed.success) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `Invalid feature flag definitions: ${z.prettifyError(parsed.error)}`,
      details: {
        issues: parsed.error.issues.map((issue) => ({
          path: issue.path.map(String),
          message: issue.message,
        })),
      },
    });
  }
  const flags = new Map(Object.entries(parsed.data));
  const explain = (flag: string, context: FlagContext = {}): FlagExplanation =>
    decide(flag, flags.get(flag), context.tenantId);
  return {
    isEnabled: (flag, context) => explain(flag, context).enabled,
    explain,
  };
}
