/**
 * The providers of one session: for each kind the configured chain (the
 * session's choice first, then `adapters.<kind>.fallbacks`), wrapped in
 * failover with one circuit breaker per provider shared by every session of
 * the process.
 */
import {
  createCircuitBreaker,
  createFailoverAgent,
  createFailoverAsr,
  createFailoverTts,
} from '@prx-voice/adapter';
import type {
  AgentProvider,
  AsrProvider,
  BreakerState,
  CircuitBreaker,
  FallbackNotice,
  ProviderRegistry,
  TtsProvider,
  VadProvider,
} from '@prx-voice/adapter';
import { AUTO_PROVIDER } from '@prx-voice/core';
import type { Clock, Config } from '@prx-voice/core';
import { VoiceError } from '@prx-voice/types';
import { recordCalls } from './breaker-stats.js';
import type { RecordedBreaker } from './breaker-stats.js';

/** A breaker of the pool with what it knows of its provider's recent calls. */
export interface PooledBreaker {
  readonly kind: 'asr' | 'agent' | 'tts';
  readonly provider: string;
  readonly breaker: RecordedBreaker;
}

/** Circuit breakers by provider, for the whole process. */
export interface BreakerPool {
  get(kind: 'asr' | 'agent' | 'tts', id: string): CircuitBreaker;
  /** Every breaker made so far (each provider a session used or readiness looked at). */
  list(): readonly PooledBreaker[];
}

/** A pool of breakers on a clock; `onStateChange` hears every breaker's transitions. */
export function createBreakerPool(
  clock: Pick<Clock, 'now'>,
  onStateChange?: (
    kind: 'asr' | 'agent' | 'tts',
    id: string,
    from: BreakerState,
    to: BreakerState,
  ) => void,
): BreakerPool {
  const breakers = new Map<string, PooledBreaker>();
  return {
    get(kind, id) {
      const key = `${kind}:${id}`;
      let b = breakers.get(key);
      if (b === undefined) {
        const breaker = createCircuitBreaker({
          clock,
          onStateChange: (from, to) => onStateChange?.(kind, id, from, to),
        });
        b = { kind, provider: id, breaker: recordCalls(breaker, clock) };
        breakers.set(key, b);
      }
      return b.breaker;
    },
    list: () => [...breakers.values()],
  };
}

/** The providers a session runs with. */
export interface SessionProviders {
  /** The provider ids of each kind's chain, in order. */
  readonly chains: {
    readonly asr: readonly string[];
    readonly agent: readonly string[];
    readonly tts: readonly string[];
  };
  readonly asr: AsrProvider;
  readonly agent: AgentProvider;
  readonly tts: TtsProvider;
  readonly vad: VadProvider;
}

function chainOf(primary: string, fallbacks: readonly string[]): string[] {
  return [primary, ...fallbacks.filter((f, i) => f !== primary && fallbacks.indexOf(f) === i)];
}

/**
 * Resolves a session's providers; an unknown id is VALIDATION_FAILED (from the registry)
 * before anything else happens.
 */
export function sessionProviders(opts: {
  readonly config: Config;
  readonly registry: ProviderRegistry;
  readonly clock: Pick<Clock, 'now'>;
  readonly breakers: BreakerPool;
  readonly chosen: {
    readonly asr: string;
    readonly agent: string;
    readonly tts: string;
    readonly vad: string;
  };
  /**
   * Per kind, the provider the chosen one displaced (an economy provider under
   * degradation displaces the configured one): first among the fallbacks.
   */
  readonly displaced?: Partial<Record<'asr' | 'agent' | 'tts', string>>;
  readonly onFallback: (notice: FallbackNotice) => void;
}): SessionProviders {
  const { config, registry, breakers, chosen } = opts;
  const ids = (kind: 'asr' | 'agent' | 'tts'): string[] => {
    const displaced = opts.displaced?.[kind];
    const fallbacks = config.adapters[kind].fallbacks;
    return chainOf(chosen[kind], displaced === undefined ? fallbacks : [displaced, ...fallbacks]);
  };
  const chains = { asr: ids('asr'), agent: ids('agent'), tts: ids('tts') };
  const asrChain = chains.asr.map((id) => ({
    provider: registry.asr(id),
    breaker: breakers.get('asr', id),
  }));
  const agentChain = chains.agent.map((id) => ({
    provider: registry.agent(id),
    breaker: breakers.get('agent', id),
  }));
  const ttsChain = chains.tts.map((id) => ({
    provider: registry.tts(id),
    breaker: breakers.get('tts', id),
  }));
  const single = <P>(chain: readonly { provider: P }[]): P | undefined =>
    chain.length === 1 ? chain[0]?.provider : undefined;
  return {
    chains,
    asr: single(asrChain) ?? createFailoverAsr({ members: asrChain, onFallback: opts.onFallback }),
    agent:
      single(agentChain) ??
      createFailoverAgent({ clock: opts.clock, members: agentChain, onFallback: opts.onFallback }),
    tts:
      single(ttsChain) ??
      createFailoverTts({ clock: opts.clock, members: ttsChain, onFallback: opts.onFallback }),
    vad: registry.vad(chosen.vad),
  };
}

/**
 * Checks at start-up that each `observe.degradation.economy_providers` entry is a
 * registered provider of its kind.
 *
 * @throws VoiceError `CONFIG_INVALID` naming the key and the known ids.
 */
export function checkEconomyProviders(config: Config, registry: ProviderRegistry): void {
  const economy = config.observe.degradation.economy_providers;
  const problems: string[] = [];
  for (const kind of ['asr', 'agent', 'tts'] as const) {
    const id = economy[kind];
    if (id === undefined || registry.has(kind, id)) continue;
    problems.push(
      `  - observe.degradation.economy_providers.${kind} = ${id}: expected a registered ${kind} provider (known: ${registry.ids(kind).join(', ')})`,
    );
  }
  if (problems.length === 0) return;
  throw new VoiceError('CONFIG_INVALID', {
    message: `Invalid configuration (${problems.length === 1 ? '1 problem' : `${problems.length} problems`}):\n${problems.join('\n')}`,
  });
}

/** What the provider `auto` stands for, per kind (found by probing at start-up). */
export interface AutoProviderChoice {
  readonly asr?: string;
  readonly agent?: string;
  readonly tts?: string;
  readonly vad?: 'silero' | 'energy';
}

/**
 * `config` with each `auto` provider replaced by what it stands for: the
 * choice given, else `mock` (ASR, agent, TTS) or `energy` (VAD).
 */
export function resolveAutoProviders(config: Config, auto: AutoProviderChoice = {}): Config {
  const chain = (kind: 'asr' | 'agent' | 'tts') => {
    const section = config.adapters[kind];
    const provider = section.provider === AUTO_PROVIDER ? (auto[kind] ?? 'mock') : section.provider;
    return { ...section, provider, fallbacks: section.fallbacks.filter((f) => f !== provider) };
  };
  const vad = config.adapters.vad;
  return {
    ...config,
    adapters: {
      ...config.adapters,
      asr: chain('asr'),
      agent: chain('agent'),
      tts: chain('tts'),
      vad: {
        ...vad,
        provider: vad.provider === AUTO_PROVIDER ? (auto.vad ?? 'energy') : vad.provider,
      },
    },
  };
}

/** A session's options per provider kind, as a request or the configuration gives them. */
export type ProviderOptionsByKind = Partial<Record<'asr' | 'agent' | 'tts', unknown>>;

/**
 * Where a kind's options came from, for the error: a location (`body` for
 * `POST /sessions`, `frame` for a WebSocket `session.update`, `config`) and
 * their path in it (`provider_options.asr`).
 */
export type OptionsOrigin = (kind: 'asr' | 'agent' | 'tts') => {
  readonly location: string;
  readonly path: string;
};

/**
 * Checks each kind's options against every provider of its chain (the
 * fallbacks get the same options) with the providers' `validateOptions`:
 * throws `VALIDATION_FAILED` naming the option, its path and the provider, as
 * `{ location, provider, issues: [{ path, message }] }` — so a session is
 * refused rather than failing once it runs.
 */
export function validateProviderOptions(opts: {
  readonly registry: ProviderRegistry;
  readonly chains: SessionProviders['chains'];
  readonly options: ProviderOptionsByKind;
  readonly origin: OptionsOrigin;
}): void {
  const { registry, chains, options, origin } = opts;
  for (const kind of ['asr', 'agent', 'tts'] as const) {
    const value = options[kind];
    if (value === undefined) continue;
    for (const id of chains[kind]) {
      const provider =
        kind === 'asr'
          ? registry.asr(id)
          : kind === 'agent'
            ? registry.agent(id)
            : registry.tts(id);
      try {
        provider.validateOptions?.(value);
      } catch (err) {
        const { location, path } = origin(kind);
        throw optionsError(err, location, path, id);
      }
    }
  }
}

/** A provider's VALIDATION_FAILED restated with the options' path; anything else as it is. */
function optionsError(err: unknown, location: string, path: string, provider: string): unknown {
  if (!VoiceError.is(err) || err.code !== 'VALIDATION_FAILED') return err;
  const raw = err.details['issues'];
  const issues = (Array.isArray(raw) ? (raw as unknown[]) : []).map((issue) => {
    const i = (typeof issue === 'object' && issue !== null ? issue : {}) as Record<string, unknown>;
    const at = typeof i['path'] === 'string' && i['path'] !== '' ? `${path}.${i['path']}` : path;
    return { path: at, message: typeof i['message'] === 'string' ? i['message'] : 'invalid' };
  });
  const first = issues[0];
  return new VoiceError('VALIDATION_FAILED', {
    message:
      first === undefined
        ? `Invalid ${location}.${path} for provider '${provider}': ${err.message}`
        : `Invalid ${location}.${first.path} for provider '${provider}': ${first.message}`,
    details: {
      location,
      provider,
      issues: issues.length > 0 ? issues : [{ path, message: err.message }],
    },
    cause: err,
  });
}

/** The kinds a degraded instance can swap for an economy provider. */
type EconomyKind = 'asr' | 'agent' | 'tts';

/**
 * Under degradation (L2 and up: `degraded`), the economy provider of each kind the request
 * left to the server (`observe.degradation.economy_providers`); nothing otherwise.
 */
export function economyChoice(
  degraded: boolean,
  economy: Partial<Record<EconomyKind, string | undefined>>,
  requested: Partial<Record<EconomyKind, string | undefined>> | undefined,
): Partial<Record<EconomyKind, string>> {
  if (!degraded) return {};
  const chosen: Partial<Record<EconomyKind, string>> = {};
  for (const kind of ['asr', 'agent', 'tts'] as const) {
    const id = economy[kind];
    const asked = requested?.[kind];
    if (id !== undefined && (asked === undefined || asked === AUTO_PROVIDER)) chosen[kind] = id;
  }
  return chosen;
}
