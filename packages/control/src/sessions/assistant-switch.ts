/**
 * Switching a live session to a stored assistant at the next turn boundary —
 * agent-to-agent handoff: the assistant's system prompt (placeholders filled
 * from its defaults, the session's metadata and the caller's variables),
 * language, providers and their options (its voice), tools and first message,
 * checked like any settings change, with the conversation kept, summarised or
 * reset. Its tools are built here first (an MCP server is connected now, on
 * the instance running the session) and staged; they replace the session's
 * tools — the old ones closed — when the change applies.
 */
import { AUTO_PROVIDER } from '@prx-voice/core';
import type { Clock } from '@prx-voice/core';
import { SWITCH_CONTEXTS } from '@prx-voice/session';
import type { Repositories } from '@prx-voice/storage';
import { VoiceError, isId } from '@prx-voice/types';
import type { Channel } from '@prx-voice/types';
import { requestFromAssistant, requireAssistant } from '../agents/assistant-session.js';
import { sessionTools } from '../agents/session-tools.js';
import type { SessionTools } from '../agents/session-tools.js';
import type { AssistantSwitchOptions, LiveSession } from './session-manager-types.js';
import type { AssistantSecrets } from '../agents/assistant-secrets.js';
import { resolveSettingsChange, submitChange } from './session-update.js';
import type { SessionSettingsChange, UpdateContext } from './session-update.js';

/** What switching works with. */
export interface SwitchContext extends UpdateContext {
  readonly repos: Repositories;
  readonly clock: Pick<Clock, 'now'>;
  /** A key for the staged tool set. */
  readonly newKey: () => string;
  /** Opens the stored secrets of the assistant's tools. */
  readonly secrets?: AssistantSecrets | undefined;
  /** A tool left out of the new set (an MCP server that does not answer), and why. */
  readonly onProblem: (s: LiveSession, tool: string, error: unknown) => void;
}

/**
 * Switches a session live here to a stored assistant (see the module's description).
 * `pending`: the session is in a turn; the switch applies when it ends.
 *
 * @throws VoiceError `NOT_FOUND` (no such assistant), `VALIDATION_FAILED` (a bad
 *   context, or the assistant's providers or options do not check), `SESSION_STATE_CONFLICT`.
 */
export async function switchToAssistant(
  ctx: SwitchContext,
  s: LiveSession,
  assistantId: string,
  options: AssistantSwitchOptions,
): Promise<{ pending: boolean }> {
  if (!SWITCH_CONTEXTS.includes(options.context)) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `Invalid context ${JSON.stringify(options.context)}: expected keep, summary or reset`,
      details: { field: 'context', allowed: SWITCH_CONTEXTS },
    });
  }
  if (!isId('assistant', assistantId)) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `Invalid assistant_id ${JSON.stringify(assistantId)}`,
      details: { field: 'assistant_id' },
    });
  }
  const assistant = await requireAssistant(ctx.repos, s.tenantId, assistantId);
  const row = await ctx.repos.forTenant(s.tenantId).sessions.require(s.id);
  const request = requestFromAssistant(
    assistant,
    { channel: row.channel as Channel, metadata: row.metadata },
    options.variables,
  );
  const providers: Record<string, string> = {};
  const providerOptions: Record<string, unknown> = {};
  for (const kind of ['asr', 'agent', 'tts'] as const) {
    const id = request.providers?.[kind];
    if (id !== undefined)
      providers[kind] = id === AUTO_PROVIDER ? ctx.config.adapters[kind].provider : id;
    const given = request.providerOptions?.[kind];
    if (given !== undefined && Object.keys(given).length > 0) providerOptions[kind] = given;
  }
  const change: SessionSettingsChange = {
    ...(request.language === undefined ? {} : { language: request.language }),
    providers,
    providerOptions,
    // An assistant without a prompt leaves none of the old one.
    systemPrompt: request.systemPrompt ?? '',
  };
  // Checked before anything is connected: an assistant that does not check changes nothing.
  const resolved = resolveSettingsChange(ctx, s, change, 'assistant', 'replace');
  let staged: SessionTools | null = null;
  if (request.tools !== undefined && request.tools.length > 0) {
    staged = await sessionTools({
      config: ctx.config,
      clock: ctx.clock,
      tenantId: s.tenantId,
      sessionId: s.id,
      tools: request.tools,
      signingSecret: request.toolSigningSecret,
      secrets: ctx.secrets,
      turnId: () => s.actor.model.turn?.id,
      onProblem: (tool, err) => ctx.onProblem(s, tool, err),
    });
  }
  const key = ctx.newKey();
  s.stagedTools.set(key, staged);
  try {
    return submitChange(s, {
      update: {
        ...resolved?.update,
        context: options.context,
        toolset: key,
        assistant: { id: assistant.id, version: assistant.version },
        ...(request.firstMessage === undefined ? {} : { firstMessage: request.firstMessage }),
      },
      target: resolved?.target ?? s.target,
    });
  } catch (err) {
    // The session ended while the tools were built.
    s.stagedTools.delete(key);
    await staged?.close();
    throw err;
  }
}
