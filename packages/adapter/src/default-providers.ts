/** The registry of the providers that are always available. */
import type { Clock } from '@prx-voice/core';
import { createMockAgent } from './mock/mock-agent.js';
import { createDemoAgent, DEMO_AGENT } from './providers/demo/demo-agent.js';
import { createMockAsr } from './mock/mock-asr.js';
import { createEspeakTts } from './providers/local/espeak-tts.js';
import { createPocketsphinxAsr } from './providers/local/pocketsphinx-asr.js';
import { createMockTts } from './mock/mock-tts.js';
import { createProviderRegistry } from './registry.js';
import type { ProviderRegistry } from './registry.js';
import { createEnergyVad } from './vad/energy-vad.js';
import { createSileroVad } from './vad/silero-vad.js';
import type { SileroVadOptions } from './vad/silero-vad.js';

/** Options of {@link defaultProviders}. */
export interface DefaultProvidersOptions {
  /** Paces the mock and demo agents. */
  readonly clock: Clock;
  /** Settings of the `silero` VAD. */
  readonly silero?: SileroVadOptions;
}

/**
 * A registry with the `mock` ASR, agent and TTS, the `demo` agent (a
 * restaurant's table booking, offline), the local engines `pocketsphinx` and
 * `espeak`, and the `energy` and `silero` VADs; register real providers on it
 * as well. Nothing loads until looked up.
 *
 * @example
 * const providers = defaultProviders({ clock: systemClock });
 * const agent = providers.agent('mock');
 */
export function defaultProviders(options: DefaultProvidersOptions): ProviderRegistry {
  const { clock } = options;
  return createProviderRegistry()
    .registerAsr('mock', () => createMockAsr())
    .registerAgent('mock', () => createMockAgent({ clock }))
    .registerAgent(DEMO_AGENT, () => createDemoAgent({ clock }))
    .registerTts('mock', () => createMockTts())
    .registerAsr('pocketsphinx', () => createPocketsphinxAsr({ clock }))
    .registerTts('espeak', () => createEspeakTts({ clock }))
    .registerVad('energy', () => createEnergyVad())
    .registerVad('silero', () => createSileroVad(options.silero));
}
