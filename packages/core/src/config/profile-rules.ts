/**
 * Rules that span sections, checked on the merged input whether or not the
 * sections themselves are valid, so they are reported together with every other problem.
 *
 * The `production` profile requires `storage.database_url` (Postgres) and
 * `storage.redis_url` (Redis) — embedded stores do not survive restarts or
 * scale past one instance — and refuses a bootstrap API key shorter than 40 characters.
 * `server.workers` other than 1 requires the same two stores (the workers are instances
 * that share them) and no `server.tls` (connections are handed between workers as sockets).
 */
import { MIN_BOOTSTRAP_KEY_LENGTH, PRODUCTION_MIN_BOOTSTRAP_KEY_LENGTH } from './auth-schema.js';
import { valueAt } from './config-issue.js';
import type { PendingIssue } from './config-issue.js';

function isSet(value: unknown): boolean {
  return value !== undefined && value !== '';
}

/** The cross-section problems of `server.workers` in `raw`. */
export function workersIssues(raw: unknown): PendingIssue[] {
  const workers = valueAt(raw, ['server', 'workers']);
  if (workers === undefined || workers === 1) return [];
  const because = `server.workers is ${JSON.stringify(workers)} (the workers are instances that share their stores)`;
  const issues: PendingIssue[] = [];
  for (const [key, what, env] of [
    ['database_url', 'a postgres:// URL', 'DATABASE_URL'],
    ['redis_url', 'a redis:// URL', 'REDIS_URL'],
  ] as const) {
    const value = valueAt(raw, ['storage', key]);
    if (!isSet(value))
      issues.push({
        path: ['storage', key],
        value,
        expected: `expected ${what} because ${because}; set ${env} or storage.${key}, or server.workers: 1`,
      });
  }
  const tls = valueAt(raw, ['server', 'tls']);
  if (tls !== undefined)
    issues.push({
      path: ['server', 'tls'],
      value: tls,
      expected: `expected no server.tls because server.workers is ${JSON.stringify(workers)}: a connection is handed to the worker holding its session as a socket, which TLS does not allow; terminate TLS in front of the server or set server.workers: 1`,
    });
  return issues;
}

/** The cross-section problems of `raw`; `profileSource` says where `deploy.profile` came from. */
export function profileIssues(raw: unknown, profileSource: string): PendingIssue[] {
  if (valueAt(raw, ['deploy', 'profile']) !== 'production') return [];
  const because = `deploy.profile is "production" (from ${profileSource})`;
  const issues: PendingIssue[] = [];
  const databaseUrl = valueAt(raw, ['storage', 'database_url']);
  if (!isSet(databaseUrl)) {
    issues.push({
      path: ['storage', 'database_url'],
      value: databaseUrl,
      expected: `expected a postgres:// URL because ${because}; set DATABASE_URL or storage.database_url`,
    });
  }
  const redisUrl = valueAt(raw, ['storage', 'redis_url']);
  if (!isSet(redisUrl)) {
    issues.push({
      path: ['storage', 'redis_url'],
      value: redisUrl,
      expected: `expected a redis:// URL because ${because}; set REDIS_URL or storage.redis_url`,
    });
  }
  const bootstrapKey = valueAt(raw, ['auth', 'bootstrap_api_key']);
  // Shorter than the general minimum is already reported by the schema, which names both limits.
  if (
    typeof bootstrapKey === 'string' &&
    bootstrapKey.length >= MIN_BOOTSTRAP_KEY_LENGTH &&
    bootstrapKey.length < PRODUCTION_MIN_BOOTSTRAP_KEY_LENGTH
  ) {
    issues.push({
      path: ['auth', 'bootstrap_api_key'],
      value: bootstrapKey,
      expected: `expected a key of at least ${PRODUCTION_MIN_BOOTSTRAP_KEY_LENGTH} characters because ${because}`,
    });
  }
  return issues;
}
