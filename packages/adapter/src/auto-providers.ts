/**
 * What the provider `auto` stands for on this machine, decided once at
 * start-up: the local engines when they are installed — pocketsphinx for ASR,
 * espeak-ng for TTS — else the deterministic `mock` providers; for the agent
 * the `scripted` one when a script is configured, else the built-in `demo`
 * assistant (a restaurant's table booking, so a first conversation is not an
 * echo); and the Silero VAD when onnxruntime-node and its model load and run
 * here, else the energy VAD. So the default configuration runs the offline
 * stack wherever it can.
 */
import type { HealthReport } from './interfaces.js';
import type { ProviderRegistry } from './registry.js';
import type { Config } from '@prx-voice/core';

/** The providers `auto` resolves to, and why. */
export interface AutoProviders {
  readonly asr: string;
  readonly agent: string;
  readonly tts: string;
  readonly vad: 'silero' | 'energy';
  /** One line per kind: the choice and the probe that decided it. */
  readonly notes: readonly string[];
}

const LOCAL = { asr: 'pocketsphinx', tts: 'espeak', agent: 'scripted' } as const;
/** The agent `auto` picks when no script is configured (before `mock`). */
const BUILT_IN_AGENT = 'demo';

/** The longest the Silero probe (loading the model, one inference) may take. */
export const VAD_PROBE_TIMEOUT_MS = 15_000;

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
      if (kind === 'agent' && registry.has('agent', BUILT_IN_AGENT)) {
        notes.push(
          `agent: ${BUILT_IN_AGENT} (the built-in restaurant booking assistant; ${id} is not configured)`,
        );
        return BUILT_IN_AGENT;
      }
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
  const vad = await chooseVad(registry, notes);
  return { asr, agent, tts, vad, notes };
}

/** Silero when its probe passes within {@link VAD_PROBE_TIMEOUT_MS}, else energy. */
async function chooseVad(
  registry: ProviderRegistry,
  notes: string[],
): Promise<'silero' | 'energy'> {
  if (!registry.has('vad', 'silero')) {
    notes.push('vad: energy (silero is not configured)');
    return 'energy';
  }
  const check = registry.vad('silero').healthCheck;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<HealthReport>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ healthy: false, detail: `no answer in ${VAD_PROBE_TIMEOUT_MS} ms` });
    }, VAD_PROBE_TIMEOUT_MS);
  });
  const report =
    check === undefined
      ? { healthy: true }
      : await Promise.race([check({ signal: controller.signal }), timedOut]).finally(() =>
          clearTimeout(timer),
        );
  if (!report.healthy) {
    notes.push(`vad: energy (silero: ${report.detail ?? 'unavailable'})`);
    return 'energy';
  }
  notes.push(`vad: silero${report.detail === undefined ? '' : ` (${report.detail})`}`);
  return 'silero';
}
