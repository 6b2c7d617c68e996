/**
 * The audio path of a Twilio Media Stream: base64 µ-law 8 kHz payloads ↔ PCM16 at
 * the engine's rates. Buffers are reused across messages; outbound audio leaves as
 * `media` messages of at most 20 ms, nothing held back but the resampler's look-ahead.
 */
import { createResampler, decodeMulaw, encodeMulaw } from '@prx-voice/media';
import type { SampleRate } from '@prx-voice/media';

/** Twilio's telephony rate, Hz. */
export const TWILIO_RATE = 8000;
/** Samples in one 20 ms payload at 8 kHz. */
export const TWILIO_CHUNK_SAMPLES = 160;

/** Twilio payloads → engine PCM16. */
export interface TwilioInboundAudio {
  /** Decodes and resamples one base64 µ-law payload; a view valid until the next call. */
  decode(payload: string): Int16Array;
}

/** Creates the inbound audio path to the engine's input rate. */
export function createTwilioInboundAudio(engineRate: SampleRate): TwilioInboundAudio {
  const resampler = createResampler({ from: TWILIO_RATE, to: engineRate });
  let bytes = Buffer.alloc(320);
  let samples = new Int16Array(320);
  return {
    decode: (payload) => {
      const capacity = Math.ceil((payload.length * 3) / 4);
      if (bytes.length < capacity) bytes = Buffer.alloc(Math.max(capacity, 2 * bytes.length));
      const length = bytes.write(payload, 0, 'base64');
      if (samples.length < length) samples = new Int16Array(Math.max(length, 2 * samples.length));
      return resampler.process(decodeMulaw(bytes.subarray(0, length), samples));
    },
  };
}

/** Engine PCM16 → Twilio `media` messages; see {@link createTwilioOutboundAudio}. */
export interface TwilioOutboundAudio {
  /** Addresses later messages to this stream. */
  setStreamSid(streamSid: string): void;
  /** Resamples and sends; returns the number of `media` messages sent. */
  push(samples: Int16Array): number;
  /** Sends what the resampler holds back and starts a new stretch; returns messages sent. */
  flush(): number;
  /** Drops what the resampler holds back. */
  reset(): void;
}

/**
 * Creates the outbound audio path from the engine's output rate: resample to
 * 8 kHz, µ-law encode into a reused buffer, and `send` one JSON `media` message
 * per 20 ms (the last of a call may be shorter).
 */
export function createTwilioOutboundAudio(
  engineRate: SampleRate,
  send: (message: string) => void,
): TwilioOutboundAudio {
  const resampler = createResampler({ from: engineRate, to: TWILIO_RATE });
  let encoded = Buffer.alloc(TWILIO_CHUNK_SAMPLES * 4);
  let prefix = '';
  const sendAll = (samples: Int16Array): number => {
    if (samples.length > encoded.length) {
      encoded = Buffer.alloc(Math.max(samples.length, 2 * encoded.length));
    }
    encodeMulaw(samples, encoded);
    let sent = 0;
    for (let at = 0; at < samples.length; at += TWILIO_CHUNK_SAMPLES) {
      const end = Math.min(at + TWILIO_CHUNK_SAMPLES, samples.length);
      send(`${prefix}${encoded.toString('base64', at, end)}"}}`);
      sent++;
    }
    return sent;
  };
  return {
    setStreamSid: (streamSid) => {
      prefix = `{"event":"media","streamSid":${JSON.stringify(streamSid)},"media":{"payload":"`;
    },
    push: (samples) => sendAll(resampler.process(samples)),
    flush: () => sendAll(resampler.flush()),
    reset: () => {
      resampler.reset();
    },
  };
}
