/** Validation shared by `parseConfig` and `loadConfig`: schema, cross-section rules, one error. */
import { configSchema } from './config-schema.js';
import type { Config } from './config-schema.js';
import { configInvalid, resolveIssues } from './config-issue.js';
import type { PendingIssue } from './config-issue.js';
import { deriveInstanceId } from './instance-id.js';
import type { InstanceRuntime } from './instance-id.js';
import { profileIssues, workersIssues } from './profile-rules.js';
import type { SourceMap } from './source-map.js';
import { describeIssue, pendingFromZod } from './zod-issues.js';

/** What validation needs besides the input. */
export interface ValidationContext {
  /** Where each value came from. */
  readonly sources: SourceMap;
  /** Host facts for the default `deploy.instance_id`; the real host when omitted. */
  readonly runtime?: InstanceRuntime | undefined;
  /** Problems found before validation (environment typos). */
  readonly earlier?: readonly PendingIssue[];
  /** Further checks on the merged input (files that must exist). */
  readonly check?: (raw: unknown) => readonly PendingIssue[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy in which mapping entries set to `null` (YAML `key:` with no value) are absent. */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, inner]) => inner !== null)
        .map(([name, inner]) => [name, withoutNulls(inner)]),
    );
  }
  return value;
}

function withInstanceId(raw: unknown, runtime: InstanceRuntime | undefined): unknown {
  if (runtime === undefined || !isPlainObject(raw)) return raw;
  const deploy = raw['deploy'] ?? {};
  if (!isPlainObject(deploy) || deploy['instance_id'] !== undefined) return raw;
  return { ...raw, deploy: { ...deploy, instance_id: deriveInstanceId(runtime) } };
}

/**
 * Validates `input` (null entries dropped, defaults applied) and returns the
 * config, or throws one `CONFIG_INVALID` listing every problem.
 */
export function validateConfig(input: unknown, context: ValidationContext): Config {
  const raw = withInstanceId(withoutNulls(input ?? {}), context.runtime);
  const pending: PendingIssue[] = [...(context.earlier ?? [])];
  const result = configSchema.safeParse(raw, { error: describeIssue });
  if (!result.success) pending.push(...pendingFromZod(result.error, raw, configSchema));
  pending.push(...profileIssues(raw, context.sources.lookup(['deploy', 'profile'])));
  pending.push(...workersIssues(raw));
  if (context.check !== undefined) pending.push(...context.check(raw));
  if (pending.length > 0 || !result.success) {
    throw configInvalid(resolveIssues(pending, context.sources));
  }
  return result.data;
}
