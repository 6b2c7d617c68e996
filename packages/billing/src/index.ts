/**
 * `@prx-voice/billing`: usage recorded where it happens — session time, ASR audio,
 * agent tokens, TTS characters — into an idempotent, durable store, off the audio
 * path; a tenant's monthly usage per budget from it.
 *
 * @packageDocumentation
 */
export { METERS, budgetOfMeter, isMeter, metersOfBudget } from './meters.js';
export type { BudgetKind, MeterName, MeterSpec } from './meters.js';
export { createMeterRecorder } from './meter-recorder.js';
export type {
  MeterRecorder,
  MeterRecorderOptions,
  MeterRecorderStats,
  UsageEvent,
} from './meter-recorder.js';
export { durableMonthlyUsage, monthOf, unmeteredSessionSeconds } from './durable-usage.js';
