/**
 * DTMF collection: keypad keys accumulate into a sequence that a terminator key,
 * an inter-digit timeout or a maximum length completes. No I/O — time comes from
 * the injected `Clock`, keys and sequences go to callbacks — so tests run on
 * simulated time. The actor turns a completed sequence into a text turn
 * ({@link dtmfText}) and each key and sequence into a `prx.voice.media.dtmf` event.
 */
import type { Clock, TimerHandle } from '@prx-voice/core';

/** Where keys came from: a client's `dtmf` frame, Twilio's media stream, a carrier (SIP). */
export type DtmfSource = 'websocket' | 'twilio' | 'carrier';

/** What completed a sequence. */
export type DtmfCompletion = 'terminator' | 'timeout' | 'max_digits';

/** How keys are collected into a sequence. */
export interface DtmfSettings {
  /** The key that completes a sequence (not part of it); `null`: none. */
  readonly terminator: string | null;
  /** Silence after the last key that completes a sequence, ms. */
  readonly interDigitTimeoutMs: number;
  /** Keys after which a sequence is complete without a terminator. */
  readonly maxDigits: number;
}

/** Defaults: `#` terminates, 3 s between keys, at most 32 keys. */
export const DTMF_DEFAULTS: DtmfSettings = {
  terminator: '#',
  interDigitTimeoutMs: 3000,
  maxDigits: 32,
};

/** A completed sequence (never empty; without its terminator). */
export interface DtmfSequence {
  readonly digits: string;
  /** The source of the key that completed it (or of the last key, on a timeout). */
  readonly source: DtmfSource;
  readonly reason: DtmfCompletion;
}

/** Options of {@link createDtmfCollector}. */
export interface DtmfCollectorOptions {
  readonly clock: Clock;
  readonly settings?: Partial<DtmfSettings>;
  /** Each key as it is pressed (terminator included). */
  readonly onKey: (digit: string, source: DtmfSource) => void;
  /** Each completed sequence. */
  readonly onComplete: (sequence: DtmfSequence) => void;
}

/** Collects keys into sequences (see the module's description). */
export interface DtmfCollector {
  /** Feeds keys (`0-9`, `*`, `#`, `A-D`; lower case is upper-cased), one or more at a time. */
  press(digits: string, source: DtmfSource): void;
  /** Keys collected but not yet completed. */
  readonly pending: string;
  /** Drops what is pending and stops the timer; later keys are ignored. */
  close(): void;
}

/** The user text a completed sequence becomes: `DTMF: 1234`. */
export function dtmfText(digits: string): string {
  return `DTMF: ${digits}`;
}

/**
 * Creates a DTMF collector.
 *
 * @example
 * const dtmf = createDtmfCollector({ clock, onKey, onComplete: (s) => turn(dtmfText(s.digits)) });
 * dtmf.press('12#', 'websocket'); // onKey ×3, then onComplete({ digits: '12', reason: 'terminator' })
 */
export function createDtmfCollector(o: DtmfCollectorOptions): DtmfCollector {
  const settings: DtmfSettings = { ...DTMF_DEFAULTS, ...o.settings };
  let pending = '';
  let lastSource: DtmfSource = 'websocket';
  let timer: TimerHandle | undefined;
  let closed = false;

  const stopTimer = (): void => {
    if (timer !== undefined) o.clock.clearTimeout(timer);
    timer = undefined;
  };

  const complete = (reason: DtmfCompletion, source: DtmfSource): void => {
    stopTimer();
    const digits = pending;
    pending = '';
    if (digits !== '') o.onComplete({ digits, source, reason });
  };

  const pressOne = (digit: string, source: DtmfSource): void => {
    lastSource = source;
    o.onKey(digit, source);
    if (closed) return;
    if (digit === settings.terminator) {
      complete('terminator', source);
      return;
    }
    pending += digit;
    if (pending.length >= settings.maxDigits) {
      complete('max_digits', source);
      return;
    }
    stopTimer();
    timer = o.clock.setTimeout(() => {
      timer = undefined;
      complete('timeout', lastSource);
    }, settings.interDigitTimeoutMs);
  };

  return {
    press(digits, source) {
      for (const digit of digits.toUpperCase()) {
        if (closed) return;
        if (/^[0-9*#A-D]$/.test(digit)) pressOne(digit, source);
      }
    },
    get pending() {
      return pending;
    },
    close() {
      closed = true;
      stopTimer();
      pending = '';
    },
  };
}
