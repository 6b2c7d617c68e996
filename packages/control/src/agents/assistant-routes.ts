/**
 * `POST/GET/PATCH/DELETE /assistants[/{id}]`: a tenant's stored assistants, versioned on
 * every change (`GET /assistants/{id}/versions` lists them); `PATCH` with `version`
 * changes only that version (409 `CONFLICT` otherwise). Reading needs `assistant:read`,
 * changing `assistant:write`; every change is audited. Secrets — tool header `{secret}`
 * values and the signing secret — are stored sealed and never shown (`assistant-secrets.ts`).
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { AssistantRow, AssistantVersionRow, Repositories } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import type { Id, TenantId } from '@prx-voice/types';
import { principalOf } from '../http/context.js';
import type { ControlContext } from '../http/context.js';
import { ok } from '../http/envelope.js';
import { pageData, pageOptions, pageSchema, paginationQuerySchema } from '../http/pagination.js';
import type { DefineRoute } from '../http/routes.js';
import type { RouteModule } from '../http/route-module.js';
import { idSchema } from '../http/schemas.js';
import { validationError } from '../http/validate.js';
import {
  assistantDefinitionSchema,
  createAssistantBody,
  patchAssistantBody,
} from './assistant-definition.js';
import type { AssistantDefinition } from './assistant-definition.js';
import { SIGNING_SECRET, assistantSecrets, maskedTools } from './assistant-secrets.js';
import type { AssistantSecrets } from './assistant-secrets.js';

const TAGS = ['assistants'];

/** An assistant as the API shows it: the current version's definition, flattened. */
export const assistantSchema = assistantDefinitionSchema.extend({
  id: z.string(),
  name: z.string(),
  version: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
});

/** The stored definition as the API shows it: no signing secret, tool secrets masked. */
function shown(stored: Record<string, unknown>): z.infer<typeof assistantDefinitionSchema> {
  const { [SIGNING_SECRET]: _secret, ...definition } = stored;
  const d = definition as z.infer<typeof assistantDefinitionSchema>;
  const tools = maskedTools(d.tools);
  return tools === undefined ? d : { ...d, tools };
}

function view(row: AssistantRow): z.infer<typeof assistantSchema> {
  return {
    ...shown(row.definition),
    id: row.id,
    name: row.name,
    version: row.version,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

function versionView(row: AssistantVersionRow) {
  return {
    ...shown(row.definition),
    id: row.assistant_id,
    name: row.name,
    version: row.version,
    created_at: row.created_at.toISOString(),
    updated_at: row.created_at.toISOString(),
  };
}

/** The assistant routes; `secrets` seals what they store (default: nothing sealed). */
export function assistantRoutes(deps: {
  readonly repos: Repositories;
  readonly secrets?: AssistantSecrets | undefined;
}): RouteModule {
  const secrets = deps.secrets ?? assistantSecrets();
  return {
    name: 'assistants',
    mount: ({ route }) => mountAssistantRoutes(route, deps.repos, secrets),
  };
}

/** `{ name, ...definition }` split for storage, with the tool signing secret (stored form) beside it. */
function draftOf(body: z.output<typeof createAssistantBody>, signingSecret: string) {
  const { name, ...definition } = body;
  return {
    name,
    definition: { ...definition, [SIGNING_SECRET]: signingSecret },
    phoneNumbers: body.phone_numbers ?? [],
  };
}

/** The stored form of the secret an assistant's tool requests are signed with (see `tool-signature.ts`). */
export function toolSigningSecret(row: AssistantRow): string | undefined {
  const secret = row.definition[SIGNING_SECRET];
  return typeof secret === 'string' ? secret : undefined;
}

function mountAssistantRoutes(
  define: DefineRoute,
  repos: Repositories,
  secrets: AssistantSecrets,
): void {
  const params = z.strictObject({ assistant_id: idSchema('assistant') });
  const tenant = (c: ControlContext): TenantId => principalOf(c).tenantId;
  const notFound = (id: string) =>
    new VoiceError('NOT_FOUND', {
      message: `Assistant ${id} does not exist.`,
      details: { assistant_id: id },
    });
  const find = async (c: ControlContext, id: Id<'assistant'>): Promise<AssistantRow> => {
    const row = await repos.forTenant(tenant(c)).assistants.get(id);
    if (row === undefined) throw notFound(id);
    return row;
  };

  define({
    method: 'post',
    path: '/assistants',
    summary: 'Store an assistant (version 1).',
    tags: TAGS,
    permission: 'assistant:write',
    audit: { action: 'assistant.create', resource: 'assistant' },
    body: createAssistantBody,
    status: 201,
    errors: ['CONFLICT'],
    response: assistantSchema.extend({
      tool_signing_secret: z
        .string()
        .describe(
          'Signs every request of its HTTP tools (`x-prx-signature`); shown only here, once.',
        ),
    }),
    handler: async (c, { body }) => {
      const tenantId = tenant(c);
      const secret = randomBytes(32).toString('base64url');
      const tools = secrets.storedTools(tenantId, body.tools, undefined);
      const row = await repos
        .forTenant(tenantId)
        .assistants.create(
          draftOf(tools === undefined ? body : { ...body, tools }, secrets.seal(tenantId, secret)),
        );
      return ok(c, { ...view(row), tool_signing_secret: secret }, 201);
    },
  });

  define({
    method: 'get',
    path: '/assistants',
    summary: "The tenant's assistants, newest first.",
    tags: TAGS,
    permission: 'assistant:read',
    query: paginationQuerySchema,
    response: pageSchema(assistantSchema),
    handler: async (c, { query }) =>
      ok(c, pageData(await repos.forTenant(tenant(c)).assistants.list(pageOptions(query)), view)),
  });

  define({
    method: 'get',
    path: '/assistants/{assistant_id}',
    summary: 'One assistant, at its current version.',
    tags: TAGS,
    permission: 'assistant:read',
    params,
    response: assistantSchema,
    errors: ['NOT_FOUND'],
    handler: async (c, { params: p }) => ok(c, view(await find(c, p.assistant_id))),
  });

  define({
    method: 'get',
    path: '/assistants/{assistant_id}/versions',
    summary: 'Every version of an assistant, oldest first.',
    tags: TAGS,
    permission: 'assistant:read',
    params,
    response: z.object({ items: z.array(assistantSchema) }),
    errors: ['NOT_FOUND'],
    handler: async (c, { params: p }) => {
      await find(c, p.assistant_id);
      const rows = await repos.forTenant(tenant(c)).assistants.versions(p.assistant_id);
      return ok(c, { items: rows.map(versionView) });
    },
  });

  define({
    method: 'patch',
    path: '/assistants/{assistant_id}',
    summary: 'Change an assistant: the fields given replace the current ones (a new version).',
    tags: TAGS,
    permission: 'assistant:write',
    audit: { action: 'assistant.update', resource: 'assistant' },
    params,
    query: z.object({
      version: z.coerce
        .number()
        .int()
        .min(1)
        .optional()
        .describe('Change only if this is still the current version (else 409 CONFLICT).'),
    }),
    body: patchAssistantBody,
    response: assistantSchema,
    errors: ['NOT_FOUND', 'CONFLICT'],
    handler: async (c, { params: p, query, body }) => {
      const current = await find(c, p.assistant_id);
      const changes = new Map<string, unknown>(Object.entries(body));
      const { [SIGNING_SECRET]: _secret, ...stored } = current.definition;
      const merged = Object.fromEntries(
        [
          // Stored secrets enter as masks (they are kept below), as a client would give them back.
          ...Object.entries({ name: current.name, ...shown(stored) }).filter(
            ([key]) => !changes.has(key),
          ),
          ...changes,
        ].filter(([, value]) => value !== null && value !== undefined),
      );
      const parsed = createAssistantBody.safeParse(merged);
      if (!parsed.success) throw validationError('body', parsed.error);
      const tenantId = tenant(c);
      const tools = secrets.storedTools(
        tenantId,
        parsed.data.tools,
        (stored as AssistantDefinition).tools,
      );
      const next = tools === undefined ? parsed.data : { ...parsed.data, tools };
      const signing = toolSigningSecret(current);
      const row = await repos
        .forTenant(tenantId)
        .assistants.update(
          p.assistant_id,
          draftOf(
            next,
            signing === undefined
              ? secrets.seal(tenantId, randomBytes(32).toString('base64url'))
              : secrets.keep(tenantId, signing),
          ),
          query.version,
        );
      if (row === undefined) throw notFound(p.assistant_id);
      return ok(c, view(row));
    },
  });

  define({
    method: 'delete',
    path: '/assistants/{assistant_id}',
    summary: 'Delete an assistant (its versions stay for the sessions that ran them).',
    tags: TAGS,
    permission: 'assistant:write',
    audit: { action: 'assistant.delete', resource: 'assistant' },
    params,
    response: z.object({ id: z.string(), deleted: z.literal(true) }),
    errors: ['NOT_FOUND'],
    handler: async (c, { params: p }) => {
      if (!(await repos.forTenant(tenant(c)).assistants.delete(p.assistant_id)))
        throw notFound(p.assistant_id);
      return ok(c, { id: p.assistant_id, deleted: true as const });
    },
  });
}
