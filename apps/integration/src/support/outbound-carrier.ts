/**
 * The carrier's side of an outbound call in the over-the-wire tests, for the local fake
 * carrier (`startCarrierApiServer`): the media WebSocket it opens (text and binary frames
 * kept apart, as Vonage's audio is binary), the caller speaking through the call's scripted
 * client, the carrier's playback buffer acknowledging every marker, and the hang-up counter
 * (`prx_voice_carrier_hangups_total`) read from `/metrics`.
 */
import { WebSocket } from 'ws';
import { generateTone } from '@prx-voice/media';
import { parsePlivoOutbound } from '@prx-voice/transport/testing';
import type { CarrierStreamSocket, FakeCarrierCall } from '@prx-voice/transport/testing';

/** Opens a WebSocket as the carrier's media side does (text and binary frames apart). */
export async function dialCarrierStream(url: string): Promise<CarrierStreamSocket> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return {
    send: (text) => ws.send(text),
    sendBinary: (data) => ws.send(data),
    close: () => ws.close(),
    onMessage: (listener) =>
      ws.on('message', (data: Buffer, binary: boolean) => {
        if (!binary) listener(data.toString('utf8'));
      }),
    onBinary: (listener) =>
      ws.on('message', (data: Buffer, binary: boolean) => {
        if (binary) listener(new Uint8Array(data));
      }),
  };
}

/** Which counter of `prx_voice_carrier_hangups_total` to read, and from where. */
export interface HangUpCounter {
  /** The server's base URL. */
  readonly url: string;
  /** An API key allowed to read `/metrics`. */
  readonly key: string;
  readonly carrier: string;
  readonly outcome: string;
}

/** `prx_voice_carrier_hangups_total{carrier,outcome}` from /metrics. */
export async function carrierHangUps(o: HangUpCounter): Promise<number> {
  const text = await (
    await fetch(`${o.url}/metrics`, { headers: { authorization: `Bearer ${o.key}` } })
  ).text();
  const m = new RegExp(
    `^prx_voice_carrier_hangups_total\\{[^}]*carrier="${o.carrier}"[^}]*outcome="${o.outcome}"[^}]*\\} (\\d+)`,
    'm',
  ).exec(text);
  return Number(m?.[1] ?? 0);
}

/** Polls the counter until it moves past `before` (it is counted once the hang-up settles). */
export async function carrierHangUpsAfter(
  o: HangUpCounter & { readonly before: number },
): Promise<number> {
  let after = o.before;
  for (let i = 0; i < 100 && after === o.before; i++) {
    after = await carrierHangUps(o);
    if (after === o.before) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return after;
}

/** The caller speaks (600 ms of tone, a second of silence) through the call's script. */
export function speakOnCall(call: FakeCarrierCall): void {
  const rate = call.plivo?.sampleRate ?? call.vonage?.sampleRate ?? 8000;
  const tone = generateTone({
    sampleRate: rate,
    frequencyHz: 300,
    durationMs: 600,
    amplitude: 0.3,
  });
  for (const samples of [tone.samples, new Int16Array(rate)]) {
    if (call.plivo !== undefined) for (const m of call.plivo.audio(samples)) call.socket.send(m);
    for (const frame of call.vonage?.audio(samples) ?? []) call.socket.sendBinary?.(frame);
  }
}

/**
 * Plays what the server sends on a Plivo or Vonage call as the carrier's buffer does,
 * acknowledging every marker, until `done` settles; resolves to what `done` does.
 */
export async function playCallUntil<T>(call: FakeCarrierCall, done: Promise<T>): Promise<T> {
  let seen = 0;
  const state = { settled: false };
  const result = done.finally(() => (state.settled = true));
  while (!state.settled) {
    for (; seen < call.frames.length; seen++) {
      const frame = call.frames[seen] ?? '';
      const acks = call.plivo
        ? call.plivo.outbound(parsePlivoOutbound(frame))
        : (call.vonage?.outbound(call.vonage.read(frame, typeof frame !== 'string')) ?? []);
      for (const ack of acks) call.socket.send(ack);
    }
    const script = call.plivo ?? call.vonage;
    for (let ack = script?.playToMark(); ack !== undefined; ack = script?.playToMark())
      call.socket.send(ack);
    await Promise.race([result, call.until(() => call.frames.length > seen)]);
  }
  return result;
}
