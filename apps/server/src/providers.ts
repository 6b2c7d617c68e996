/**
 * The providers the server offers, by id, with their options from
 * `adapters.providers.<id>` bound in (so each member of a failover chain gets
 * its own model, key and URL). Remote providers read their conventional
 * environment variables for credentials when the config has none.
 */
import {
  createAnthropicAgent,
  createDeepgramAsr,
  createDeepgramTts,
  createOpenAiTranscriptionAsr,
  createOpenAiTts,
  createOllamaAgent,
  createOpenAiCompatibleAgent,
  createScriptedAgent,
  defaultProviders,
  scriptedAgentScriptSchema,
} from '@prx-voice/adapter';
import type { AgentProvider, AsrProvider, ProviderRegistry, TtsProvider } from '@prx-voice/adapter';
import type { Clock, Config } from '@prx-voice/core';

/** An agent whose requests get `defaults` under their own options. */
function withDefaults(
  agent: AgentProvider,
  defaults: Record<string, unknown> | undefined,
): AgentProvider {
  if (defaults === undefined) return agent;
  return {
    id: agent.id,
    run: (request) => agent.run({ ...request, options: { ...defaults, ...request.options } }),
  };
}

/** An ASR whose streams get `defaults` under their own options. */
function asrWithDefaults(
  asr: AsrProvider,
  defaults: Record<string, unknown> | undefined,
): AsrProvider {
  if (defaults === undefined) return asr;
  return { id: asr.id, open: (o) => asr.open({ ...o, options: { ...defaults, ...o.options } }) };
}

/** A TTS whose requests get `defaults` under their own options. */
function ttsWithDefaults(
  tts: TtsProvider,
  defaults: Record<string, unknown> | undefined,
): TtsProvider {
  if (defaults === undefined) return tts;
  return {
    id: tts.id,
    synthesize: (r) => tts.synthesize({ ...r, options: { ...defaults, ...r.options } }),
  };
}

/** The registry of every provider this build knows, configured. */
export function serverProviders(
  config: Config,
  clock: Clock,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ProviderRegistry {
  const options = (id: string): Record<string, unknown> | undefined =>
    config.adapters.providers[id];
  const registry = defaultProviders({ clock })
    .registerAgent('openai', () =>
      withDefaults(createOpenAiCompatibleAgent({ clock, env }), options('openai')),
    )
    .registerAgent('anthropic', () =>
      withDefaults(createAnthropicAgent({ clock, env }), options('anthropic')),
    )
    .registerAgent('ollama', () => withDefaults(createOllamaAgent({ clock }), options('ollama')))
    .registerAsr('deepgram', () =>
      asrWithDefaults(createDeepgramAsr({ clock, env }), options('deepgram')),
    )
    .registerAsr('openai', () =>
      asrWithDefaults(createOpenAiTranscriptionAsr({ clock, env }), options('openai')),
    )
    .registerTts('deepgram', () =>
      ttsWithDefaults(createDeepgramTts({ clock, env }), options('deepgram')),
    )
    .registerTts('openai', () =>
      ttsWithDefaults(createOpenAiTts({ clock, env }), options('openai')),
    );
  const script = options('scripted');
  if (script !== undefined) {
    const parsed = scriptedAgentScriptSchema.parse(script['script'] ?? script);
    registry.registerAgent('scripted', () => createScriptedAgent({ clock, script: parsed }));
  }
  return registry;
}
