/** Checking the settings of a VAD stream at the provider's edge. */
import { z } from 'zod';
import { isSampleRate } from '@prx-voice/media';
import { providerError } from '../interfaces.js';
import type { VadOptions } from '../interfaces.js';

const finiteMs = z.number().min(0).max(600_000);

/** The thresholds of the VAD state machine. */
export const vadThresholdsSchema = z.object({
  threshold: z.number().min(0).max(1),
  minSpeechMs: finiteMs,
  minSilenceMs: finiteMs,
  minVolume: z.number().min(0).max(1),
  maxDipMs: finiteMs.optional(),
});

const vadOptionsSchema = vadThresholdsSchema.extend({
  sampleRate: z.number().refine(isSampleRate, { message: 'expected a supported sample rate' }),
});

/** Returns the options when valid; else throws `VALIDATION_FAILED` naming the provider and the field. */
export function checkVadOptions(options: VadOptions, provider: string): VadOptions {
  const parsed = vadOptionsSchema.safeParse(options);
  if (parsed.success) return options;
  const issue = parsed.error.issues[0];
  const field = issue?.path.map(String).join('.') ?? '';
  throw providerError('VALIDATION_FAILED', {
    provider,
    message: `Invalid VAD options for provider '${provider}': ${field}: ${issue?.message ?? 'invalid'}`,
    fallback: false,
    retryable: false,
    details: { field },
  });
}
