/**
 * The carrier's side of an outbound call in the over-the-wire tests, for the local fake
 * carriers (`startCarrierApiServer`, `startExotelApiServer`): a real server whose carrier
 * REST base URLs point at the fake, `POST /api/v1/calls` and the call it placed, the media
 * WebSocket the fake opens (text and binary frames kept apart, as Vonage's audio is binary),
 * the caller speaking through the call's scripted client, the carrier's playback buffer
 * acknowledging every marker, and the hang-up counter (`prx_voice_carrier_hangups_total`)
 * read from `/metrics`.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { WebSocket } from 'ws';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { generateTone } from '@prx-voice/media';
import type { RunningServer } from '@prx-voice/server';
import { parsePlivoOutbound } from '@prx-voice/transport/testing';
import type {
  CarrierApiRequest,
  ExotelStreamSocket,
  FakeCarrierCall,
} from '@prx-voice/transport/testing';
import { CARRIER_KEY, CARRIER_PUBLIC_URL, startCarrierServer } from './carrier-call.ts';
import { openEventStream } from './event-stream.ts';
import type { EventStream } from './event-stream.ts';

/** What the mock ASR hears on every outbound call. */
export const OUTBOUND_TRANSCRIPT = 'Hello there.';

/** A local fake carrier: where it listens, what it received, the calls it placed. */
export interface OutboundFake<C extends { readonly id: string }> {
  readonly url: string;
  readonly requests: readonly CarrierApiRequest[];
  nextCall(): Promise<C>;
  close(): Promise<void>;
}

/** A call `POST /api/v1/calls` placed: its session, the fake's call, the session's events. */
export interface PlacedCall<C> {
  readonly sessionId: string;
  readonly tenantId: string;
  readonly callId: string;
  readonly call: C;
  readonly events: EventStream;
  /** The request the server placed the call with (the fake's last when the API answered). */
  readonly created: CarrierApiRequest | undefined;
}

/** A real server dialling through a fake carrier; read its fields inside a test. */
export interface OutboundServer<C extends { readonly id: string }, F extends OutboundFake<C>> {
  readonly server: RunningServer;
  readonly carrier: F;
  /** Calls the server's REST API with the bootstrap key. */
  readonly api: (method: string, path: string, body?: unknown) => Promise<Response>;
  /** `POST /api/v1/calls` with `body`: expects a 201 for `body.carrier`, takes the fake's call. */
  readonly place: (body: Record<string, unknown>) => Promise<PlacedCall<C>>;
  /** `prx_voice_carrier_hangups_total{carrier,outcome}` now. */
  readonly hangUps: (carrier: string, outcome: string) => Promise<number>;
  /** The same counter once it has moved past `before`. */
  readonly hangUpsAfter: (carrier: string, outcome: string, before: number) => Promise<number>;
}

/** Options of {@link useOutboundServer}. */
export interface OutboundServerOptions<F> {
  /** Names the server's temporary directory. */
  readonly name: string;
  /** Starts the fake; `rewrite` maps a URL the server hands out to where it listens. */
  readonly carrier: (rewrite: (url: string) => string) => Promise<F>;
  /** The carriers' configuration, their API base URLs pointing at the fake's `url`. */
  readonly env: (url: string) => Record<string, string>;
}

/**
 * Declares the hooks that start the fake carrier and then the server (it needs the fake's
 * URL; the fake reaches the server's public URL on loopback), and stop both after the file.
 */
export function useOutboundServer<C extends { readonly id: string }, F extends OutboundFake<C>>(
  o: OutboundServerOptions<F>,
): OutboundServer<C, F> {
  let started: { server: RunningServer; carrier: F; stop(): Promise<void> } | undefined;
  const ready = (): NonNullable<typeof started> => {
    if (started === undefined) throw new Error('the outbound server has not started');
    return started;
  };
  beforeAll(async () => {
    let serverUrl = '';
    const carrier = await o.carrier((url) =>
      url
        .replace(CARRIER_PUBLIC_URL, serverUrl)
        .replace(CARRIER_PUBLIC_URL.replace('https', 'wss'), serverUrl.replace('http', 'ws')),
    );
    const { server, stop } = await startCarrierServer(
      o.name,
      o.env(carrier.url),
      OUTBOUND_TRANSCRIPT,
    );
    serverUrl = server.url;
    started = { server, carrier, stop };
  }, 120_000);
  afterAll(async () => {
    await started?.stop();
    await started?.carrier.close();
  });

  const out: OutboundServer<C, F> = {
    get server() {
      return ready().server;
    },
    get carrier() {
      return ready().carrier;
    },
    api: (method, path, body) =>
      fetch(`${ready().server.url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${CARRIER_KEY}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    hangUps: (carrier, outcome) =>
      carrierHangUps({ url: ready().server.url, key: CARRIER_KEY, carrier, outcome }),
    hangUpsAfter: (carrier, outcome, before) =>
      carrierHangUpsAfter({ url: ready().server.url, key: CARRIER_KEY, carrier, outcome, before }),
    place: async (body) => {
      const res = await out.api('POST', '/calls', body);
      expect(res.status).toBe(201);
      const created = ready().carrier.requests.at(-1);
      const data = (
        (await res.json()) as {
          data: { session_id: string; tenant_id: string; call_id: string; carrier: string };
        }
      ).data;
      expect(data.carrier).toBe(body['carrier']);
      const events = await openEventStream(
        `${ready().server.url}/api/v1/sessions/${data.session_id}/events`,
        CARRIER_KEY,
      );
      const call = await ready().carrier.nextCall();
      expect(call.id).toBe(data.call_id);
      return {
        sessionId: data.session_id,
        tenantId: data.tenant_id,
        callId: data.call_id,
        call,
        events,
        created,
      };
    },
  };
  return out;
}

/** `session.call_status` events of a status. */
export const callStatus =
  (status: string) =>
  (e: AnyVoiceEvent): boolean =>
    e.type === 'prx.voice.session.call_status' && (e.data as { status: string }).status === status;

/** Opens a WebSocket as the carrier's media side does (text and binary frames apart). */
export async function dialCarrierStream(url: string): Promise<ExotelStreamSocket> {
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
    onClose: (listener) => ws.once('close', listener),
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
