/**
 * The shared steps of the carriers' over-the-wire tests: a server with mock providers and
 * one carrier configured, a call whose media socket is driven by that carrier's scripted
 * client (it plays what the server sends as the carrier's buffer does and answers its
 * playback markers), the caller speaking, and the scenarios every carrier must pass —
 * a turn that completes only as markers come back, a barge-in whose stored turn holds
 * exactly the acknowledged part, and DTMF reaching the agent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { WebSocket } from 'ws';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { generateTone } from '@prx-voice/media';
import { startServer } from '@prx-voice/server';
import type { RunningServer } from '@prx-voice/server';
import { openEventStream } from './event-stream.ts';
import type { EventStream } from './event-stream.ts';

export const CARRIER_KEY = 'pk_integration_carrier_0123456789abcdef';
export const CARRIER_PUBLIC_URL = 'https://voice.example.com';
// What the mock ASR hears; the mock agent answers "You said: …", which the sentence
// chunker cuts into two segments (mock TTS: 50 ms of audio per character).
export const FIRST = 'You said: Good morning to you.';
export const SECOND = 'Extraordinarily wonderful things happen.';
const TRANSCRIPT = FIRST.slice('You said: '.length) + ' ' + SECOND;

/**
 * A server with mock providers and the carrier `env` configures; `stop` shuts it and cleans
 * up. The mock ASR hears `transcript` (default: what makes the two-segment answer above).
 */
export async function startCarrierServer(
  name: string,
  env: Readonly<Record<string, string>>,
  transcript = TRANSCRIPT,
): Promise<{ server: RunningServer; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `prx-${name}-`));
  const server = await startServer({
    load: {
      cwd: dir,
      env: {
        PRX_VOICE_SERVER__PORT: '0',
        // Sessions left live at the end: a short drain, not the default 30 s.
        PRX_VOICE_SERVER__SHUTDOWN_TIMEOUT_MS: '300',
        PRX_VOICE_SERVER__HOST: '127.0.0.1',
        PRX_VOICE_SERVER__PUBLIC_URL: CARRIER_PUBLIC_URL,
        PRX_VOICE_STORAGE__DATA_DIR: 'data',
        PRX_VOICE_ADAPTERS__ASR__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__AGENT__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__TTS__PROVIDER: 'mock',
        // The caller's speech here is a tone: the energy VAD hears it, Silero would not.
        PRX_VOICE_ADAPTERS__VAD__PROVIDER: 'energy',
        PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: CARRIER_KEY,
        PRX_VOICE_ADAPTERS__ASR__OPTIONS: JSON.stringify({ transcript }),
        PRX_VOICE_ADAPTERS__AGENT__OPTIONS: JSON.stringify({ token_delay_ms: 2 }),
        ...env,
      },
    },
    log: (line) => process.stderr.write(`SERVER: ${line}\n`),
  });
  return {
    server,
    stop: async () => {
      await server.shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A frame to send on a carrier socket: text, or binary audio. */
export type CarrierFrame = string | Uint8Array;

/** How a test drives one carrier's scripted client; `O` is what the server sent, read. */
export interface CarrierDriver<O> {
  /** The rate of the caller audio `audio` takes. */
  readonly sampleRate: number;
  /** What the carrier sends once the socket is open (`connected`, `start`). */
  open(): CarrierFrame[];
  /** Caller audio as the carrier's frames. */
  audio(samples: Int16Array): CarrierFrame[];
  dtmf(digit: string): CarrierFrame;
  /** The carrier's end-of-stream message, when it has one (else the socket just closes). */
  stop?(): CarrierFrame;
  /** Reads a frame the server sent (throws for one the carrier would refuse). */
  read(data: Buffer, binary: boolean): O;
  /** Into the carrier's playback buffer; what the carrier answers at once. */
  take(item: O): CarrierFrame[];
  /** Plays up to the next marker; its acknowledgement, or undefined. */
  playToMark(): CarrierFrame | undefined;
  /** Audio buffered, not played, in ms. */
  readonly bufferedMs: number;
  /** The marker's name when `item` is one. */
  markName(item: O): string | undefined;
  isClear(item: O): boolean;
  isAudio(item: O): boolean;
}

/**
 * A scripted client of a Twilio-style stream (Twilio, Telnyx, Exotel): JSON text frames,
 * `connected`/`start`/`stop`, `mark`s acknowledged by echoing them, `clear` and `media`.
 */
export interface MarkStreamScript<O> {
  connected(): string;
  start(): string;
  stop(): string;
  audio(samples: Int16Array): string[];
  dtmf(digit: string): string;
  /** Into the playback buffer; what the carrier answers at once. */
  outbound(message: O): string[];
  playToMark(): string | undefined;
  readonly bufferedMs: number;
}

/** A {@link CarrierDriver} for a Twilio-style stream's script; `parse` reads a server frame. */
export function markStreamDriver<
  O extends { readonly event: string; readonly mark?: { readonly name: string } },
>(script: MarkStreamScript<O>, parse: (text: string) => O): CarrierDriver<O> {
  return {
    sampleRate: 8000,
    open: () => [script.connected(), script.start()],
    audio: (samples) => script.audio(samples),
    dtmf: (digit) => script.dtmf(digit),
    stop: () => script.stop(),
    read: (data) => parse(data.toString('utf8')),
    take: (message) => script.outbound(message),
    playToMark: () => script.playToMark(),
    get bufferedMs() {
      return script.bufferedMs;
    },
    markName: (m) => (m.event === 'mark' ? m.mark?.name : undefined),
    isClear: (m) => m.event === 'clear',
    isAudio: (m) => m.event === 'media',
  };
}

/** A media socket driven by a scripted carrier. */
export interface CarrierStream<O> {
  readonly driver: CarrierDriver<O>;
  readonly ws: WebSocket;
  /** What the server sent, in order. */
  readonly outbound: O[];
  /** Resolves once `pred` holds for what the server sent. */
  until(pred: () => boolean): Promise<void>;
  /** Sends the carrier's acknowledgement of a marker. */
  ack(message: CarrierFrame | undefined): void;
}

/** One call: its session, the media socket with a scripted carrier, the session's events. */
export interface CarrierCall<O> extends CarrierStream<O> {
  readonly id: string;
  readonly events: EventStream;
}

/** Opens a carrier's media socket at `path` (with its query), sending `headers` on the upgrade. */
export async function openCarrierSocket(
  server: RunningServer,
  path: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<WebSocket> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}${path}`, { headers });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

/** Connects the media socket of session `id` at `path` and drives it with `driver`. */
export async function connectCarrierCall<O>(
  server: RunningServer,
  id: string,
  path: string,
  driver: CarrierDriver<O>,
): Promise<CarrierCall<O>> {
  const events = await openEventStream(`${server.url}/api/v1/sessions/${id}/events`, CARRIER_KEY);
  const ws = await openCarrierSocket(server, path);
  return { ...driveCarrierSocket(ws, driver), id, events };
}

/**
 * Drives an open media socket with `driver`: sends what the carrier sends on opening, and
 * reads what the server sends into the carrier's playback buffer.
 */
export function driveCarrierSocket<O>(ws: WebSocket, driver: CarrierDriver<O>): CarrierStream<O> {
  const outbound: O[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data: Buffer, binary: boolean) => {
    const item = driver.read(data, binary);
    outbound.push(item);
    // Into the carrier's playback buffer; a clear has the carrier answer at once.
    for (const reply of driver.take(item)) ws.send(reply);
    for (const w of waiters.splice(0)) w();
  });
  for (const frame of driver.open()) ws.send(frame);
  return {
    driver,
    ws,
    outbound,
    until: async (pred) => {
      while (!pred()) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    ack: (message) => {
      if (message === undefined) throw new Error('no marker to acknowledge');
      ws.send(message);
    },
  };
}

/** The caller says something: 600 ms of tone, then a second of silence ends the utterance. */
export function speak<O>(call: CarrierStream<O>): void {
  const rate = call.driver.sampleRate;
  const speech = generateTone({
    sampleRate: rate,
    frequencyHz: 300,
    durationMs: 600,
    amplitude: 0.3,
  });
  for (const m of call.driver.audio(speech.samples)) call.ws.send(m);
  for (const m of call.driver.audio(new Int16Array(rate))) call.ws.send(m);
}

/** The markers the server sent, in order. */
export const markNames = <O>(call: CarrierStream<O>): string[] =>
  call.outbound.flatMap((o) => {
    const name = call.driver.markName(o);
    return name === undefined ? [] : [name];
  });
/** How many audio messages the server sent. */
export const audioCount = <O>(call: CarrierStream<O>): number =>
  call.outbound.filter((o) => call.driver.isAudio(o)).length;

export const isType =
  (type: string, segmentId?: string) =>
  (e: AnyVoiceEvent): boolean =>
    e.type === type &&
    (segmentId === undefined || (e.data as { segment_id?: string }).segment_id === segmentId);

async function api(server: RunningServer, path: string, method = 'GET'): Promise<Response> {
  return fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${CARRIER_KEY}` },
  });
}

/** The sessions stored so far (the first 100). */
export async function storedSessions(
  server: RunningServer,
): Promise<{ id: string; metadata: Record<string, unknown> }[]> {
  const res = await api(server, '/sessions?limit=100');
  return (
    (await res.json()) as { data: { items: { id: string; metadata: Record<string, unknown> }[] } }
  ).data.items;
}

/** Sessions stored so far. */
export async function sessionCount(server: RunningServer): Promise<number> {
  return (await storedSessions(server)).length;
}

/** A stored turn, the fields the tests read. */
export interface StoredTurn {
  readonly interrupted: boolean;
  readonly assistant_text: string;
  readonly user_text: string;
}

/** The stored turns of a session. */
export async function storedTurns(server: RunningServer, id: string): Promise<StoredTurn[]> {
  const res = await api(server, `/sessions/${id}/turns`);
  return ((await res.json()) as { data: { items: StoredTurn[] } }).data.items;
}

/** The carrier ends the call; resolves once the session has closed. */
export async function hangUp<O>(call: CarrierCall<O>): Promise<void> {
  if (call.driver.stop !== undefined) call.ws.send(call.driver.stop());
  call.ws.close();
  await call.events.waitFor(isType('prx.voice.session.closed'));
  call.events.close();
}

/** The close code the server ends `ws` with. */
export async function closeCode(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

/**
 * The caller speaks; the answer's two segments go out one marker at a time (the server
 * holds the second until the first's marker is acknowledged), and the turn completes only
 * once the last marker is. Returns the segment ids.
 */
export async function expectTurnOnAcks<O>(call: CarrierCall<O>): Promise<[string, string]> {
  speak(call);
  await call.until(() => markNames(call).length === 1);
  const segments = call.events.events
    .filter(isType('prx.voice.tts.segment_queued'))
    .map((e) => e.data as { segment_id: string; text: string });
  expect(segments.map((s) => s.text)).toEqual([FIRST, SECOND]);
  const [first = '', second = ''] = segments.map((s) => s.segment_id);
  expect(markNames(call)).toEqual([first]);
  call.ack(call.driver.playToMark());
  await call.events.waitFor(isType('prx.voice.playback.completed', first));
  await call.until(() => markNames(call).length === 2);
  expect(markNames(call)).toEqual([first, second]);
  // The whole second segment is buffered at the carrier (a 20 ms frame of padding at most).
  expect(call.driver.bufferedMs).toBeGreaterThanOrEqual(SECOND.length * 50);
  expect(call.driver.bufferedMs).toBeLessThan(SECOND.length * 50 + 20);
  expect(call.events.events.filter(isType('prx.voice.turn.completed'))).toEqual([]);
  call.ack(call.driver.playToMark());
  const completed = await call.events.waitFor(isType('prx.voice.turn.completed'));
  expect(completed.data).toMatchObject({
    assistant_text: `${FIRST} ${SECOND}`,
    interrupted: false,
  });
  return [first, second];
}

/**
 * The caller speaks, the first segment's marker comes back, and an interrupt lands during
 * the second: the carrier is sent a clear (nothing after it), and the stored turn holds
 * exactly the first segment — the part whose marker came back.
 */
export async function expectBargeIn<O>(server: RunningServer, call: CarrierCall<O>): Promise<void> {
  speak(call);
  await call.until(() => markNames(call).length === 1);
  call.ack(call.driver.playToMark());
  // The acknowledgement moved the position: the server sends more of the second segment.
  const before = audioCount(call);
  await call.until(() => audioCount(call) > before + 1);
  expect((await api(server, `/sessions/${call.id}/interrupt`, 'POST')).status).toBe(200);
  await call.until(() => call.outbound.some((o) => call.driver.isClear(o)));
  const resolved = await call.events.waitFor(isType('prx.voice.interrupt.resolved'));
  expect(resolved.data).toMatchObject({ heard_text: FIRST });
  const cleared = call.outbound.findIndex((o) => call.driver.isClear(o));
  expect(call.outbound.slice(cleared + 1)).toEqual([]);
  expect((await storedTurns(server, call.id))[0]).toMatchObject({
    interrupted: true,
    assistant_text: FIRST,
  });
}

/** Keys pressed reach the session as `media.dtmf` events and a turn of their own. */
export async function expectDtmf<O>(call: CarrierCall<O>): Promise<void> {
  for (const digit of ['4', '2', '#']) call.ws.send(call.driver.dtmf(digit));
  const complete = await call.events.waitFor(
    (e) => e.type === 'prx.voice.media.dtmf' && (e.data as { complete: boolean }).complete,
  );
  expect(complete.data).toEqual({
    digits: '42',
    source: 'carrier',
    complete: true,
    reason: 'terminator',
  });
  expect(
    call.events.events
      .filter(isType('prx.voice.media.dtmf'))
      .map((e) => (e.data as { digits: string }).digits),
  ).toEqual(['4', '2', '#', '42']);
  const turn = await call.events.waitFor(isType('prx.voice.turn.completed'));
  expect(turn.data).toMatchObject({ user_text: 'DTMF: 42', assistant_text: 'You said: DTMF: 42' });
}

/**
 * A malformed caller-audio message is dropped, reported as dropped inbound audio
 * (`invalid_audio`), and the connection stays (the call goes on).
 */
export async function expectMalformedAudioDropped<O>(
  call: CarrierCall<O>,
  malformed: CarrierFrame,
): Promise<void> {
  call.ws.send(malformed);
  const dropped = await call.events.waitFor(isType('prx.voice.media.audio_dropped'));
  expect(dropped.data).toMatchObject({ direction: 'inbound', reason: 'invalid_audio', frames: 1 });
  expect(call.ws.readyState).toBe(WebSocket.OPEN);
}
