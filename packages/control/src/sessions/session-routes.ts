/**
 * The session routes of the protocol: create (idempotent), list, read, text
 * turns, recorded turns, interrupt / pause / resume / end, handoff
 * (`handoff-route.ts`), and the session's Server-Sent Events.
 */
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { transcriptOpener } from '@prx-voice/audit';
import type { SubjectKeys } from '@prx-voice/audit';
import { isTraceparent } from '@prx-voice/event';
import type { EventBus, EventLog } from '@prx-voice/event';
import type { Repositories, SessionRow, TurnRow } from '@prx-voice/storage';
import { SESSION_STATES, VoiceError } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import type { Clock } from '@prx-voice/core';
import { checkPermission } from '../auth/middleware.js';
import type { ControlContext } from '../http/context.js';
import { principalOf } from '../http/context.js';
import { ok } from '../http/envelope.js';
import { withIdempotency } from '../http/idempotency.js';
import { pageData, pageOptions, pageSchema, paginationQuerySchema } from '../http/pagination.js';
import { idSchema } from '../http/schemas.js';
import type { RouteModule } from '../http/route-module.js';
import type { DefineRoute } from '../http/routes.js';
import type { SessionCommandName, SessionManager } from './session-manager.js';
import type { CreateSessionRequest } from './session-manager-types.js';
import { requestFromAssistant, requireAssistant } from '../agents/assistant-session.js';
import { defineHandoffRoute } from './handoff-route.js';
import { createSessionBody, sessionView, turnView, updateSessionBody } from './session-schemas.js';
import { resumePosition, streamSessionEvents } from './sse.js';
import { transcriptViewFor } from './transcript-redaction.js';
import { attachWebSocket } from './ws-attach.js';
import type { WsAttachDeps } from './ws-attach.js';
import { sessionHolder } from './session-holder.js';

const TAGS = ['sessions'];
/** How often SSE follows the durable log of a session running on another instance, ms. */
export const SSE_TAIL_INTERVAL_MS = 250;
const params = z.strictObject({ session_id: idSchema('session') });

/** The WebSocket URL of `path` (from the server root) as the client reaches the server. */
export function socketUrl(c: ControlContext, publicUrl: string | undefined, path: string): string {
  const base =
    publicUrl ?? `${new URL(c.req.url).protocol}//${c.req.header('host') ?? 'localhost'}`;
  const u = new URL(base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = `${u.pathname.replace(/\/$/, '')}${path}`;
  return u.toString();
}

function wsUrl(c: ControlContext, publicUrl: string | undefined, id: string): string {
  return socketUrl(c, publicUrl, `/api/v1/ws/${id}`);
}

/** What the session routes work with. */
export interface SessionRouteDeps {
  readonly manager: SessionManager;
  readonly repos: Repositories;
  readonly bus: EventBus;
  readonly log: EventLog;
  readonly publicUrl?: string | undefined;
  /** Data subjects' keys: a subject's stored transcripts are opened with them. */
  readonly subjects?: SubjectKeys | undefined;
  /** The session WebSocket: authentication after the upgrade, the frame limit, errors. */
  readonly socket: Omit<WsAttachDeps, 'manager' | 'clock'> & { readonly clock: Clock };
}

/**
 * The session routes: the HTTP routes of the protocol and the session
 * WebSocket `GET /ws/{session_id}`.
 */
/** A request's `traceparent` header if it is a valid one (W3C: an invalid one starts a new trace). */
export function incomingTraceparent(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed !== undefined && isTraceparent(trimmed) ? trimmed : undefined;
}

/**
 * What a `POST /sessions`-shaped body asks for: its own fields over the assistant it
 * names (`NOT_FOUND` for an unknown one), the caller's `traceparent` continued.
 */
export async function requestedSession(
  c: ControlContext,
  repos: Repositories,
  body: z.output<typeof createSessionBody>,
): Promise<CreateSessionRequest> {
  const tenantId = principalOf(c).tenantId;
  const asked: CreateSessionRequest = {
    channel: body.channel,
    ...(body.language === undefined ? {} : { language: body.language }),
    ...(body.providers === undefined ? {} : { providers: body.providers }),
    ...(body.provider_options === undefined ? {} : { providerOptions: body.provider_options }),
    ...(body.system_prompt === undefined ? {} : { systemPrompt: body.system_prompt }),
    ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
    ...(body.record === undefined ? {} : { record: body.record }),
    ...(body.flow === undefined ? {} : { flow: body.flow }),
    traceparent: incomingTraceparent(c.req.header('traceparent')),
  };
  return body.assistant_id === undefined
    ? asked
    : requestFromAssistant(
        await requireAssistant(repos, tenantId, body.assistant_id),
        asked,
        body.variables,
      );
}

export function sessionRoutes(deps: SessionRouteDeps): RouteModule {
  return {
    name: 'sessions',
    mount({ route, socket }) {
      mountSessionRoutes(route, deps);
      socket({
        path: '/ws/{session_id}',
        summary:
          'The session WebSocket: audio both ways (binary frames), control messages and the session events (text frames).',
        description:
          'Authenticates with the Authorization header, or (browsers) by offering the subprotocols `prx-voice` and `prx-voice.auth.<base64url token>` (the server selects `prx-voice`), or ?token=; refusals close with the protocol close codes (4401, 4403, 4404, 4409, 4429).',
        tags: TAGS,
        permission: 'turn:create',
        auth: 'query',
        params,
        connect: (ws, request) =>
          attachWebSocket({ ...deps.socket, manager: deps.manager }, ws, request),
        holder: (request) => sessionHolder(deps.repos, request.params['session_id']),
      });
    },
  };
}

function mountSessionRoutes(define: DefineRoute, deps: SessionRouteDeps): void {
  const { manager, repos } = deps;
  const view = (c: ControlContext, row: SessionRow) => {
    const live = manager.live(row.tenant_id as TenantId, row.id as SessionId);
    const model = live?.actor.model;
    const voice = live?.providerOptions.tts['voice'];
    return {
      id: row.id,
      tenant_id: row.tenant_id,
      state: model?.machine.value ?? (row.state as (typeof SESSION_STATES)[number]),
      channel: row.channel,
      direction: row.direction,
      // Live here: what is in force now (the row follows when a change applies).
      language: model?.settings.info.language ?? row.language,
      providers: model === undefined ? row.providers : { ...model.settings.info.providers },
      turn_count: row.turn_count,
      outcome: row.outcome,
      close_reason: row.close_reason,
      metadata: row.metadata,
      assistant_id: row.assistant_id,
      assistant_version: row.assistant_version,
      system_prompt: model?.settings.systemPrompt ?? null,
      voice: typeof voice === 'string' ? voice : null,
      update_pending: model !== undefined && model.pendingSettings !== null,
      created_at: row.created_at.toISOString(),
      updated_at: row.updated_at.toISOString(),
      ended_at: row.ended_at?.toISOString() ?? null,
      ws_url: wsUrl(c, deps.publicUrl, row.id),
    };
  };
  const turn = (open: (text: string | null) => string | null) => (t: TurnRow) => ({
    id: t.id,
    seq: t.seq,
    status: t.status,
    input: t.input_kind,
    user_text: open(t.user_text),
    assistant_text: open(t.assistant_text),
    assistant_text_generated: open(t.assistant_text_generated),
    interrupted: t.interrupted,
    latency: {
      asr_ms: t.latency_asr_ms,
      agent_first_token_ms: t.latency_agent_first_token_ms,
      tts_first_audio_ms: t.latency_tts_first_audio_ms,
      first_audio_sent_ms: t.latency_first_audio_sent_ms,
      voice_to_voice_ms: t.latency_voice_to_voice_ms,
    },
    started_at: t.started_at.toISOString(),
    completed_at: t.completed_at?.toISOString() ?? null,
  });
  const tenant = (c: ControlContext): TenantId => principalOf(c).tenantId;

  define({
    method: 'post',
    path: '/sessions',
    audit: { action: 'session.create', resource: 'session' },
    summary: 'Create a session; 201 with its ws_url. Honours Idempotency-Key and traceparent.',
    tags: TAGS,
    permission: 'session:create',
    headers: z.object({
      'Idempotency-Key': z
        .string()
        .optional()
        .describe('1–255 printable ASCII characters: a repeat answers what the first answered.'),
      traceparent: z
        .string()
        .optional()
        .describe(
          "W3C trace context: the session's trace continues the caller's (an invalid one is ignored, as the W3C spec asks).",
        ),
    }),
    body: createSessionBody,
    response: sessionView,
    status: 201,
    errors: ['QUOTA_EXCEEDED', 'OVERLOADED', 'IDEMPOTENCY_CONFLICT'],
    handler: (c, { body }) =>
      withIdempotency(c, { repos, scope: 'POST /sessions' }, async () => {
        const row = await manager.create(tenant(c), await requestedSession(c, repos, body));
        return { status: 201, data: view(c, row) };
      }),
  });

  define({
    method: 'get',
    path: '/sessions',
    summary: "List the caller's tenant's sessions (a platform admin: any tenant's), newest first.",
    tags: TAGS,
    permission: 'session:list',
    query: paginationQuerySchema.extend({
      state: z.enum(SESSION_STATES).optional(),
      tenant_id: idSchema('tenant')
        .optional()
        .describe("Another tenant's sessions (platform admins only; FORBIDDEN for anyone else)."),
    }),
    response: pageSchema(sessionView),
    handler: async (c, { query }) => {
      const target = query.tenant_id ?? tenant(c);
      checkPermission(c, 'session:list', target);
      await manager.storedAll(target); // sessions that ended here a moment ago show how they ended
      const page = await repos.forTenant(target).sessions.list({
        ...pageOptions(query),
        ...(query.state === undefined ? {} : { state: query.state }),
      });
      return ok(
        c,
        pageData(page, (r) => view(c, r)),
      );
    },
  });

  define({
    method: 'get',
    path: '/sessions/{session_id}',
    summary: 'One session.',
    tags: TAGS,
    permission: 'session:read',
    params,
    response: sessionView,
    errors: ['SESSION_NOT_FOUND'],
    handler: async (c, { params: p }) => {
      // A session that just ended here is read as it ended.
      await manager.stored(p.session_id);
      return ok(c, view(c, await repos.forTenant(tenant(c)).sessions.require(p.session_id)));
    },
  });

  define({
    method: 'patch',
    path: '/sessions/{session_id}',
    audit: { action: 'session.update', resource: 'session' },
    summary:
      "Change a live session's language, voice, providers and options, or system prompt; 202: applied at its next turn boundary.",
    description:
      'Checked as POST /sessions checks a new session: an unknown provider or an invalid option is VALIDATION_FAILED naming it, and nothing changes. Pending while a turn is in flight (update_pending); prx.voice.session.updated says when it applied.',
    tags: TAGS,
    permission: 'session:interrupt',
    params,
    body: updateSessionBody,
    response: sessionView,
    status: 202,
    errors: ['SESSION_NOT_FOUND', 'SESSION_STATE_CONFLICT'],
    handler: async (c, { params: p, body }) => {
      await manager.update(tenant(c), p.session_id, {
        ...(body.language === undefined ? {} : { language: body.language }),
        ...(body.voice === undefined ? {} : { voice: body.voice }),
        ...(body.system_prompt === undefined ? {} : { systemPrompt: body.system_prompt }),
        ...(body.providers === undefined ? {} : { providers: body.providers }),
        ...(body.provider_options === undefined ? {} : { providerOptions: body.provider_options }),
      });
      const row = await repos.forTenant(tenant(c)).sessions.require(p.session_id);
      return ok(c, view(c, row), 202);
    },
  });

  define({
    method: 'post',
    path: '/sessions/{session_id}/turns',
    summary: 'A text turn: skips ASR, runs the agent and TTS.',
    tags: TAGS,
    permission: 'turn:create',
    params,
    body: z.strictObject({ text: z.string().trim().min(1).max(4000) }),
    response: z.object({ accepted: z.literal(true), turn_id: z.string().nullable() }),
    status: 202,
    errors: ['SESSION_NOT_FOUND', 'SESSION_STATE_CONFLICT'],
    handler: async (c, { params: p, body }) => {
      await manager.textTurn(tenant(c), p.session_id, body.text);
      const live = manager.live(tenant(c), p.session_id);
      return ok(c, { accepted: true as const, turn_id: live?.actor.model.turn?.id ?? null }, 202);
    },
  });

  define({
    method: 'get',
    path: '/sessions/{session_id}/turns',
    summary: 'The recorded turns with transcripts and latency breakdown; needs transcript:read.',
    tags: TAGS,
    permission: 'transcript:read',
    params,
    query: paginationQuerySchema,
    response: pageSchema(turnView),
    errors: ['SESSION_NOT_FOUND'],
    handler: async (c, { params: p, query }) => {
      const repo = repos.forTenant(tenant(c));
      await manager.stored(p.session_id);
      const row = await repo.sessions.require(p.session_id);
      // A data subject's transcripts are stored sealed with its key.
      const open = await transcriptOpener(deps.subjects, tenant(c), row);
      return ok(
        c,
        pageData(await repo.turns.listBySession(p.session_id, pageOptions(query)), turn(open)),
      );
    },
  });

  const commands: readonly [
    SessionCommandName,
    'session:interrupt' | 'session:pause' | 'session:end',
  ][] = [
    ['interrupt', 'session:interrupt'],
    ['pause', 'session:pause'],
    ['resume', 'session:pause'],
    ['end', 'session:end'],
  ];
  for (const [command, permission] of commands) {
    define({
      method: 'post',
      path: `/sessions/{session_id}/${command}`,
      audit: { action: `session.${command}`, resource: 'session' },
      summary: `${command[0]?.toUpperCase() ?? ''}${command.slice(1)} the session; 409 where the state machine forbids it.`,
      tags: TAGS,
      permission,
      params,
      response: z.object({ state: z.enum(SESSION_STATES) }),
      errors: ['SESSION_NOT_FOUND', 'SESSION_STATE_CONFLICT'],
      handler: async (c, { params: p }) => {
        await manager.command(tenant(c), p.session_id, command);
        const live = manager.live(tenant(c), p.session_id);
        if (live === undefined) await manager.stored(p.session_id);
        const state =
          live?.actor.model.machine.value ??
          (await repos.forTenant(tenant(c)).sessions.require(p.session_id)).state;
        return ok(c, { state: state as (typeof SESSION_STATES)[number] });
      },
    });
  }

  defineHandoffRoute(define, { manager, repos });

  define({
    method: 'get',
    path: '/sessions/{session_id}/events',
    summary:
      'Server-Sent Events: one CloudEvent per message, id = prxseq; resumes after Last-Event-ID or ?after_seq=.',
    description:
      'Without transcript:read every event is still sent, with its transcript fields (ASR text, agent text, TTS segment text, heard text, turn texts) replaced by "[redacted]". Once the session\'s data subject is erased, the fields that carried its content are null and the extension attribute prxerased names them (comma-separated data paths).',
    tags: TAGS,
    permission: 'event:read',
    params,
    query: z.object({
      after_seq: z
        .string()
        .regex(/^\d{1,15}$/)
        .optional(),
    }),
    contentType: 'text/event-stream',
    errors: ['SESSION_NOT_FOUND'],
    handler: async (c, { params: p, query }) => {
      const t = tenant(c);
      await manager.stored(p.session_id);
      const row = await repos.forTenant(t).sessions.get(p.session_id);
      if (row === undefined)
        throw new VoiceError('SESSION_NOT_FOUND', { details: { session_id: p.session_id } });
      const afterSeq = resumePosition(c.req.header('last-event-id'), query.after_seq);
      const live = manager.live(t, p.session_id) !== undefined;
      const ended = row.state === 'Closed' || row.state === 'Failed';
      // Running elsewhere: its durable log, followed as it grows.
      const tail =
        live || ended
          ? undefined
          : {
              clock: deps.socket.clock,
              everyMs: SSE_TAIL_INTERVAL_MS,
              ended: async () => {
                const now = await repos.forTenant(t).sessions.get(p.session_id);
                return now === undefined || now.ended_at !== null;
              },
            };
      return streamSSE(c, async (stream) => {
        const abort = new AbortController();
        stream.onAbort(() => abort.abort());
        await streamSessionEvents({
          bus: deps.bus,
          log: deps.log,
          tenantId: t,
          sessionId: p.session_id,
          afterSeq,
          live,
          signal: abort.signal,
          view: transcriptViewFor(principalOf(c)),
          ...(tail === undefined ? {} : { tail }),
          write: (m) => stream.writeSSE(m),
        });
      });
    },
  });
}
