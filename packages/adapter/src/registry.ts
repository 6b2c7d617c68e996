/**
 * The provider registry: providers by kind and id, created lazily from their
 * factories, so a session's configuration (`adapters.asr.provider: deepgram`)
 * turns into an implementation.
 */
import type { AdapterKind } from '@prx-voice/types';
import { VoiceError } from '@prx-voice/types';
import type { AgentProvider, AsrProvider, TtsProvider, VadProvider } from './interfaces.js';

/** Creates a provider; called once, on the first lookup of its id. */
export type ProviderFactory<P> = () => P;

/** Providers by kind and id; see {@link createProviderRegistry}. */
export interface ProviderRegistry {
  /** Registers an ASR provider under `id`; returns the registry. */
  registerAsr(id: string, factory: ProviderFactory<AsrProvider>): ProviderRegistry;
  /** Registers an agent under `id`; returns the registry. */
  registerAgent(id: string, factory: ProviderFactory<AgentProvider>): ProviderRegistry;
  /** Registers a TTS provider under `id`; returns the registry. */
  registerTts(id: string, factory: ProviderFactory<TtsProvider>): ProviderRegistry;
  /** Registers a VAD under `id`; returns the registry. */
  registerVad(id: string, factory: ProviderFactory<VadProvider>): ProviderRegistry;
  /** The ASR provider `id`; throws `VALIDATION_FAILED` listing the known ids when there is none. */
  asr(id: string): AsrProvider;
  /** The agent `id`; throws `VALIDATION_FAILED` listing the known ids when there is none. */
  agent(id: string): AgentProvider;
  /** The TTS provider `id`; throws `VALIDATION_FAILED` listing the known ids when there is none. */
  tts(id: string): TtsProvider;
  /** The VAD `id`; throws `VALIDATION_FAILED` listing the known ids when there is none. */
  vad(id: string): VadProvider;
  /** Whether `id` is registered for `kind`. */
  has(kind: AdapterKind, id: string): boolean;
  /** The registered ids of a kind, sorted. */
  ids(kind: AdapterKind): readonly string[];
}

const KIND_NAMES: Readonly<Record<AdapterKind, string>> = {
  asr: 'ASR',
  agent: 'agent',
  tts: 'TTS',
  vad: 'VAD',
};

class Slot<P> {
  #instance: P | undefined;
  constructor(readonly factory: ProviderFactory<P>) {}
  get(): P {
    this.#instance ??= this.factory();
    return this.#instance;
  }
}

/**
 * Creates an empty registry. Registering an id twice for a kind throws
 * `VALIDATION_FAILED`; each provider is created on its first lookup and the
 * same instance is returned afterwards.
 *
 * @example
 * const registry = createProviderRegistry().registerAsr('mock', () => createMockAsr());
 * registry.asr('mock').open({ sampleRate: 16000, language: 'en-US' });
 * registry.asr('deepgram'); // VoiceError VALIDATION_FAILED: … known: mock
 */
export function createProviderRegistry(): ProviderRegistry {
  const slots: Record<AdapterKind, Map<string, Slot<unknown>>> = {
    asr: new Map(),
    agent: new Map(),
    tts: new Map(),
    vad: new Map(),
  };

  function register(kind: AdapterKind, id: string, factory: ProviderFactory<unknown>): void {
    if (id.length === 0) {
      throw new VoiceError('VALIDATION_FAILED', {
        message: `A ${KIND_NAMES[kind]} provider id must not be empty`,
        details: { kind },
      });
    }
    if (slots[kind].has(id)) {
      throw new VoiceError('VALIDATION_FAILED', {
        message: `A ${KIND_NAMES[kind]} provider '${id}' is already registered`,
        details: { kind, id },
      });
    }
    slots[kind].set(id, new Slot(factory));
  }

  function ids(kind: AdapterKind): readonly string[] {
    return [...slots[kind].keys()].sort();
  }

  function lookup(kind: AdapterKind, id: string): unknown {
    const slot = slots[kind].get(id);
    if (slot !== undefined) return slot.get();
    const known = ids(kind);
    throw new VoiceError('VALIDATION_FAILED', {
      message: `Unknown ${KIND_NAMES[kind]} provider '${id}'; known: ${known.length > 0 ? known.join(', ') : '(none)'}`,
      details: { kind, id, known },
    });
  }

  const registry: ProviderRegistry = {
    registerAsr: (id, factory) => (register('asr', id, factory), registry),
    registerAgent: (id, factory) => (register('agent', id, factory), registry),
    registerTts: (id, factory) => (register('tts', id, factory), registry),
    registerVad: (id, factory) => (register('vad', id, factory), registry),
    asr: (id) => lookup('asr', id) as AsrProvider,
    agent: (id) => lookup('agent', id) as AgentProvider,
    tts: (id) => lookup('tts', id) as TtsProvider,
    vad: (id) => lookup('vad', id) as VadProvider,
    has: (kind, id) => slots[kind].has(id),
    ids,
  };
  return registry;
}
