/**
 * What the provider `auto` stands for on this machine, decided once at
 * start-up: the local engines when they are installed — pocketsphinx for ASR,
 * espeak-ng for TTS, the `scripted` agent when a script is configured — else
 * the deterministic `mock` providers. So the default configuration runs the
 * offline stack wherever it can.
 */
import type { ProviderRegistry } from '@prx-voice/adapter';
import type { Config } from '@prx-voice/core';

/** The providers `auto` resolves to, and why. */
export interface AutoProviders {
  readonly asr: string;
  readonly agent: string;
  readonly tts: string;
  /** One line per kind: the choice and the probe that decided it. */
  readonly notes: readonly string[];
}

const LOCAL = { asr: 'pocketsphinx', tts: 'espeak', agent: 'scripted' } as const;

/** Probes the local engines and picks, per kind, the local one if it can serve, else `mock`. */
export async function detectAutoProviders(
  registry: ProviderRegistry,
  config: Config,
): Promise<AutoProviders> {
  const notes: string[] = [];
  const signal = new AbortController().signal;
  const choose = async (kind: 'asr' | 'tts' | 'agent'): Promise<string> => {
    const id = LOCAL[kind];
    if (!registry.has(kind, id)) {
      notes.push(`${kind}: mock (${id} is not configured)`);
      return 'mock';
    }
    const provider =
      kind === 'asr' ? registry.asr(id) : kind === 'tts' ? registry.tts(id) : registry.agent(id);
    const options = config.adapters.providers[id];
    const report = (await provider.healthCheck?.(
      options === undefined ? { signal } : { options, signal },
    )) ?? { healthy: true };
    if (!report.healthy) {
      notes.push(`${kind}: mock (${id}: ${report.detail ?? 'unavailable'})`);
      return 'mock';
    }
    notes.push(`${kind}: ${id}`);
    return id;
  };
  const asr = await choose('asr');
  const tts = await choose('tts');
  const agent = await choose('agent');
  return { asr, agent, tts, notes };
}
