/**
 * Changing a live session — its language, voice, providers and their options,
 * system prompt — from a WebSocket `session.update` or `PATCH /sessions/{id}`.
 * The change is checked as `POST /sessions` checks a new session (an unknown
 * provider or an invalid option is `VALIDATION_FAILED` naming it, and nothing
 * changes), resolved against what the session was last told (its target), and
 * handed to the reducer, which applies it at the next turn boundary. When it
 * applies, {@link settingsApplier} swaps the providers (their failover chains
 * built as at the start) and the tools.
 */
import type { ProviderOptions, ProviderRegistry } from '@prx-voice/adapter';
import type { Config } from '@prx-voice/core';
import { backchannelsFor } from '@prx-voice/session';
import type { AppliedSettings, ApplySettings, SettingsUpdate } from '@prx-voice/session';
import { VoiceError } from '@prx-voice/types';
import type { LiveSession, SessionTarget } from './session-manager-types.js';
import { validateProviderOptions } from './session-providers.js';
import { providerName } from './session-schemas.js';

/** The kinds of provider a live session can change. */
const KINDS = ['asr', 'agent', 'tts'] as const;
type Kind = (typeof KINDS)[number];

/** A BCP 47 tag, as `POST /sessions` takes it. */
const LANGUAGE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

/** Longest system prompt, as `POST /sessions` takes it. */
const MAX_PROMPT = 20_000;

/** What a caller asks to change; absent fields stay. */
export interface SessionSettingsChange {
  readonly language?: string;
  /** The TTS `voice` option (shorthand for `provider_options.tts.voice`). */
  readonly voice?: string;
  /** The new system prompt; empty removes it. */
  readonly systemPrompt?: string;
  /**
   * Provider per kind (`{ "tts": "espeak" }`). On the WebSocket an object is
   * still taken as that kind's options (the frame's older form).
   */
  readonly providers?: Readonly<Record<string, unknown>>;
  /** Options per kind, merged over the session's (a kind whose provider changes starts from the configured ones). */
  readonly providerOptions?: Readonly<Record<string, unknown>>;
}

/** Where a change came from, as errors name it: `body` (PATCH), `frame` (WebSocket), `assistant` (a switch). */
export type ChangeLocation = 'body' | 'frame' | 'assistant';

/** What resolving a change works with. */
export interface UpdateContext {
  readonly config: Config;
  readonly registry: ProviderRegistry;
}

/** A change checked and resolved: the reducer's input and the session's target after it. */
export interface ResolvedChange {
  readonly update: SettingsUpdate;
  readonly target: SessionTarget;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(location: ChangeLocation, path: string, message: string): VoiceError {
  return new VoiceError('VALIDATION_FAILED', {
    message: `Invalid ${location}.${path}: ${message}`,
    details: { location, field: path, issues: [{ path, message }] },
  });
}

/**
 * Checks and resolves a change against the session's target. `replace` (an
 * assistant switch): a kind's given options replace the session's, over the
 * configured ones. Undefined when it changes nothing (a frame with formats only).
 *
 * @throws VoiceError `VALIDATION_FAILED` naming the field, provider or option.
 */
export function resolveSettingsChange(
  ctx: UpdateContext,
  s: LiveSession,
  change: SessionSettingsChange,
  location: ChangeLocation,
  mode: 'merge' | 'replace' = 'merge',
): ResolvedChange | undefined {
  const names: Partial<Record<Kind, string>> = {};
  const given: Partial<Record<Kind, Record<string, unknown>>> = {};
  const paths: Partial<Record<Kind, string>> = {};
  const kindOf = (path: string, key: string): Kind => {
    if ((KINDS as readonly string[]).includes(key)) return key as Kind;
    throw invalid(
      location,
      `${path}.${key}`,
      key === 'vad'
        ? "the VAD is fixed for the session's life"
        : 'expected a provider kind: asr, agent or tts',
    );
  };
  for (const [key, value] of Object.entries(change.providers ?? {})) {
    const kind = kindOf('providers', key);
    if (typeof value === 'string') {
      if (!providerName.safeParse(value).success)
        throw invalid(location, `providers.${kind}`, 'expected a provider name');
      names[kind] = value;
    } else if (location === 'frame' && isObject(value)) {
      given[kind] = { ...value };
      paths[kind] = `providers.${kind}`;
    } else throw invalid(location, `providers.${kind}`, 'expected a provider name');
  }
  for (const [key, value] of Object.entries(change.providerOptions ?? {})) {
    const kind = kindOf('provider_options', key);
    if (!isObject(value)) throw invalid(location, `provider_options.${kind}`, 'expected an object');
    given[kind] = { ...given[kind], ...value };
    paths[kind] = `provider_options.${kind}`;
  }
  if (change.voice !== undefined) {
    if (change.voice.trim() === '' || change.voice.length > 200)
      throw invalid(location, 'voice', 'expected a voice name of 1 to 200 characters');
    given.tts = { ...given.tts, voice: change.voice };
    paths.tts ??= 'provider_options.tts';
  }
  if (change.language !== undefined && !LANGUAGE.test(change.language))
    throw invalid(location, 'language', 'expected a BCP 47 tag such as en-US');
  if (change.systemPrompt !== undefined && change.systemPrompt.length > MAX_PROMPT)
    throw invalid(location, 'system_prompt', `at most ${String(MAX_PROMPT)} characters`);
  const t = s.target;
  const chosen = { ...t.providers, ...names };
  let chains;
  try {
    chains = s.resolveProviders(chosen).chains;
  } catch (err) {
    const kind = VoiceError.is(err) ? err.details['kind'] : undefined;
    if (typeof kind === 'string' && VoiceError.is(err) && err.code === 'VALIDATION_FAILED')
      throw invalid(location, `providers.${kind}`, err.message);
    throw err;
  }
  const options: Partial<Record<Kind, ProviderOptions>> = {};
  for (const kind of KINDS) {
    const swapped = names[kind] !== undefined && names[kind] !== t.providers[kind];
    if (!swapped && given[kind] === undefined) continue;
    const base =
      swapped || mode === 'replace'
        ? props(ctx.config.adapters[kind].options)
        : t.providerOptions[kind];
    options[kind] = { ...base, ...given[kind] };
  }
  validateProviderOptions({
    registry: ctx.registry,
    chains,
    options,
    origin: (kind) => ({ location, path: paths[kind] ?? `providers.${kind}` }),
  });
  const providers = Object.fromEntries(
    KINDS.filter((k) => names[k] !== undefined && names[k] !== t.providers[k]).map((k) => [
      k,
      chosen[k],
    ]),
  );
  const language = change.language;
  const prompt = change.systemPrompt;
  const update: SettingsUpdate = {
    ...(language === undefined || language === t.language
      ? {}
      : {
          language,
          backchannels: backchannelsFor(language, ctx.config.session.interruption.backchannels),
        }),
    ...(Object.keys(providers).length === 0 ? {} : { providers }),
    ...(Object.keys(options).length === 0 ? {} : { providerOptions: options }),
    ...(prompt === undefined ? {} : { systemPrompt: prompt === '' ? null : prompt }),
  };
  if (Object.keys(update).length === 0 && prompt === undefined) return undefined;
  return {
    update,
    target: {
      language: language ?? t.language,
      providers: chosen,
      providerOptions: { ...t.providerOptions, ...options },
      systemPrompt: prompt === undefined ? t.systemPrompt : prompt === '' ? undefined : prompt,
    },
  };
}

/** Options as a plain record (the configuration's are already checked). */
function props(options: Readonly<Record<string, unknown>> | undefined): ProviderOptions {
  return { ...options };
}

/**
 * Hands a resolved change to a live session: its target moves on, the reducer
 * keeps it pending until the next turn boundary. `pending`: it has not applied yet.
 *
 * @throws VoiceError `SESSION_STATE_CONFLICT` when the session has ended.
 */
export function submitChange(s: LiveSession, resolved: ResolvedChange): { pending: boolean } {
  const state = s.actor.model.machine.value;
  if (state === 'Closed' || state === 'Failed' || s.actor.model.closing !== null) {
    throw new VoiceError('SESSION_STATE_CONFLICT', {
      message: 'the session has ended',
      details: { session_id: s.id, state },
    });
  }
  s.target = resolved.target;
  s.actor.dispatch({ type: 'settings_update', update: resolved.update });
  return { pending: s.actor.model.pendingSettings !== null };
}

/**
 * The actor's `applySettings` hook for a session: at the boundary, the changed
 * kinds' providers (failover chains as at the start) replace the old ones, the
 * options in force are recorded, and a staged tool set replaces the tools (the
 * old set and any superseded staged set are closed: their MCP connections end).
 */
export function settingsApplier(
  s: LiveSession,
  onError: (err: unknown) => void,
): (c: ApplySettings) => AppliedSettings {
  return (c) => {
    const changed = KINDS.filter((k) => c.providers[k] !== undefined);
    let providers: AppliedSettings['providers'];
    if (changed.length > 0) {
      const info = s.actor.model.settings.info.providers;
      const resolved = s.resolveProviders({ asr: info.asr, agent: info.agent, tts: info.tts });
      s.chains = {
        ...s.chains,
        ...Object.fromEntries(changed.map((k) => [k, resolved.chains[k]])),
      };
      providers = Object.fromEntries(changed.map((k) => [k, resolved[k]]));
    }
    s.providerOptions = { ...s.providerOptions, ...c.providerOptions };
    if (c.toolset === undefined) return providers === undefined ? {} : { providers };
    const next = s.stagedTools.get(c.toolset) ?? null;
    const retired = [s.tools, ...[...s.stagedTools.values()].filter((t) => t !== next)];
    s.stagedTools.clear();
    s.tools = next ?? undefined;
    for (const t of retired) t?.close().catch(onError);
    return { ...(providers === undefined ? {} : { providers }), tools: next?.registry ?? null };
  };
}
