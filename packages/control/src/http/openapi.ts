/**
 * The route registry behind `GET /openapi.json`: each route declares its method,
 * path, summary, permission, auth mode and zod schemas, and the OpenAPI 3.1
 * document is generated from the same schemas that validate requests.
 */
import { z } from 'zod';
import type { Permission } from '@prx-voice/policy';
import type { ErrorCode } from '@prx-voice/types';
import { ERROR_CODES } from '@prx-voice/types';
import { errorEnvelopeSchema, okEnvelopeSchema } from './schemas.js';

/** An HTTP method of a route, lower-case. */
export type RouteMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** How a route authenticates: bearer header (default), header or `?token=` (WebSocket upgrades), or not at all. */
export type AuthMode = 'required' | 'query' | 'none';

/** What a route declares about itself. */
export interface RouteDoc {
  readonly method: RouteMethod;
  /** Path below the base path, OpenAPI style: `/sessions/{id}`. */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  /** The permission the caller's role needs; omit for routes any authenticated caller may use. */
  readonly permission?: Permission;
  readonly auth?: AuthMode;
  readonly body?: z.ZodType;
  readonly query?: z.ZodType;
  readonly params?: z.ZodType;
  /** Request headers the route reads (documented only: the handler checks them). */
  readonly headers?: z.ZodType;
  /** Schema of the envelope's `data` on success. */
  readonly response?: z.ZodType;
  /** Success status (default 200). */
  readonly status?: number;
  /** Success content type when it is not the JSON envelope (`text/event-stream`, `text/plain`). */
  readonly contentType?: string;
  /** Error codes worth listing beyond the common ones. */
  readonly errors?: readonly ErrorCode[];
  /** Where the path is rooted: below the base path (`api`, default) or at the server's root (webhooks). */
  readonly at?: 'api' | 'root';
  /** Also served at the same path from the server's root (probes, scrapers); documented once. */
  readonly alsoAtRoot?: boolean;
  /** A WebSocket route: `GET` answered with `101 Switching Protocols`. */
  readonly upgrade?: 'websocket';
  /**
   * Every call is recorded in the audit log as `action` (e.g. `api_key.create`) on a
   * `resource` (e.g. `api_key`), whatever its outcome.
   */
  readonly audit?: RouteAudit;
}

/** How a route's calls are audited. */
export interface RouteAudit {
  readonly action: string;
  readonly resource: string;
}

/** Options of the generated document. */
export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
  /** Server URL prefix, e.g. `https://voice.example.com/api/v1`. */
  readonly serverUrl?: string;
}

/** Routes and their auth modes; feeds the OpenAPI document and the auth middleware. */
export interface RouteRegistry {
  /** The base path every API route sits under (`/api/v1`). */
  readonly basePath: string;
  /** Records a route. */
  add(doc: RouteDoc): void;
  /** Sets the auth mode of a route registered outside the registry (path API-relative, `{id}` or `:id`). */
  setAuth(method: RouteMethod | 'all', path: string, mode: AuthMode): void;
  /** The auth mode of a matched Hono route (full path with `:params`); `required` unless declared. */
  authOf(method: string, honoPath: string): AuthMode;
  /** The documented routes in registration order. */
  list(): readonly RouteDoc[];
}

/** `/sessions/{id}` → `/sessions/:id`. */
export function toHonoPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ':$1');
}

/** `/sessions/:id` → `/sessions/{id}`. */
export function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** Creates an empty registry for routes under `basePath`. */
export function createRouteRegistry(basePath = '/api/v1'): RouteRegistry {
  const routes: RouteDoc[] = [];
  const auth = new Map<string, AuthMode>();
  const key = (method: string, path: string, base = basePath): string =>
    `${method.toUpperCase()} ${base}${toHonoPath(path)}`;
  return {
    basePath,
    add(doc) {
      routes.push(doc);
      auth.set(
        key(doc.method, doc.path, doc.at === 'root' ? '' : basePath),
        doc.auth ?? 'required',
      );
      if (doc.alsoAtRoot === true) auth.set(key(doc.method, doc.path, ''), doc.auth ?? 'required');
    },
    setAuth(method, path, mode) {
      auth.set(key(method, path), mode);
    },
    authOf(method, honoPath) {
      return auth.get(`${method.toUpperCase()} ${honoPath}`) ?? 'required';
    },
    list: () => routes,
  };
}

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  delete out['$schema'];
  return out;
}

const REF_ERROR = { $ref: '#/components/schemas/ErrorEnvelope' };

function parameters(doc: RouteDoc): JsonSchema[] {
  const out: JsonSchema[] = [];
  const add = (schema: z.ZodType | undefined, where: 'path' | 'query' | 'header'): void => {
    if (schema === undefined) return;
    const json = schemaOf(schema, 'input');
    const props = (json['properties'] ?? {}) as Record<string, JsonSchema>;
    const required = new Set((json['required'] ?? []) as string[]);
    for (const [name, prop] of Object.entries(props)) {
      const description = prop['description'];
      out.push({
        name,
        in: where,
        required: where === 'path' || required.has(name),
        schema: prop,
        ...(typeof description === 'string' ? { description } : {}),
      });
    }
  };
  add(doc.params, 'path');
  add(doc.query, 'query');
  add(doc.headers, 'header');
  // Path parameters a route did not describe with a schema are still listed.
  for (const m of doc.path.matchAll(/\{([^}]+)\}/g)) {
    const name = m[1] ?? '';
    if (!out.some((p) => p['in'] === 'path' && p['name'] === name)) {
      out.push({ name, in: 'path', required: true, schema: { type: 'string' } });
    }
  }
  return out;
}

function errorResponses(doc: RouteDoc): Record<string, JsonSchema> {
  const codes = new Set<ErrorCode>(['INTERNAL']);
  if (doc.auth !== 'none')
    for (const c of ['UNAUTHENTICATED', 'RATE_LIMITED'] as const) codes.add(c);
  if (doc.permission !== undefined) codes.add('FORBIDDEN');
  if (doc.body !== undefined || doc.query !== undefined || doc.params !== undefined)
    codes.add('VALIDATION_FAILED');
  if (doc.body !== undefined)
    for (const c of ['MALFORMED_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE'] as const)
      codes.add(c);
  for (const c of doc.errors ?? []) codes.add(c);
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = ERROR_CODES[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Record<string, JsonSchema> = {};
  for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    out[String(status)] = {
      description: list.join(', '),
      content: { 'application/json': { schema: REF_ERROR } },
    };
  }
  return out;
}

function operation(doc: RouteDoc, rootUrl: string): JsonSchema {
  const status = doc.upgrade === undefined ? String(doc.status ?? 200) : '101';
  const success: JsonSchema =
    doc.upgrade !== undefined
      ? { description: `Switching Protocols: ${doc.summary}` }
      : doc.contentType !== undefined
        ? {
            description: doc.summary,
            content: {
              [doc.contentType]: {
                schema: doc.contentType.startsWith('application/json')
                  ? { type: 'object' }
                  : { type: 'string' },
              },
            },
          }
        : {
            description: doc.summary,
            content: {
              'application/json': {
                schema: schemaOf(okEnvelopeSchema(doc.response ?? z.unknown()), 'output'),
              },
            },
          };
  const params = parameters(doc);
  return {
    summary: doc.summary,
    ...(doc.description === undefined ? {} : { description: doc.description }),
    ...(doc.tags === undefined ? {} : { tags: [...doc.tags] }),
    ...(doc.at === 'root' ? { servers: [{ url: rootUrl }] } : {}),
    ...(doc.alsoAtRoot === true ? { 'x-also-at': `${rootUrl.replace(/\/$/, '')}${doc.path}` } : {}),
    operationId: `${doc.method}${doc.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, ch: string | undefined) => (ch ?? '').toUpperCase())}`,
    ...(params.length === 0 ? {} : { parameters: params }),
    ...(doc.body === undefined
      ? {}
      : {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schemaOf(doc.body, 'input') } },
          },
        }),
    responses: { [status]: success, ...errorResponses(doc) },
    security: doc.auth === 'none' ? [] : [{ bearerAuth: [] }],
    ...(doc.permission === undefined ? {} : { 'x-permission': doc.permission }),
    ...(doc.auth === 'query' ? { 'x-query-token': true } : {}),
    ...(doc.upgrade === undefined ? {} : { 'x-upgrade': doc.upgrade }),
    ...(doc.audit === undefined ? {} : { 'x-audit-action': doc.audit.action }),
  };
}

/** The OpenAPI 3.1 document of every registered route. */
export function openApiDocument(registry: RouteRegistry, info: OpenApiInfo): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const serverUrl = info.serverUrl ?? registry.basePath;
  // Root-level routes (webhooks) name their own server: the API's URL without the base path.
  const rootUrl = serverUrl.endsWith(registry.basePath)
    ? serverUrl.slice(0, -registry.basePath.length) || '/'
    : '/';
  for (const doc of registry.list()) {
    const path = toOpenApiPath(doc.path);
    paths[path] = { ...paths[path], [doc.method]: operation(doc, rootUrl) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: info.title,
      version: info.version,
      ...(info.description === undefined ? {} : { description: info.description }),
    },
    servers: [{ url: serverUrl }],
    paths,
    components: {
      schemas: { ErrorEnvelope: schemaOf(errorEnvelopeSchema, 'output') },
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'A JWT from the configured issuer, or an API key (pk_…).',
        },
      },
    },
  };
}
