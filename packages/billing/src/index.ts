/**
 * `@prx-voice/billing`: usage recorded where it happens — session time, ASR audio,
 * agent tokens, TTS characters — into an idempotent, durable store, off the audio
 * path; a tenant's monthly usage per budget from it; versioned price books in integer
 * micro-units; closing a period prices its usage into the append-only ledger and issues
 * an invoice whose total is the sum of its ledger entries.
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
export {
  durableMonthlyUsage,
  loggedUsage,
  monthOf,
  unmeteredSessionSeconds,
  usageOfReport,
} from './durable-usage.js';
export type { UsageReport } from './durable-usage.js';
export { DEFAULT_PRICE_BOOKS, amountMicros, parsePriceBookTerms, priceOf } from './prices.js';
export type { MeterPrice, PriceBookTerms, Prices, UnitPrice } from './prices.js';
export {
  DEFAULT_CLOSE_GRACE_MS,
  SLA_CREDITS,
  closePeriod,
  periodOf,
  periodRange,
  slaCreditPercent,
} from './close-period.js';
export type { ClosePeriodOptions, ClosedPeriod } from './close-period.js';
export { createUsageExporter, toUsageCloudEvent } from './usage-exporter.js';
export type {
  UsageCloudEvent,
  UsageExporter,
  UsageExporterOptions,
  UsageExporterStats,
} from './usage-exporter.js';
