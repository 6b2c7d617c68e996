/**
 * Transport benchmarks: the per-20-ms-frame cost of each audio path (median of
 * timed batches after a warm-up) and of parsing control frames.
 * Run with `pnpm --filter @prx-voice/transport bench`; finishes in seconds.
 */
import { systemClock } from '@prx-voice/core';
import { encodeMulaw } from '@prx-voice/media';
import type { SampleRate } from '@prx-voice/media';
import {
  PLIVO_CONTENT_TYPES,
  TELNYX_CODECS,
  VONAGE_CONTENT_TYPES,
  createPlivoMediaStream,
  createSessionSocket,
  createExotelMediaStream,
  createTelnyxMediaStream,
  createTwilioMediaStream,
  createVonageMediaStream,
  parseClientFrame,
} from '@prx-voice/transport';
import type { CarrierMediaStream, SessionSocketHandlers, WireSocket } from '@prx-voice/transport';
import {
  createExotelClientScript,
  createPlivoClientScript,
  createTelnyxClientScript,
  createTwilioClientScript,
  createVonageClientScript,
} from '@prx-voice/transport/testing';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median µs of one call of `fn` over 30 batches of 2,000 calls, after 2,000 warm-up calls. */
function timeUs(fn: () => void): number {
  for (let i = 0; i < 2000; i++) fn();
  const batches: number[] = [];
  for (let b = 0; b < 30; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < 2000; i++) fn();
    batches.push(Number(process.hrtime.bigint() - start) / 1000 / 2000);
  }
  return median(batches);
}

function tone(rate: number, samples: number): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) =>
    Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)),
  );
}

const nullSocket: WireSocket = { send: () => undefined, close: () => undefined };
const ignore = (): void => undefined;
const handlers: SessionSocketHandlers = {
  onAudio: ignore,
  onText: ignore,
  onInterrupt: ignore,
  onDtmf: ignore,
  onPlaybackPosition: ignore,
  onEnd: ignore,
  onPing: ignore,
  onUpdate: ignore,
  onProtocolError: (err) => {
    throw err;
  },
};
const engine = { inputRate: 16000 as SampleRate, outputRate: 24000 as SampleRate };
const rows: [string, number][] = [];

for (const [label, update, frame] of [
  ['ws in  pcm16 16 kHz → 16 kHz', undefined, new Uint8Array(tone(16000, 320).buffer)],
  [
    'ws in  µ-law 8 kHz → 16 kHz',
    '{"type":"session.update","input":{"encoding":"mulaw","sample_rate":8000}}',
    encodeMulaw(tone(8000, 160)),
  ],
  [
    'ws in  pcm16 48 kHz → 16 kHz',
    '{"type":"session.update","input":{"encoding":"pcm16","sample_rate":48000}}',
    new Uint8Array(tone(48000, 960).buffer),
  ],
] as const) {
  const conn = createSessionSocket({ socket: nullSocket, clock: systemClock, engine, handlers });
  if (update !== undefined) conn.receive(update, false);
  rows.push([label, timeUs(() => conn.receive(frame, true))]);
}

for (const [label, update] of [
  ['ws out 24 kHz → pcm16 24 kHz', undefined],
  [
    'ws out 24 kHz → µ-law 8 kHz',
    '{"type":"session.update","output":{"encoding":"mulaw","sample_rate":8000}}',
  ],
] as const) {
  const conn = createSessionSocket({ socket: nullSocket, clock: systemClock, engine, handlers });
  if (update !== undefined) conn.receive(update, false);
  const frame = tone(24000, 480);
  rows.push([label, timeUs(() => conn.sendAudio(frame))]);
}

const streamHandlers = {
  onStart: ignore,
  onAudio: ignore,
  onDtmf: ignore,
  onMarkPlayed: ignore,
  onStop: ignore,
  onProtocolError: (err: Error) => {
    throw err;
  },
};

/** Each carrier's media in and out through its stream, one 20 ms frame. */
const carriers: {
  readonly name: string;
  readonly stream: CarrierMediaStream<unknown>;
  readonly start: string;
  /** One 20 ms frame as the carrier sends it: a JSON message, or binary audio (Vonage). */
  readonly media: string | Uint8Array;
}[] = [];
{
  const script = createTwilioClientScript();
  carriers.push({
    name: 'twilio µ-law',
    stream: createTwilioMediaStream({
      socket: nullSocket,
      clock: systemClock,
      engine,
      handlers: streamHandlers,
      limits: { maxErrors: 1_000_000 },
    }),
    start: script.start(),
    media: script.audio(tone(8000, 160))[0]!,
  });
}
for (const codec of TELNYX_CODECS) {
  const script = createTelnyxClientScript({ codec });
  carriers.push({
    name: `telnyx ${codec}`,
    stream: createTelnyxMediaStream({
      socket: nullSocket,
      clock: systemClock,
      engine,
      handlers: streamHandlers,
      limits: { maxErrors: 1_000_000 },
    }),
    start: script.start(),
    media: script.audio(tone(8000, 160))[0]!,
  });
}
for (const contentType of PLIVO_CONTENT_TYPES) {
  const script = createPlivoClientScript({ contentType });
  carriers.push({
    name: `plivo ${contentType.replace('audio/x-', '').replace(';rate=', ' ')}`,
    stream: createPlivoMediaStream({
      socket: nullSocket,
      clock: systemClock,
      engine,
      handlers: streamHandlers,
      limits: { maxErrors: 1_000_000 },
    }),
    start: script.start(),
    media: script.audio(tone(script.sampleRate, script.sampleRate / 50))[0]!,
  });
}
for (const contentType of VONAGE_CONTENT_TYPES) {
  const script = createVonageClientScript({ contentType });
  carriers.push({
    name: `vonage ${contentType.replace('audio/', '').replace(';rate=', ' ')}`,
    stream: createVonageMediaStream({
      socket: nullSocket,
      clock: systemClock,
      engine,
      handlers: streamHandlers,
      limits: { maxErrors: 1_000_000 },
    }),
    start: script.connected(),
    media: script.audio(tone(script.sampleRate, script.sampleRate / 50))[0]!,
  });
}
{
  // Exotel: PCM16 8 kHz; a 20 ms message in (Exotel sends 100 ms), 20 ms frames out held
  // into Exotel's 3200-byte payloads (the cost is per frame, amortised).
  const script = createExotelClientScript();
  const pcm = tone(8000, 160);
  carriers.push({
    name: 'exotel PCM16 8k',
    stream: createExotelMediaStream({
      socket: nullSocket,
      clock: systemClock,
      engine,
      handlers: streamHandlers,
      limits: { maxErrors: 1_000_000 },
    }),
    start: script.start(),
    media: script.media(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength)),
  });
}
for (const { name, stream, start, media } of carriers) {
  stream.receive(start);
  const binary = typeof media !== 'string';
  rows.push([`${name} in  → 16 kHz`, timeUs(() => stream.receive(media, binary))]);
  const frame = tone(24000, 480);
  rows.push([`${name} out 24 kHz →`, timeUs(() => stream.sendAudio(frame))]);
}

rows.push([
  'parse playback.position',
  timeUs(() =>
    parseClientFrame('{"type":"playback.position","segment_id":"seg_1","played_ms":420}'),
  ),
]);

console.log('\nper-call cost, median µs (a 20 ms frame unless noted)');
for (const [label, us] of rows) console.log(`${label.padEnd(32)} ${us.toFixed(2).padStart(8)}`);
