/**
 * Declaring a route once: it is documented in the OpenAPI registry, mounted on
 * the API with its permission checked and its path, query and body validated,
 * and the handler gets the parsed values.
 */
import type { Hono } from 'hono';
import type { HonoBase } from 'hono/hono-base';
import type { BlankSchema } from 'hono/types';
import type { z } from 'zod';
import { checkPermission } from '../auth/middleware.js';
import type { ControlContext, ControlEnv } from './context.js';
import type { RouteAudit, RouteDoc, RouteRegistry } from './openapi.js';
import { toVoiceError } from './errors.js';
import { toHonoPath } from './openapi.js';
import { parseJsonBody, parseParams, parseQuery } from './validate.js';

/** The control app seen at its base path (`app.basePath('/api/v1')`). */
export type ControlApi = HonoBase<ControlEnv, BlankSchema, '/api/v1', '/api/v1'>;

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a route handler receives besides the context. */
export interface RouteInput<B, Q, P> {
  readonly body: B;
  readonly query: Q;
  readonly params: P;
}

/** A route: its documentation, schemas and handler. */
export interface RouteDefinition<
  BS extends z.ZodType | undefined = undefined,
  QS extends z.ZodType | undefined = undefined,
  PS extends z.ZodType | undefined = undefined,
> extends Omit<RouteDoc, 'body' | 'query' | 'params' | 'upgrade'> {
  readonly body?: BS;
  readonly query?: QS;
  readonly params?: PS;
  readonly handler: (
    c: ControlContext,
    input: RouteInput<Parsed<BS>, Parsed<QS>, Parsed<PS>>,
  ) => Response | Promise<Response>;
}

/** One call of an audited route, as the audit log records it. */
export interface AuditedCall {
  readonly audit: RouteAudit;
  /** The response's status (an error's, when the handler threw). */
  readonly status: number;
  /** The route's parsed path parameters, query and body (undefined when not parsed). */
  readonly input: RouteInput<unknown, unknown, unknown>;
  /** The `data` of a JSON success response (the created resource's id is read from it). */
  readonly data?: unknown;
}

/** Records calls of audited routes; never throws (failures are its own to report). */
export type AuditSink = (c: ControlContext, call: AuditedCall) => Promise<void>;

/** Where routes are mounted: the app at its base path, and at its root. */
export interface RouteTargets {
  readonly api: ControlApi;
  readonly root: Hono<ControlEnv>;
  /** Where calls of routes declaring `audit` are recorded. */
  readonly audit?: AuditSink;
}

/** The `data` of a JSON envelope response, if it is one. */
async function dataOf(res: Response): Promise<unknown> {
  if (!(res.headers.get('content-type') ?? '').includes('application/json')) return undefined;
  try {
    return ((await res.clone().json()) as { data?: unknown }).data;
  } catch {
    return undefined;
  }
}

/**
 * Registers a route in `registry` and mounts it below the base path (or at the
 * root for `at: 'root'`, and at both for `alsoAtRoot`). The permission is
 * checked against the caller's own tenant before anything is parsed; handlers
 * check cross-tenant resources with `checkPermission`.
 */
export function addRoute<
  BS extends z.ZodType | undefined = undefined,
  QS extends z.ZodType | undefined = undefined,
  PS extends z.ZodType | undefined = undefined,
>(targets: RouteTargets, registry: RouteRegistry, def: RouteDefinition<BS, QS, PS>): void {
  const { handler, ...doc } = def;
  registry.add(doc as RouteDoc);
  const run = async (
    c: ControlContext,
    input: { body?: Parsed<BS>; query?: Parsed<QS>; params?: Parsed<PS> },
  ): Promise<Response> => {
    if (def.permission !== undefined && def.auth !== 'none') checkPermission(c, def.permission);
    input.params = (
      def.params === undefined ? undefined : parseParams(c, def.params)
    ) as Parsed<PS>;
    input.query = (def.query === undefined ? undefined : parseQuery(c, def.query)) as Parsed<QS>;
    input.body = (
      def.body === undefined ? undefined : await parseJsonBody(c, def.body)
    ) as Parsed<BS>;
    return handler(c, {
      body: input.body,
      query: input.query,
      params: input.params,
    });
  };
  const { audit } = def;
  const sink = targets.audit;
  const serve = async (c: ControlContext): Promise<Response> => {
    const input: { body?: Parsed<BS>; query?: Parsed<QS>; params?: Parsed<PS> } = {};
    if (audit === undefined || sink === undefined) return run(c, input);
    try {
      const res = await run(c, input);
      const data = res.status < 300 ? await dataOf(res) : undefined;
      await sink(c, {
        audit,
        status: res.status,
        input: { body: input.body, query: input.query, params: input.params },
        ...(data === undefined ? {} : { data }),
      });
      return res;
    } catch (err) {
      await sink(c, {
        audit,
        status: toVoiceError(err).status,
        input: { body: input.body, query: input.query, params: input.params },
      });
      throw err;
    }
  };
  const method = def.method.toUpperCase();
  const path = toHonoPath(def.path);
  if (def.at === 'root') targets.root.on(method, path, serve);
  else targets.api.on(method, path, serve);
  if (def.alsoAtRoot === true && def.at !== 'root') targets.root.on(method, path, serve);
}

/** Registers one route (an {@link addRoute} bound to an app and its registry). */
export type DefineRoute = <
  BS extends z.ZodType | undefined = undefined,
  QS extends z.ZodType | undefined = undefined,
  PS extends z.ZodType | undefined = undefined,
>(
  def: RouteDefinition<BS, QS, PS>,
) => void;
