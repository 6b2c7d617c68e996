/**
 * The OpenAI-Realtime-compatible endpoint over the wire, driven by the published clients,
 * unmodified: the `openai` SDK's `OpenAIRealtimeWS` (it insists on wss://, so the server
 * runs its TLS listener with a self-signed certificate the client trusts through its own
 * `ca` option) and `@openai/agents-realtime`'s `RealtimeSession` with its WebSocket
 * transport. Mock providers: the n-th utterance the VAD hears is transcribed as the n-th
 * text of `asr.options.transcript`, the agent answers `You said: …` and calls a tool for
 * `call <name> <JSON>`, the TTS is a tone. Each client completes a spoken turn, a function
 * call executed by the client, and an interruption (speech over the answer).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { z } from 'zod';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import {
  OpenAIRealtimeWebSocket,
  RealtimeAgent,
  RealtimeSession,
  tool,
} from '@openai/agents-realtime';
import { startServer } from '@prx-voice/server';
import type { RunningServer } from '@prx-voice/server';
import { eventRecorder, selfSignedCert, startCaller } from './support/realtime-caller.ts';
import type { ServerEvent } from './support/realtime-caller.ts';

const KEY = 'pk_integration_realtime_key_0123456789abcdef';
const LONG = 'please tell me a very long story about the sea and the ships and the sailors';
const dir = mkdtempSync(join(tmpdir(), 'prx-realtime-'));
const tls = selfSignedCert(dir);
let server: RunningServer;

beforeAll(async () => {
  server = await startServer({
    load: {
      cwd: dir,
      env: {
        PRX_VOICE_SERVER__PORT: '0',
        PRX_VOICE_SERVER__HOST: '127.0.0.1',
        PRX_VOICE_SERVER__SHUTDOWN_TIMEOUT_MS: '300',
        PRX_VOICE_SERVER__TLS__CERT_FILE: tls.certFile,
        PRX_VOICE_SERVER__TLS__KEY_FILE: tls.keyFile,
        PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: KEY,
        PRX_VOICE_STORAGE__DATA_DIR: 'data',
        PRX_VOICE_ADAPTERS__ASR__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__ASR__OPTIONS: JSON.stringify({
          transcript: ['hello there', 'call get_weather {"city":"Paris"}', LONG, 'stop'],
        }),
        PRX_VOICE_ADAPTERS__AGENT__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__AGENT__OPTIONS: JSON.stringify({ token_delay_ms: 2 }),
        PRX_VOICE_ADAPTERS__TTS__PROVIDER: 'mock',
        // The caller's speech is a tone: the energy VAD hears it.
        PRX_VOICE_ADAPTERS__VAD__PROVIDER: 'energy',
      },
    },
    log: (line) => process.stderr.write(`SERVER: ${line}\n`),
  });
}, 120_000);
afterAll(async () => {
  await server.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

const isType =
  (type: string, extra: (e: ServerEvent) => boolean = () => true) =>
  (e: ServerEvent): boolean =>
    e.type === type && extra(e);
/** The fields of a `response.done`'s response the tests read. */
interface ResponseShape {
  status: string;
  output: { type: string; status: string; content: { transcript: string }[] }[];
}
const responseOf = (e: ServerEvent) => e['response'] as ResponseShape;

describe('openai SDK OpenAIRealtimeWS', () => {
  it('completes a spoken turn, a client function call and an interruption over wss', async () => {
    expect(server.url.startsWith('https://')).toBe(true);
    const client = new OpenAI({ apiKey: KEY, baseURL: `${server.url}/v1` });
    const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: { ca: tls.cert } }, client);
    const rec = eventRecorder();
    const errors: unknown[] = [];
    rt.on('event', (e) => rec.push(e as unknown as ServerEvent));
    rt.on('error', (err) => errors.push(err));
    await rec.next(isType('session.created'));
    rt.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        instructions: 'Answer briefly.',
        audio: {
          input: {
            format: { type: 'audio/pcm', rate: 24000 },
            turn_detection: { type: 'server_vad', threshold: 0.5, silence_duration_ms: 400 },
          },
          output: { format: { type: 'audio/pcm', rate: 24000 } },
        },
        tools: [
          {
            type: 'function',
            name: 'get_weather',
            description: 'Weather in a city.',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
        ],
      },
    });
    const updated = await rec.next(isType('session.updated'));
    expect((updated['session'] as { tools: unknown[] }).tools).toHaveLength(1);
    const caller = startCaller((pcm) =>
      rt.send({ type: 'input_audio_buffer.append', audio: pcm.toString('base64') }),
    );
    try {
      // 1. A spoken turn.
      caller.say(500);
      const started = await rec.next(isType('input_audio_buffer.speech_started'));
      const transcribed = await rec.next(
        isType('conversation.item.input_audio_transcription.completed'),
      );
      expect(transcribed).toMatchObject({ item_id: started['item_id'], transcript: 'hello there' });
      const first = await rec.next(isType('response.done'));
      expect(responseOf(first).status).toBe('completed');
      expect(responseOf(first).output[0]).toMatchObject({
        type: 'message',
        role: 'assistant',
        content: [{ type: 'output_audio', transcript: 'You said: hello there' }],
      });
      const audio = rec.events.filter(isType('response.output_audio.delta'));
      expect(audio.length).toBeGreaterThan(5);
      expect(rec.events.some(isType('rate_limits.updated'))).toBe(true);

      // 2. A function call the client executes.
      let from = rec.events.length;
      caller.say(500);
      const call = await rec.next(
        isType(
          'response.output_item.done',
          (e) => (e['item'] as { type: string }).type === 'function_call',
        ),
        from,
      );
      const item = call['item'] as { call_id: string; name: string; arguments: string };
      expect(item.name).toBe('get_weather');
      expect(JSON.parse(item.arguments)).toEqual({ city: 'Paris' });
      await rec.next(isType('response.done'), from);
      from = rec.events.length;
      rt.send({
        type: 'conversation.item.create',
        item: { type: 'function_call_output', call_id: item.call_id, output: '{"sky":"sunny"}' },
      });
      rt.send({ type: 'response.create' });
      const answered = await rec.next(isType('response.done'), from);
      expect(responseOf(answered).status).toBe('completed');
      expect(responseOf(answered).output[0]?.content[0]?.transcript).toBe(
        'The get_weather tool returned: {"sky":"sunny"}',
      );

      // 3. An interruption: the caller speaks over a long answer.
      from = rec.events.length;
      caller.say(500);
      let speaking = await rec.next(isType('response.output_audio.delta'), from);
      // Well into the answer (≈ half a second of it), so that this is speaking over the bot and not
      // the caller going on before hearing anything (the engine reopens the turn then).
      for (let i = 0; i < 25; i++)
        speaking = await rec.next(
          isType('response.output_audio.delta'),
          rec.events.indexOf(speaking) + 1,
        );
      caller.say(700);
      const bargeIn = await rec.next(
        isType('input_audio_buffer.speech_started'),
        rec.events.indexOf(speaking),
      );
      const cut = await rec.next(isType('response.done'), rec.events.indexOf(bargeIn));
      expect(responseOf(cut).status).toBe('cancelled');
      const heard = responseOf(cut).output[0]?.content[0]?.transcript ?? '';
      expect(`You said: ${LONG}`.startsWith(heard)).toBe(true);
      expect(heard.length).toBeLessThan(`You said: ${LONG}`.length);
      rt.send({
        type: 'conversation.item.truncate',
        item_id: speaking['item_id'] as string,
        content_index: 0,
        audio_end_ms: 100,
      });
      await rec.next(isType('conversation.item.truncated'), from);
      // The barge-in's own words are the next turn.
      await rec.next(
        isType(
          'conversation.item.input_audio_transcription.completed',
          (e) => e['transcript'] === 'stop',
        ),
        from,
      );

      // Bad input: the protocol's error event, and the connection goes on.
      from = rec.events.length;
      rt.socket.send('{"type":"input_audio_buffer.append","audio":42}');
      rt.socket.send('{"type":"no.such.event"}');
      rt.send({
        type: 'input_audio_buffer.append',
        audio: Buffer.alloc(300_000).toString('base64'),
      });
      rt.send({ type: 'input_audio_buffer.clear' });
      await rec.next(isType('input_audio_buffer.cleared'), from);
      const codes = rec.events
        .slice(from)
        .filter(isType('error'))
        .map((e) => (e['error'] as { code: string }).code);
      // The only errors the client saw are these three.
      expect(errors).toHaveLength(3);
      expect(codes).toEqual([
        'invalid_value',
        'unknown_event_type',
        'input_audio_buffer_append_too_large',
      ]);
      expect(rt.socket.readyState).toBe(WebSocket.OPEN);
    } finally {
      caller.stop();
      rt.close();
    }
  }, 60_000);

  it('refuses a wrong key with an error event and 4401', async () => {
    const ws = new WebSocket(
      `${server.url.replace('https', 'wss')}/api/v1/realtime?model=m`,
      ['realtime', 'openai-insecure-api-key.pk_wrong'],
      { ca: tls.cert },
    );
    const messages: string[] = [];
    ws.on('message', (d: Buffer) => messages.push(d.toString('utf8')));
    const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
    expect(code).toBe(4401);
    expect(JSON.parse(messages[0] ?? '{}')).toMatchObject({
      type: 'error',
      error: { code: 'unauthenticated' },
    });
  });
});

describe('@openai/agents-realtime RealtimeSession', () => {
  it('completes a spoken turn, a tool call and an interruption', async () => {
    const executed: unknown[] = [];
    const agent = new RealtimeAgent({
      name: 'Weather',
      instructions: 'You tell the weather.',
      tools: [
        tool({
          name: 'get_weather',
          description: 'Weather in a city.',
          parameters: z.object({ city: z.string() }),
          execute: (args) => {
            executed.push(args);
            return 'rainy';
          },
        }),
      ],
    });
    const url = `${server.url.replace('https', 'wss')}/v1/realtime?model=gpt-realtime`;
    const transport = new OpenAIRealtimeWebSocket({
      url,
      // The transport's own hook: the same `ws` socket it would make, trusting the test's CA.
      createWebSocket: ({ url: u, apiKey }) =>
        Promise.resolve(
          new WebSocket(u, {
            headers: { Authorization: `Bearer ${apiKey}` },
            ca: tls.cert,
          }) as never,
        ),
    });
    const session = new RealtimeSession(agent, { transport, model: 'gpt-realtime' });
    const rec = eventRecorder();
    session.on('transport_event', (e) => rec.push(e as unknown as ServerEvent));
    let interrupted = 0;
    session.on('audio_interrupted', () => interrupted++);
    const errors: unknown[] = [];
    session.on('error', (e) => errors.push(e));
    await session.connect({ apiKey: KEY });
    await rec.next(
      isType('session.updated', (e) => (e['session'] as { tools: unknown[] }).tools.length === 1),
    );
    const caller = startCaller((pcm) =>
      session.sendAudio(
        pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength) as ArrayBuffer,
      ),
    );
    const assistantSaid = (text: string) => () =>
      session.history.some(
        (h) =>
          h.type === 'message' &&
          h.role === 'assistant' &&
          h.content.some((c) => 'transcript' in c && c.transcript === text),
      );
    const until = async (cond: () => boolean, what: string): Promise<void> => {
      const from = rec.events.length;
      while (!cond())
        await rec
          .next(() => true, rec.events.length, 20_000)
          .catch(() => {
            throw new Error(
              `${what}: not seen after ${String(rec.events.length - from)} events: ${rec.events.map((e) => e.type).join(', ')}; history ${JSON.stringify(session.history)}`,
            );
          });
    };
    try {
      caller.say(500);
      await until(assistantSaid('You said: hello there'), 'the spoken turn');
      expect(
        session.history.some(
          (h) =>
            h.type === 'message' &&
            h.role === 'user' &&
            h.content.some((c) => 'transcript' in c && c.transcript === 'hello there'),
        ),
      ).toBe(true);

      caller.say(500);
      await until(assistantSaid('The get_weather tool returned: rainy'), 'the tool call');
      expect(executed).toEqual([{ city: 'Paris' }]);

      const from = rec.events.length;
      caller.say(500);
      await rec.next(isType('response.output_audio.delta'), from);
      caller.say(700);
      const cut = await rec.next(
        isType('response.done', (e) => responseOf(e).status === 'cancelled'),
        from,
      );
      expect(responseOf(cut).output[0]?.status).toBe('incomplete');
      await rec.next(isType('conversation.item.truncated'), from);
      expect(interrupted).toBeGreaterThan(0);
      expect(errors).toEqual([]);
    } finally {
      caller.stop();
      session.close();
    }
  }, 60_000);
});
