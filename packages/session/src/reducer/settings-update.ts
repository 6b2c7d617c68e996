/**
 * Settings changed mid-session (`session.update`, `PATCH /sessions/{id}`, an
 * assistant switch): recorded as pending and applied at the next turn
 * boundary — the session Listening with no turn, run, cancelled run or caller
 * speech in flight — never mid-utterance. Applying replaces the settings,
 * rewrites the conversation's system prompt (keeping, summarising or resetting
 * the rest), tells the effects runner to swap providers and tools and reopen
 * the recognition stream, persists the row and emits `session.updated`.
 */
import type { ConversationMessage } from '@prx-voice/adapter';
import type { SessionSettings } from '../model.js';
import { mergeSettingsUpdates } from '../settings-update.js';
import type { SwitchContext, SettingsUpdate, UpdatableKind } from '../settings-update.js';
import type { StepBuilder } from '../step-builder.js';
import { requestTurn } from './run.js';

const KINDS: readonly UpdatableKind[] = ['asr', 'agent', 'tts'];

/** Most characters of the recap `summary` keeps of the conversation so far. */
export const SUMMARY_MAX_CHARS = 2_000;

/** A `settings_update`: pending, and applied at once when the session is at a boundary. */
export function onSettingsUpdate(b: StepBuilder, update: SettingsUpdate): void {
  b.m.pendingSettings = mergeSettingsUpdates(b.m.pendingSettings, update);
}

/**
 * Whether the session is between turns: Listening, nothing of a turn in
 * flight (no run, no cancelled run awaiting its flush, no turn waiting to
 * start) and no caller speech begun or awaiting its transcript.
 */
export function atTurnBoundary(b: StepBuilder): boolean {
  const m = b.m;
  const s = m.speech;
  return (
    b.state === 'Listening' &&
    m.closing === null &&
    m.turn === null &&
    m.run === null &&
    m.reopened === null &&
    m.pendingTurn === null &&
    m.cancelling.length === 0 &&
    m.interruption === null &&
    !s.active &&
    !s.finalizing &&
    s.finals.length === 0
  );
}

/** Applies the pending change if the session is at a turn boundary (after every step). */
export function applyPendingSettings(b: StepBuilder): void {
  const update = b.m.pendingSettings;
  if (update === null || !atTurnBoundary(b)) return;
  b.m.pendingSettings = null;
  const before = b.m.settings;
  const after = settingsAfter(before, update);
  const changed: string[] = [];
  if (after.info.language !== before.info.language) changed.push('language');
  const providers: Partial<Record<UpdatableKind, string>> = {};
  for (const kind of KINDS) {
    const id = update.providers?.[kind];
    if (id === undefined || id === before.info.providers[kind]) continue;
    providers[kind] = id;
    changed.push(`providers.${kind}`);
  }
  const options = update.providerOptions ?? {};
  for (const kind of KINDS) if (options[kind] !== undefined) changed.push(`options.${kind}`);
  if (update.systemPrompt !== undefined) changed.push('system_prompt');
  if (update.toolset !== undefined) changed.push('tools');
  if (update.assistant !== undefined) changed.push('assistant');
  const context = update.context ?? 'keep';
  b.m.settings = after;
  b.m.conversation = rewriteConversation(b.m.conversation, after.systemPrompt, context);
  const reopenAsr =
    changed.includes('language') || providers.asr !== undefined || options.asr !== undefined;
  b.cmd({
    type: 'apply_settings',
    language: after.info.language,
    providers,
    providerOptions: options,
    reopenAsr,
    ...(update.toolset === undefined ? {} : { toolset: update.toolset }),
  });
  b.cmd({
    type: 'persist_settings',
    language: after.info.language,
    providers: { ...after.info.providers },
    ...(update.assistant === undefined ? {} : { assistant: update.assistant }),
  });
  const voice = options.tts?.['voice'];
  b.emit(
    'prx.voice.session.updated',
    {
      changed,
      language: after.info.language,
      providers: { ...after.info.providers },
      asr_reopened: reopenAsr,
      ...(typeof voice === 'string' ? { voice } : {}),
      ...(update.context === undefined ? {} : { context }),
      ...(update.assistant === undefined
        ? {}
        : { assistant_id: update.assistant.id, assistant_version: update.assistant.version }),
    },
    { turnId: null, runId: null },
  );
  const first = update.firstMessage?.trim() ?? '';
  if (first !== '') {
    requestTurn(b, {
      input: 'text',
      text: '',
      script: first,
      speechStartAt: null,
      speechEndAt: null,
      finalAt: b.ctx.now,
    });
  }
}

/** The settings with a change applied (a new object: settings are shared, never changed in place). */
function settingsAfter(s: SessionSettings, u: SettingsUpdate): SessionSettings {
  const { systemPrompt: _old, firstMessage: _first, ...rest } = s;
  const prompt = u.systemPrompt === undefined ? s.systemPrompt : u.systemPrompt;
  const first = u.firstMessage ?? s.firstMessage;
  return {
    ...rest,
    info: {
      ...s.info,
      language: u.language ?? s.info.language,
      providers: {
        ...s.info.providers,
        ...(u.providers?.asr === undefined ? {} : { asr: u.providers.asr }),
        ...(u.providers?.agent === undefined ? {} : { agent: u.providers.agent }),
        ...(u.providers?.tts === undefined ? {} : { tts: u.providers.tts }),
      },
    },
    interruption: {
      ...s.interruption,
      ...(u.backchannels === undefined ? {} : { backchannels: u.backchannels }),
    },
    ...(prompt === undefined || prompt === null ? {} : { systemPrompt: prompt }),
    ...(first === undefined ? {} : { firstMessage: first }),
  };
}

/**
 * The conversation under a new system prompt: `keep` keeps what was said,
 * `reset` drops it, `summary` drops it but puts a recap of it (the latest
 * exchanges, up to {@link SUMMARY_MAX_CHARS}) in the system prompt.
 */
export function rewriteConversation(
  conversation: readonly ConversationMessage[],
  prompt: string | undefined,
  context: SwitchContext,
): ConversationMessage[] {
  const said = conversation[0]?.role === 'system' ? conversation.slice(1) : conversation.slice();
  const recap = context === 'summary' ? summarise(said) : '';
  const system = [prompt ?? '', recap].filter((p) => p !== '').join('\n\n');
  const rest = context === 'keep' ? said : [];
  return system === '' ? rest : [{ role: 'system', content: system }, ...rest];
}

/** A recap of what the caller and the assistant said, newest kept when it is long. */
export function summarise(messages: readonly ConversationMessage[]): string {
  const lines: string[] = [];
  let length = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m === undefined || (m.role !== 'user' && m.role !== 'assistant')) continue;
    const text = m.content.trim().replace(/\s+/g, ' ');
    if (text === '') continue;
    const line = `${m.role === 'user' ? 'Caller' : 'Assistant'}: ${text}`;
    if (length + line.length > SUMMARY_MAX_CHARS) break;
    lines.unshift(line);
    length += line.length + 1;
  }
  if (lines.length === 0) return '';
  return `The conversation so far (handed over; most recent last):\n${lines.join('\n')}`;
}
