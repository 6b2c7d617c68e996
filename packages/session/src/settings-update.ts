/**
 * A change of a live session's settings — language, providers and their
 * options, system prompt, tools, the assistant it runs — as the reducer takes
 * it (`settings_update`) and hands it to the effects runner (`apply_settings`).
 * Plain JSON data, so a recorded session replays it. The reducer keeps it
 * pending until the next turn boundary, never applying it mid-utterance.
 */
import type { ProviderOptions } from '@prx-voice/adapter';

/** The kinds of provider a live session can change (the VAD stays). */
export type UpdatableKind = 'asr' | 'agent' | 'tts';

/** What becomes of the conversation when the settings change (an assistant switch). */
export type SwitchContext = 'keep' | 'summary' | 'reset';

/** The context strategies, for checks. */
export const SWITCH_CONTEXTS: readonly SwitchContext[] = ['keep', 'summary', 'reset'];

/**
 * A change to apply at the next turn boundary; absent fields stay as they are.
 * The caller has validated it (providers known, options accepted by them).
 */
export interface SettingsUpdate {
  /** BCP 47 language: the recognition stream reopens with it; synthesis uses it. */
  readonly language?: string;
  /** The acknowledgements that keep the floor with the bot, for the new language. */
  readonly backchannels?: readonly string[];
  /** The primary provider per kind (the runner builds its failover chain). */
  readonly providers?: Readonly<Partial<Record<UpdatableKind, string>>>;
  /** The complete options a kind's providers run with from the boundary on. */
  readonly providerOptions?: Readonly<Partial<Record<UpdatableKind, ProviderOptions>>>;
  /** The new system prompt; null removes it. */
  readonly systemPrompt?: string | null;
  /** What becomes of the conversation (default `keep`): `reset` and `summary` start it afresh. */
  readonly context?: SwitchContext;
  /** Said as the change applies (an assistant's first message). */
  readonly firstMessage?: string;
  /** The session's tools are replaced by the set the runner staged under this key. */
  readonly toolset?: string;
  /** The stored assistant the session runs from the boundary on. */
  readonly assistant?: { readonly id: string; readonly version: number };
}

/** The `apply_settings` command: what the effects runner changes at the boundary. */
export interface ApplySettings {
  readonly type: 'apply_settings';
  /** The language from now on. */
  readonly language: string;
  /** The kinds whose primary provider changed, with the new one. */
  readonly providers: Readonly<Partial<Record<UpdatableKind, string>>>;
  /** The kinds whose options changed, with their complete new options. */
  readonly providerOptions: Readonly<Partial<Record<UpdatableKind, ProviderOptions>>>;
  /** The recognition stream is reopened (its language, provider or options changed). */
  readonly reopenAsr: boolean;
  /** Tools replaced by the staged set of this key. */
  readonly toolset?: string;
}

/** A pending change with a newer one on top (the newer wins field by field). */
export function mergeSettingsUpdates(
  older: SettingsUpdate | null,
  newer: SettingsUpdate,
): SettingsUpdate {
  if (older === null) return newer;
  const providers = { ...older.providers, ...newer.providers };
  const providerOptions = { ...older.providerOptions, ...newer.providerOptions };
  return {
    ...older,
    ...newer,
    ...(Object.keys(providers).length === 0 ? {} : { providers }),
    ...(Object.keys(providerOptions).length === 0 ? {} : { providerOptions }),
  };
}
