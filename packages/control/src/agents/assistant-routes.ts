/**
 * `POST/GET/PATCH/DELETE /assistants[/{id}]`: a tenant's stored assistants, versioned on
 * every change (`GET /assistants/{id}/versions` lists them); `PATCH` with `version`
 * changes only that version (409 `CONFLICT` otherwise). Reading needs `assistant:read`,
 * changing `assistant:write`; every change is audited.
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
  keepSecrets,
  maskedTools,
  patchAssistantBody,
} from './assistant-definition.js';
import type { AssistantDefinition } from './assistant-definition.js';

const TAGS = ['assistants'];

/** An assistant as the API shows it: the current version's definition, flattened. */
export const assistantSchema = assistantDefinitionSchema.extend({
  id: z.string(),
  name: z.string(),
  version: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
});

/** What is stored beside the definition: the secret signing the assistant's tool requests. */
const SIGNING_SECRET = 'signing_secret';

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

/** The assistant routes. */
export function assistantRoutes(deps: { readonly repos: Repositories }): RouteModule {
  return { name: 'assistants', mount: ({ route }) => mountAssistantRoutes(route, deps.repos) };
}

/** `{ name, ...definition }` split for storage, with the tool signing secret beside it. */
function draftOf(body: z.output<typeof createAssistantBody>, signingSecret: string) {
  const { name, ...definition } = body;
  return { name, definition: { ...definition, [SIGNING_SECRET]: signingSecret } };
}

/** The secret an assistant's tool requests are signed with (see `tool-signature.ts`). */
export function toolSigningSecret(row: AssistantRow): string | undefined {
  const secret = row.definition[SIGNING_SECRET];
  return typeof secret === 'string' ? secret : undefined;
}

function mountAssistantRoutes(define: DefineRoute, repos: Repositories): void {
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
    response: assistantSchema.extend({
      tool_signing_secret: z
        .string()
        .describe(
          'Signs every request of its HTTP tools (`x-prx-signature`); shown only here, once.',
        ),
    }),
    handler: async (c, { body }) => {
      const secret = randomBytes(32).toString('base64url');
      const row = await repos.forTenant(tenant(c)).assistants.create(draftOf(body, secret));
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
          ...Object.entries({ name: current.name, ...stored }).filter(([key]) => !changes.has(key)),
          ...changes,
        ].filter(([, value]) => value !== null && value !== undefined),
      );
      const parsed = createAssistantBody.safeParse(merged);
      if (!parsed.success) throw validationError('body', parsed.error);
      const tools = keepSecrets(parsed.data.tools, (stored as AssistantDefinition).tools);
      const next = tools === undefined ? parsed.data : { ...parsed.data, tools };
      const row = await repos
        .forTenant(tenant(c))
        .assistants.update(
          p.assistant_id,
          draftOf(next, toolSigningSecret(current) ?? randomBytes(32).toString('base64url')),
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
