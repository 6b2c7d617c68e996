/**
 * A control app over an in-memory migrated PGlite, the in-process coordinator
 * and a simulated clock, with helpers to make tenants and keys and to send
 * requests through Hono's in-process fetch. Open one per test file (PGlite
 * takes seconds to start) and isolate tests by tenant.
 */
import type { JWTVerifyGetKey } from 'jose';
import type { Config, LogFn, Logger } from '@prx-voice/core';
import { parseConfig } from '@prx-voice/core';
import { SimulatedClock } from '@prx-voice/core/testing';
import { createApiKeyService, createTenant } from '@prx-voice/policy';
import type { ApiKeyService, Role, Tier } from '@prx-voice/policy';
import { createMemoryCoordinator } from '@prx-voice/storage';
import type { Coordinator, TenantRow } from '@prx-voice/storage';
import { openTestDatabase } from '@prx-voice/storage/testing';
import type { TestDatabase, TestDatabaseKind } from '@prx-voice/storage/testing';
import { createSequentialIdGenerator } from '@prx-voice/types';
import type { IdGenerator, TenantId } from '@prx-voice/types';
import { createControlApp } from '../app.js';
import type { ControlApp, ControlDeps } from '../app.js';
import { createVoiceMetrics } from '@prx-voice/observe';
import type { VoiceMetrics } from '@prx-voice/observe';
import type { ReadinessReport } from '../metrics/readiness.js';
import { routeTable } from '../route-table.js';
import type { RouteTableDeps } from '../route-table.js';

/** A request sent through {@link ControlHarness.request}. */
export interface HarnessRequest {
  readonly method?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** JSON-encoded with `Content-Type: application/json` unless a string. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** What a test works with. */
export interface ControlHarness {
  readonly db: TestDatabase;
  readonly clock: SimulatedClock;
  readonly ids: IdGenerator;
  readonly coordinator: Coordinator;
  readonly apiKeys: ApiKeyService;
  readonly metrics: VoiceMetrics;
  readonly config: Config;
  readonly control: ControlApp;
  /** What the app logged. */
  readonly logged: { fields: Record<string, unknown>; message: string }[];
  /** The logger that records into `logged` (for what a test composes itself). */
  readonly log: Logger;
  /** Another app over the same database, coordinator and clock, with other config or deps. */
  build(opts?: { config?: unknown; deps?: Partial<ControlDeps & RouteTableDeps> }): ControlApp;
  /** A new tenant with a unique slug. */
  tenant(tier?: Tier): Promise<TenantRow>;
  /** A new API key of a tenant. */
  key(tenantId: string, role: Role): Promise<string>;
  /** Sends a request to `app` (default the harness's app); JSON bodies are encoded. */
  request(path: string, req?: HarnessRequest, app?: ControlApp): Promise<Response>;
  close(): Promise<void>;
}

/** Options of {@link createControlHarness}. */
export interface ControlHarnessOptions {
  /** Raw configuration input (snake_case, as in YAML). */
  readonly config?: unknown;
  readonly readiness?: () => Promise<ReadinessReport>;
  readonly jwtKey?: JWTVerifyGetKey;
  /** The database to run on (default `pglite`; `postgres` needs `DATABASE_URL`). */
  readonly kind?: TestDatabaseKind;
}

/**
 * Opens the harness.
 *
 * @example
 * const h = await createControlHarness();
 * const t = await h.tenant();
 * const res = await h.request(`/api/v1/tenants/${t.id}`, { token: await h.key(t.id, 'tenant_admin') });
 */
export async function createControlHarness(
  opts: ControlHarnessOptions = {},
): Promise<ControlHarness> {
  const clock = new SimulatedClock();
  const ids = createSequentialIdGenerator();
  const db = await openTestDatabase({
    clock,
    ids,
    ...(opts.kind === undefined ? {} : { kind: opts.kind }),
  });
  const coordinator = createMemoryCoordinator({ clock });
  const apiKeys = createApiKeyService({ repos: db.repos, clock });
  const metrics = createVoiceMetrics({ defaultMetrics: false });
  const logged: ControlHarness['logged'] = [];
  const record = ((first: unknown, message?: string) => {
    if (typeof first === 'string') logged.push({ fields: {}, message: first });
    else logged.push({ fields: first as Record<string, unknown>, message: message ?? '' });
  }) as LogFn;
  const log: Logger = {
    trace: record,
    debug: record,
    info: record,
    warn: record,
    error: record,
    fatal: record,
    child: () => log,
  };
  const readiness =
    opts.readiness ??
    (() => Promise.resolve({ ready: true, checks: [{ name: 'storage', ok: true }] }));
  let slugs = 0;
  // The app with the routes of the table that need no session manager.
  const build: ControlHarness['build'] = (o = {}) => {
    const deps: ControlDeps & RouteTableDeps = {
      config: parseConfig(o.config ?? opts.config ?? {}, { runtime: { hostname: 'test', pid: 1 } }),
      clock,
      ids,
      repos: db.repos,
      coordinator,
      apiKeys,
      metrics,
      readiness,
      instanceId: 'test-1',
      log,
      ...(opts.jwtKey === undefined ? {} : { jwtKey: opts.jwtKey }),
      ...o.deps,
    };
    const app = createControlApp(deps);
    app.mount(...routeTable(app, deps));
    return app;
  };
  const control = build();
  const config = parseConfig(opts.config ?? {}, { runtime: { hostname: 'test', pid: 1 } });
  return {
    db,
    clock,
    ids,
    coordinator,
    apiKeys,
    metrics,
    config,
    control,
    logged,
    log,
    build,
    tenant: (tier = 'growth') =>
      createTenant(db.repos, {
        slug: `t-${String(++slugs)}-${String(clock.now())}`,
        name: 'Test',
        tier,
      }),
    key: async (tenantId, role) =>
      (await apiKeys.create({ tenantId: tenantId as TenantId, name: `k-${role}`, role })).key,
    request: (path, req = {}, app = control) => {
      const headers: Record<string, string> = { ...req.headers };
      if (req.token !== undefined) headers['Authorization'] = `Bearer ${req.token}`;
      let body: string | undefined;
      if (typeof req.body === 'string') body = req.body;
      else if (req.body !== undefined) {
        body = JSON.stringify(req.body);
        headers['Content-Type'] ??= 'application/json';
      }
      return Promise.resolve(
        app.app.request(path, {
          method: req.method ?? 'GET',
          headers,
          ...(body === undefined ? {} : { body }),
        }),
      );
    },
    close: () => db.close(),
  };
}
