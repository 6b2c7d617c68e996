/**
 * Pipecat RTVI over WebSocket, with Pipecat's own published client: `@pipecat-ai/client-js`
 * 1.13 and `@pipecat-ai/websocket-transport` 1.7, unmodified, in Node (window and
 * WebSocket shims, a media manager without devices: `support/pipecat-node.ts`), against a
 * `prx-voice serve` process (mock ASR, agent and TTS; energy VAD). `startBotAndConnect`
 * posts to `POST /api/v1/rtvi/start` with an API key (a stored assistant with an HTTP
 * tool, the mock ASR's transcripts) and connects to the WebSocket it answers. The caller
 * speaks (PCM through the transport's microphone callback) and hears the answer (bot
 * audio, transcripts, LLM and TTS text); a spoken `call <tool> <JSON>` runs the tool
 * with the function-call messages; speech over a long answer stops the bot, and the
 * stored turn keeps only what was heard. Bad input on a raw socket gets RTVI errors and
 * the connection stays usable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { LogLevel, PipecatClient, logger } from '@pipecat-ai/client-js';
import { decodePipecatFrame, encodeMessageFrame } from '@prx-voice/transport';
import type { ServerProcess } from './support/server-process.ts';
import { expectOrderLookup, startOrderAssistantServer } from './support/order-assistant.ts';
import type { OrderAssistantServer } from './support/order-assistant.ts';
import {
  NodeMediaManager,
  RtviLog,
  installBrowserShims,
  loadWebSocketTransport,
} from './support/pipecat-node.ts';
import type { WebSocketTransportModule } from './support/pipecat-node.ts';

const KEY = 'pk_integration_rtvi_key_0123456789abcdef';
let server: ServerProcess;
let orders: OrderAssistantServer;
let assistantId: string;
let pipecat: WebSocketTransportModule;

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  installBrowserShims();
  logger.setLevel(LogLevel.WARN);
  pipecat = await loadWebSocketTransport();
  orders = await startOrderAssistantServer(KEY, 'Orders over RTVI');
  server = orders.server;
  assistantId = orders.assistantId;
}, 120_000);

afterAll(async () => {
  await orders.stop();
});

/** A Pipecat client whose every RTVI callback is logged. */
function pipecatClient() {
  const media = new NodeMediaManager();
  const log = new RtviLog();
  const transport = new pipecat.WebSocketTransport({
    mediaManager: media,
    playerSampleRate: 24000,
  });
  const on =
    (type: string) =>
    (data?: unknown): void =>
      log.push(type, data ?? {});
  const client = new PipecatClient({
    transport,
    enableMic: true,
    enableCam: false,
    callbacks: {
      onBotReady: on('bot-ready'),
      onUserStartedSpeaking: on('user-started-speaking'),
      onUserStoppedSpeaking: on('user-stopped-speaking'),
      onBotStartedSpeaking: on('bot-started-speaking'),
      onBotStoppedSpeaking: on('bot-stopped-speaking'),
      onUserTranscript: on('user-transcription'),
      onBotLlmStarted: on('bot-llm-started'),
      onBotLlmText: on('bot-llm-text'),
      onBotLlmStopped: on('bot-llm-stopped'),
      onBotTtsStarted: on('bot-tts-started'),
      onBotTtsText: on('bot-tts-text'),
      onBotTtsStopped: on('bot-tts-stopped'),
      onBotOutput: on('bot-output'),
      onLLMFunctionCallStarted: on('llm-function-call-started'),
      onLLMFunctionCallInProgress: on('llm-function-call-in-progress'),
      onLLMFunctionCallStopped: on('llm-function-call-stopped'),
      onError: (m) => log.push('error', m.data),
      onMessageError: (m) => log.push('error-response', m.data),
      onDisconnected: on('disconnected'),
    },
  });
  return { client, media, log };
}

/** Silence into the microphone until `done` settles (the VAD needs audio to hear silence). */
async function silenceUntil<T>(media: NodeMediaManager, done: Promise<T>): Promise<T> {
  const state = { settled: false };
  const result = done.finally(() => {
    state.settled = true;
  });
  while (!state.settled) await media.speak('silence', 96);
  return result;
}

const textOf = (d: unknown): string => String((d as { text?: unknown }).text);
const isFinal = (text: string) => (d: unknown) =>
  (d as { final?: boolean }).final === true && textOf(d) === text;

describe('Pipecat client-js + websocket-transport against /api/v1/rtvi', () => {
  it('connects, hears a spoken turn answered, runs a tool, and is stopped by barge-in', async () => {
    const { client, media, log } = pipecatClient();
    const ready = await client.startBotAndConnect({
      endpoint: `${server.url}/api/v1/rtvi/start`,
      headers: new Headers({ Authorization: `Bearer ${KEY}` }),
      requestData: {
        assistant_id: assistantId,
        provider_options: {
          asr: { transcript: ['hello there', 'call lookup_order {"order_id": "A1"}', 'wait'] },
        },
      },
    });
    expect(ready.version).toBe('2.1.0');
    const sessionId = String((ready.about as { session_id?: unknown }).session_id);
    expect(sessionId).toMatch(/^sess_/);

    // A spoken turn: speech, then silence until the bot has answered and stopped.
    await media.speak('speech', 640);
    await silenceUntil(media, log.waitFor('bot-stopped-speaking'));
    expect(await log.waitFor('user-transcription', isFinal('hello there'))).toBeDefined();
    expect(log.of('user-transcription').some((d) => !(d as { final: boolean }).final)).toBe(true);
    expect(log.of('bot-llm-text').map(textOf).join('')).toContain('You said: hello there');
    expect(log.of('bot-tts-text').map(textOf).join(' ')).toContain('You said: hello there');
    const order = log.types();
    for (const [a, b] of [
      ['user-started-speaking', 'user-stopped-speaking'],
      ['user-stopped-speaking', 'bot-llm-started'],
      ['bot-llm-started', 'bot-tts-started'],
      ['bot-tts-started', 'bot-started-speaking'],
      ['bot-started-speaking', 'bot-stopped-speaking'],
    ] as const)
      expect(order.indexOf(a), `${a} before ${b}`).toBeLessThan(order.indexOf(b));
    expect(log.of('bot-output')).toContainEqual(
      expect.objectContaining({
        spoken_status: 'completed',
        text: expect.stringContaining('hello there'),
      }),
    );
    // The mock TTS speaks 50 ms per character, at the client's player rate (24 kHz).
    const chars = 'You said: hello there'.length;
    expect(media.botSamples).toBeGreaterThanOrEqual(24 * 50 * chars * 0.9);

    // A tool, asked for by voice: the function-call messages, the result said.
    const mark = log.seen.length;
    await media.speak('speech', 640);
    await silenceUntil(
      media,
      log.waitFor('bot-stopped-speaking', () => true, mark),
    );
    expectOrderLookup(log, mark);

    // Barge-in: a long typed turn; speech over its answer stops the bot at once.
    const long = `tell me ${'about the order and its parcel '.repeat(6)}`.trim();
    const third = log.seen.length;
    await client.sendText(long);
    await silenceUntil(
      media,
      log.waitFor('bot-started-speaking', () => true, third),
    );
    await silenceUntil(
      media,
      log.waitFor('bot-tts-text', () => true, third),
    );
    const talkAt = Date.now();
    const stopped = log.waitFor('bot-stopped-speaking', () => true, third);
    await Promise.race([media.speak('speech', 800), stopped]);
    await stopped;
    const stoppedAt = Date.now();
    // The full answer is over 10 s of audio: the bot stopped within the speech.
    expect(stoppedAt - talkAt).toBeLessThan(2_000);
    const heardAtStop = media.botSamples;
    await silenceUntil(media, log.waitFor('user-transcription', isFinal('wait'), third));
    // Nothing of the interrupted answer arrives after the stop beyond what was in flight.
    const lateChunks = media.botChunks.filter(
      (c) => c.at > stoppedAt + 250 && c.at < stoppedAt + 600,
    );
    expect(lateChunks.length).toBeLessThanOrEqual(2);
    expect(heardAtStop).toBeGreaterThan(0);

    await client.disconnect();
    // The stored turn keeps what was heard: a prefix of the answer, marked interrupted.
    let turns: Record<string, unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      const res = await api('GET', `/sessions/${sessionId}/turns`);
      turns = (res.json['data'] as { items?: Record<string, unknown>[] }).items ?? [];
      if (turns.some((t) => t['interrupted'] === true)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const cut = turns.find((t) => t['user_text'] === long);
    expect(cut).toMatchObject({ interrupted: true });
    const heard = typeof cut?.['assistant_text'] === 'string' ? cut['assistant_text'] : '';
    expect(`You said: ${long}`.startsWith(heard)).toBe(true);
    expect(heard.length).toBeLessThan(`You said: ${long}`.length);
    expect(turns.slice(0, 2)).toMatchObject([
      { user_text: 'hello there', interrupted: false },
      { user_text: 'call lookup_order {"order_id": "A1"}', interrupted: false },
    ]);
    expect(log.of('error')).toEqual([]);
  }, 90_000);
});

describe('the RTVI endpoints refuse and report bad input', () => {
  const start = async (headers: Record<string, string>, body: unknown = {}) =>
    fetch(`${server.url}/api/v1/rtvi/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('needs a credential, and answers only the connection parameters', async () => {
    expect((await start({})).status).toBe(401);
    const bad = await start({ authorization: `Bearer ${KEY}` }, { audio_out_sample_rate: 12345 });
    expect(bad.status).toBe(400);
    const ok = await start({ authorization: `Bearer ${KEY}` });
    expect(ok.status).toBe(200);
    const params = (await ok.json()) as Record<string, unknown>;
    expect(Object.keys(params).sort()).toEqual(['token', 'wsUrl']);
    expect(String(params['wsUrl'])).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/api\/v1\/rtvi\/ws$/);
  });

  it('answers malformed frames and unknown messages with RTVI errors, the connection kept', async () => {
    const res = await start({ authorization: `Bearer ${KEY}` });
    const { wsUrl, token } = (await res.json()) as { wsUrl: string; token: string };
    const ws = new WebSocket(`${wsUrl}?token=${token}`);
    const messages: { type: string; id?: string; data: Record<string, unknown> }[] = [];
    const waiters: (() => void)[] = [];
    ws.on('message', (data: Buffer) => {
      const frame = decodePipecatFrame(new Uint8Array(data));
      if (frame.kind === 'message') messages.push(JSON.parse(frame.data) as (typeof messages)[0]);
      for (const w of waiters.splice(0)) w();
    });
    const until = async (n: number) => {
      while (messages.length < n) await new Promise<void>((r) => waiters.push(r));
    };
    await new Promise((r) => ws.once('open', r));
    ws.send(Buffer.from([0x12, 0xff, 0x01])); // a truncated protobuf frame
    ws.send('{"label":"rtvi-ai","type":"client-ready"}'); // a text frame
    const rtvi = (m: unknown) => Buffer.from(encodeMessageFrame(JSON.stringify(m)));
    ws.send(rtvi({ label: 'rtvi-ai', type: 'no-such-type', id: 'u1', data: {} }));
    ws.send(rtvi({ label: 'rtvi-ai', type: 'client-message', id: 'u2', data: { t: 'nope' } }));
    ws.send(rtvi({ label: 'rtvi-ai', type: 'client-ready', id: 'r1', data: { version: '2.1.0' } }));
    ws.send(rtvi({ label: 'rtvi-ai', type: 'client-message', id: 'u3', data: { t: 'session' } }));
    await until(6);
    expect(messages.slice(0, 2).map((m) => [m.type, m.data['fatal']])).toEqual([
      ['error', false],
      ['error', false],
    ]);
    const byId = (id: string) => messages.find((m) => m.id === id);
    expect(byId('u1')).toMatchObject({
      type: 'error-response',
      data: { error: 'Unknown RTVI message type "no-such-type".' },
    });
    expect(byId('u2')).toMatchObject({ type: 'error-response' });
    expect(byId('r1')).toMatchObject({ type: 'bot-ready', data: { version: '2.1.0' } });
    expect(byId('u3')).toMatchObject({
      type: 'server-response',
      data: { t: 'session', d: { session_id: expect.stringMatching(/^sess_/) } },
    });
    expect(ws.readyState).toBe(WebSocket.OPEN);
    // The token opened this connection; it cannot open another.
    const again = new WebSocket(`${wsUrl}?token=${token}`);
    const code = await new Promise<number>((r) => again.once('close', (c: number) => r(c)));
    expect(code).toBe(4401);
    ws.close();
  });
});
