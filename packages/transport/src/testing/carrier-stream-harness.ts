/**
 * A carrier media stream under test, the way the carriers' media-stream tests drive one
 * (Plivo, Vonage, Telnyx, Exotel): on a recording fake socket and a simulated clock, with
 * handlers that record what the stream reported, in order. Not exported: the tests import
 * it by path.
 */
import { SimulatedClock } from '@prx-voice/core/testing';
import type { SampleRate } from '@prx-voice/media';
import type { CarrierMarkInfo, CarrierMediaStreamOptions } from '../telephony/carrier-stream.js';
import { createFakeSocket } from './fake-socket.js';
import type { FakeSocket } from './fake-socket.js';

/** One thing a stream reported to its handlers (audio as its sample count). */
export type CarrierStreamCall<S> =
  | { kind: 'start'; info: S }
  | { kind: 'audio'; samples: number }
  | { kind: 'dtmf'; digit: string }
  | { kind: 'mark'; name: string; info: CarrierMarkInfo }
  | { kind: 'stop' }
  | { kind: 'error'; code: string; message: string };

/** A stream on a fake socket and a simulated clock, and what it reported. */
export interface CarrierStreamHarness<S, T> {
  readonly socket: FakeSocket;
  readonly clock: SimulatedClock;
  readonly calls: CarrierStreamCall<S>[];
  readonly stream: T;
  /** The protocol errors reported so far. */
  readonly errors: () => Extract<CarrierStreamCall<S>, { kind: 'error' }>[];
  /** The caller audio delivered so far, in samples. */
  readonly audioSamples: () => number;
}

/** Options of {@link createCarrierStreamHarness}. */
export interface CarrierStreamHarnessOptions {
  /** The engine's output rate (default 24 kHz; the input rate is 16 kHz). */
  readonly outputRate?: SampleRate;
  /** Whether `stop` is recorded in `calls` (default true). */
  readonly recordStop?: boolean;
}

/**
 * Creates a carrier's stream with `create` on a fake socket and a simulated clock.
 *
 * @example
 * const { stream, calls, errors } = createCarrierStreamHarness(createPlivoMediaStream);
 */
export function createCarrierStreamHarness<S, T>(
  create: (options: Omit<CarrierMediaStreamOptions<S>, 'protocol'>) => T,
  o: CarrierStreamHarnessOptions = {},
): CarrierStreamHarness<S, T> {
  const socket = createFakeSocket();
  const clock = new SimulatedClock();
  const calls: CarrierStreamCall<S>[] = [];
  const stream = create({
    socket,
    clock,
    engine: { inputRate: 16000, outputRate: o.outputRate ?? 24000 },
    handlers: {
      onStart: (info) => calls.push({ kind: 'start', info }),
      onAudio: (samples) => calls.push({ kind: 'audio', samples: samples.length }),
      onDtmf: (digit) => calls.push({ kind: 'dtmf', digit }),
      onMarkPlayed: (name, info) => calls.push({ kind: 'mark', name, info }),
      onStop: () => {
        if (o.recordStop !== false) calls.push({ kind: 'stop' });
      },
      onProtocolError: (error) =>
        calls.push({ kind: 'error', code: error.code, message: error.message }),
    },
  });
  return {
    socket,
    clock,
    calls,
    stream,
    errors: () =>
      calls.filter(
        (c): c is Extract<CarrierStreamCall<S>, { kind: 'error' }> => c.kind === 'error',
      ),
    audioSamples: () => calls.reduce((n, c) => n + (c.kind === 'audio' ? c.samples : 0), 0),
  };
}

/** A sine tone of `samples` samples at `rate`. */
export function tone(rate: number, samples: number, hz = 440, amplitude = 8000): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate)),
  );
}
