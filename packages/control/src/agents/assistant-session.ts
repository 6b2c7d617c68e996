/**
 * A session from a stored assistant: the request's own fields win, then the
 * assistant's, then the server's defaults; provider options merge per kind; the
 * prompt's and first message's `{{placeholders}}` are filled from the assistant's
 * default variables, the session's string metadata (e.g. `{{caller_number}}`) and the
 * request's `variables`, in that order — and so are its flow's messages and lines. The
 * session records the assistant's id and version.
 */
import type { SessionConfig } from '@prx-voice/core';
import { flowToolIssues } from '@prx-voice/session';
import type { FlowAction, FlowDefinition } from '@prx-voice/session';
import type { AssistantRow, Repositories } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import type { Id, TenantId } from '@prx-voice/types';
import type { CreateSessionRequest, SessionOverrides } from '../sessions/session-manager-types.js';
import { fillTemplate, toolNames } from './assistant-definition.js';
import { toolSigningSecret } from './assistant-routes.js';
import type { AssistantDefinition } from './assistant-definition.js';

/** A tenant's assistant, or `NOT_FOUND` (a 404 naming it). */
export async function requireAssistant(
  repos: Repositories,
  tenantId: TenantId,
  id: Id<'assistant'>,
): Promise<AssistantRow> {
  const row = await repos.forTenant(tenantId).assistants.get(id);
  if (row === undefined) {
    throw new VoiceError('NOT_FOUND', {
      message: `Assistant ${id} does not exist.`,
      details: { assistant_id: id },
    });
  }
  return row;
}

/** The request of a session created from `assistant`, over what the caller asked. */
export function requestFromAssistant(
  assistant: AssistantRow,
  request: CreateSessionRequest,
  variables: Readonly<Record<string, string>> = {},
): CreateSessionRequest {
  const a = assistant.definition as AssistantDefinition;
  const signingSecret = toolSigningSecret(assistant);
  const fromMetadata = Object.fromEntries(
    Object.entries(request.metadata ?? {}).filter(
      (e): e is [string, string] => typeof e[1] === 'string',
    ),
  );
  const vars = { ...a.variables, ...fromMetadata, ...variables };
  const prompt = request.systemPrompt ?? a.system_prompt;
  const language = request.language ?? a.language;
  const providers = { ...a.providers, ...request.providers };
  const options = {
    asr: { ...a.provider_options?.asr, ...request.providerOptions?.asr },
    agent: { ...a.provider_options?.agent, ...request.providerOptions?.agent },
    tts: { ...a.provider_options?.tts, ...request.providerOptions?.tts },
  };
  const overrides: SessionOverrides = {
    ...(a.interrupt_enabled === undefined ? {} : { interruptEnabled: a.interrupt_enabled }),
    ...(a.interruption === undefined ? {} : { interruption: a.interruption }),
    ...(a.endpointing === undefined ? {} : { endpointing: a.endpointing }),
    ...(a.limits?.max_duration_s === undefined ? {} : { maxDurationS: a.limits.max_duration_s }),
    ...(a.limits?.max_turns === undefined ? {} : { maxTurns: a.limits.max_turns }),
  };
  return {
    ...request,
    ...(language === undefined ? {} : { language }),
    providers,
    providerOptions: options,
    ...(prompt === undefined ? {} : { systemPrompt: fillTemplate(prompt, vars) }),
    ...(a.first_message === undefined ? {} : { firstMessage: fillTemplate(a.first_message, vars) }),
    assistant: { id: assistant.id, version: assistant.version },
    overrides,
    ...(a.tools === undefined ? {} : { tools: a.tools }),
    ...(a.transfer === undefined ? {} : { transfer: a.transfer }),
    ...(request.flow === undefined && a.flow === undefined
      ? {}
      : { flow: request.flow ?? fillFlow(a.flow as FlowDefinition, vars) }),
    ...(signingSecret === undefined ? {} : { toolSigningSecret: signingSecret }),
  };
}

/** A flow with the `{{placeholders}}` of its messages and spoken lines filled. */
export function fillFlow(
  flow: FlowDefinition,
  variables: Readonly<Record<string, string>>,
): FlowDefinition {
  const fill = (text: string) => fillTemplate(text, variables);
  const action = (a: FlowAction): FlowAction =>
    a.type === 'say' ? { ...a, text: fill(a.text) } : a;
  return {
    ...flow,
    nodes: Object.fromEntries(
      Object.entries(flow.nodes).map(([name, node]) => [
        name,
        {
          ...node,
          role_messages: node.role_messages.map(fill),
          task_messages: node.task_messages.map(fill),
          pre_actions: node.pre_actions.map(action),
          post_actions: node.post_actions.map(action),
        },
      ]),
    ),
  };
}

/**
 * `VALIDATION_FAILED` (naming the node and field) when a session's flow has a function
 * whose `tool` is not one of the session's tools (none without an assistant).
 */
export function checkFlowTools(request: CreateSessionRequest): void {
  if (request.flow === undefined) return;
  const issues = flowToolIssues(request.flow, toolNames(request.tools)).map((i) => ({
    path: ['flow', ...i.path].join('.'),
    message: i.message,
  }));
  const first = issues[0];
  if (first === undefined) return;
  throw new VoiceError('VALIDATION_FAILED', {
    message: `Invalid body.${first.path}: ${first.message}`,
    details: { location: 'body', issues },
  });
}

/** `base` with the defined values of `over`. */
function mergeDefined<T extends object>(
  base: T,
  over: { readonly [K in keyof T]?: T[K] | undefined } | undefined,
): T {
  const out = { ...base };
  for (const [key, value] of Object.entries(over ?? {}))
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  return out;
}

/** The `session` configuration with a session's overrides applied; `VALIDATION_FAILED` when they contradict. */
export function applyOverrides(
  session: SessionConfig,
  o: SessionOverrides | undefined,
): SessionConfig {
  if (o === undefined) return session;
  const endpointing = mergeDefined(session.endpointing, o.endpointing);
  if (endpointing.max_delay_ms < endpointing.min_delay_ms) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `The assistant's endpointing max_delay_ms (${String(endpointing.max_delay_ms)}) is below min_delay_ms (${String(endpointing.min_delay_ms)}).`,
      details: { field: 'endpointing.max_delay_ms' },
    });
  }
  return {
    ...session,
    interrupt_enabled: o.interruptEnabled ?? session.interrupt_enabled,
    interruption: mergeDefined(session.interruption, o.interruption),
    endpointing,
    max_duration_s: Math.min(session.max_duration_s, o.maxDurationS ?? Number.POSITIVE_INFINITY),
    max_turns: Math.min(session.max_turns, o.maxTurns ?? Number.POSITIVE_INFINITY),
  };
}
