/**
 * Every provider this package ships, registered by id, with their options from
 * `adapters.providers.<id>` bound in (so each member of a failover chain gets
 * its own model, key and URL). Remote providers read their conventional
 * environment variables for credentials when the config has none.
 */
import { defaultProviders } from './default-providers.js';
import { createAnthropicAgent } from './providers/agents/anthropic-agent.js';
import { createOllamaAgent } from './providers/agents/ollama-agent.js';
import { createOpenAiCompatibleAgent } from './providers/agents/openai-compatible-agent.js';
import { createScriptedAgent } from './providers/agents/scripted-agent.js';
import { scriptedAgentScriptSchema } from './providers/agents/scripted-script.js';
import { createAzureTts } from './providers/speech/azure-tts.js';
import { createCartesiaTts } from './providers/speech/cartesia-tts.js';
import { createDeepgramAsr } from './providers/speech/deepgram-asr.js';
import { createDeepgramTts } from './providers/speech/deepgram-tts.js';
import { createElevenLabsTts } from './providers/speech/elevenlabs-tts.js';
import { createOpenAiTranscriptionAsr } from './providers/speech/openai-transcription-asr.js';
import { createOpenAiTts } from './providers/speech/openai-tts.js';
import type {
  AgentProvider,
  AsrProvider,
  HealthCheck,
  OptionsValidator,
  TtsProvider,
} from './interfaces.js';
import type { ProviderRegistry } from './registry.js';
import type { Clock, Config } from '@prx-voice/core';

type Options = Record<string, unknown> | undefined;

/** `defaults` under a request's own options. */
const merged = (defaults: Options, own: Options): Record<string, unknown> => ({
  ...defaults,
  ...own,
});

/** The provider's health check, probing with `defaults` under the probe's options. */
function healthWithDefaults(
  provider: { readonly healthCheck?: HealthCheck },
  defaults: Options,
): { readonly healthCheck?: HealthCheck } {
  const check = provider.healthCheck;
  if (check === undefined) return {};
  return { healthCheck: (p) => check({ ...p, options: merged(defaults, p.options) }) };
}

/** The provider's options check, applied to `defaults` under the options checked. */
function validationWithDefaults(
  provider: { readonly validateOptions?: OptionsValidator },
  defaults: Options,
): { readonly validateOptions?: OptionsValidator } {
  const validate = provider.validateOptions;
  if (validate === undefined) return {};
  return {
    validateOptions: (options) =>
      validate(
        typeof options === 'object' && options !== null && !Array.isArray(options)
          ? merged(defaults, options as Options)
          : options,
      ),
  };
}

/** An agent whose requests (and health probes, and options checks) get `defaults` under their own options. */
function withDefaults(agent: AgentProvider, defaults: Options): AgentProvider {
  if (defaults === undefined) return agent;
  return {
    id: agent.id,
    run: (request) => agent.run({ ...request, options: merged(defaults, request.options) }),
    ...healthWithDefaults(agent, defaults),
    ...validationWithDefaults(agent, defaults),
  };
}

/** An ASR whose streams (and health probes, and options checks) get `defaults` under their own options. */
function asrWithDefaults(asr: AsrProvider, defaults: Options): AsrProvider {
  if (defaults === undefined) return asr;
  return {
    id: asr.id,
    open: (o) => asr.open({ ...o, options: merged(defaults, o.options) }),
    ...healthWithDefaults(asr, defaults),
    ...validationWithDefaults(asr, defaults),
  };
}

/** A TTS whose requests (and health probes, and options checks) get `defaults` under their own options. */
function ttsWithDefaults(tts: TtsProvider, defaults: Options): TtsProvider {
  if (defaults === undefined) return tts;
  return {
    id: tts.id,
    synthesize: (r) => tts.synthesize({ ...r, options: merged(defaults, r.options) }),
    ...healthWithDefaults(tts, defaults),
    ...validationWithDefaults(tts, defaults),
  };
}

/**
 * The registry of every provider this package ships, configured: the local
 * ones (`mock`, `pocketsphinx`, `espeak`, `energy`, `silero`), the remote ones
 * with `adapters.providers.<id>` as their defaults, and `scripted` when a
 * script is configured.
 *
 * @example
 * const providers = configuredProviders(config, systemClock);
 * const auto = await detectAutoProviders(providers, config);
 */
export function configuredProviders(
  config: Config,
  clock: Clock,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ProviderRegistry {
  const options = (id: string): Record<string, unknown> | undefined =>
    config.adapters.providers[id];
  const registry = defaultProviders({
    clock,
    silero: { workers: config.adapters.vad.silero_workers },
  })
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
    )
    .registerTts('azure', () => ttsWithDefaults(createAzureTts({ clock, env }), options('azure')))
    .registerTts('elevenlabs', () =>
      ttsWithDefaults(createElevenLabsTts({ clock, env }), options('elevenlabs')),
    )
    .registerTts('cartesia', () =>
      ttsWithDefaults(createCartesiaTts({ clock, env }), options('cartesia')),
    );
  const script = options('scripted');
  if (script !== undefined) {
    const parsed = scriptedAgentScriptSchema.parse(script['script'] ?? script);
    registry.registerAgent('scripted', () => createScriptedAgent({ clock, script: parsed }));
  }
  return registry;
}
