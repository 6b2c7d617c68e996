/**
 * The meters PRX Voice records, their units, and which monthly budget each counts
 * against — the one place that says so (the quota governor, the durable usage
 * sums and the usage routes read it from here).
 */

/** A monthly budget a tenant's tier sets (the quota kinds of admission). */
export type BudgetKind = 'session_seconds' | 'tokens' | 'characters';

/** What a meter measures. */
export interface MeterSpec {
  readonly unit: string;
  /** The budget it counts against, if any. */
  readonly budget?: BudgetKind;
}

/** Every meter, by name. */
export const METERS = {
  /** Session time, from start to close (whole seconds, a started second counts). */
  session_seconds: { unit: 'second', budget: 'session_seconds' },
  /** Audio streamed to an ASR provider. */
  asr_audio_ms: { unit: 'ms' },
  /** Agent input tokens, as the provider reported them. */
  agent_prompt_tokens: { unit: 'token', budget: 'tokens' },
  /** Agent output tokens, as the provider reported them. */
  agent_completion_tokens: { unit: 'token', budget: 'tokens' },
  /** Characters sent to a TTS provider. */
  tts_characters: { unit: 'character', budget: 'characters' },
  /** Audio a TTS provider synthesized (also what a barge-in cut off). */
  tts_audio_ms: { unit: 'ms' },
  /** Tool calls an agent made (`provider`: the tool's name). */
  tool_calls: { unit: 'call' },
} as const satisfies Record<string, MeterSpec>;

/** A meter's name. */
export type MeterName = keyof typeof METERS;

/** Whether `name` is a known meter. */
export function isMeter(name: string): name is MeterName {
  return Object.hasOwn(METERS, name);
}

/** The budget a meter counts against; undefined for unknown meters and those with none. */
export function budgetOfMeter(meter: string): BudgetKind | undefined {
  return isMeter(meter) ? (METERS[meter] as MeterSpec).budget : undefined;
}

/** The meters that count against a budget. */
export function metersOfBudget(budget: BudgetKind): MeterName[] {
  return (Object.keys(METERS) as MeterName[]).filter(
    (m) => (METERS[m] as MeterSpec).budget === budget,
  );
}
