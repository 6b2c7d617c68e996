/**
 * The output pacer's options checked and turned into what it counts in: samples per
 * frame, the lead, and the lead its timer is set for when it wakes late by design.
 */
import { assertSampleRate } from '@prx-voice/media';
import type { SampleRate } from '@prx-voice/media';
import { VoiceError } from '@prx-voice/types';

/** A `VALIDATION_FAILED` of the pacer's options or calls. */
export function invalid(message: string, details: Record<string, unknown>): VoiceError {
  return new VoiceError('VALIDATION_FAILED', { message, details });
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw invalid(`Output pacer option ${name} is ${String(value)}; expected a positive number.`, {
      [name]: value,
    });
  }
  return value;
}

/** What {@link pacerSettings} reads. */
export interface PacerTimingOptions {
  readonly sampleRate: SampleRate;
  readonly frameMs?: number;
  readonly leadMs?: number;
  readonly progressEveryMs?: number;
  readonly holdTimeoutMs?: number;
  readonly wakeLateMs?: number;
}

/** The pacer's timing, checked (defaults: 20 ms frames, 200 ms lead, progress every 100 ms, hold 2 s). */
export interface PacerSettings {
  readonly rate: SampleRate;
  readonly leadMs: number;
  readonly progressEveryMs: number;
  readonly holdTimeoutMs: number;
  readonly frameSamples: number;
  /** How far sent audio may run ahead of the listener, in samples (at least a frame). */
  readonly leadSamples: number;
  readonly wakeLateMs: number;
  /** The lead a wake is timed for: a wake that comes `wakeLateMs` late still finds the full lead. */
  readonly wakeLeadSamples: number;
}

/**
 * Samples of a frame of `frameMs` at `rate`; `VALIDATION_FAILED` when it is not a positive
 * number or longer than the lead (a frame must fit in what may be in flight).
 */
export function frameSamplesOf(rate: number, frameMs: number, leadMs: number): number {
  positive('frameMs', frameMs);
  if (leadMs < frameMs) {
    throw invalid(
      `Output pacer leadMs (${String(leadMs)}) is shorter than frameMs (${String(frameMs)}).`,
      { leadMs, frameMs },
    );
  }
  return Math.max(1, Math.round((rate * frameMs) / 1000));
}

/** Checks the options (`VALIDATION_FAILED` naming the one that is wrong) and derives the settings. */
export function pacerSettings(options: PacerTimingOptions): PacerSettings {
  const rate = assertSampleRate(options.sampleRate);
  const leadMs = positive('leadMs', options.leadMs ?? 200);
  const frameMs = options.frameMs ?? 20;
  const progressEveryMs = positive('progressEveryMs', options.progressEveryMs ?? 100);
  const holdTimeoutMs = positive('holdTimeoutMs', options.holdTimeoutMs ?? 2000);
  const frameSamples = frameSamplesOf(rate, frameMs, leadMs);
  const leadSamples = Math.max(frameSamples, Math.round((rate * leadMs) / 1000));
  const wakeLateMs = Math.max(0, options.wakeLateMs ?? 0);
  const wakeLeadSamples = Math.max(0, leadSamples - Math.round((rate * wakeLateMs) / 1000));
  return {
    rate,
    leadMs,
    progressEveryMs,
    holdTimeoutMs,
    frameSamples,
    leadSamples,
    wakeLateMs,
    wakeLeadSamples,
  };
}
