/**
 * Pipecat's own SmallWebRTC client, published and unmodified: `@pipecat-ai/client-js` 1.13
 * with `@pipecat-ai/small-webrtc-transport` 1.10, in Node with `@roamhq/wrtc` (libwebrtc)
 * as the global `RTCPeerConnection` and a media manager whose microphone is a wrtc audio
 * track, against a `prx-voice serve` process (mock ASR, agent and TTS; energy VAD).
 * `client.connect({webrtcRequestParams})` posts its offer to `/api/v1/webrtc/offer` with
 * an API key, trickles candidates with PATCH, and talks RTVI on the data channel: a spoken
 * turn is answered (transcripts, LLM and TTS text, bot audio on the remote track), a
 * spoken `call <tool> <JSON>` runs the assistant's HTTP tool (the function-call messages,
 * the result said), and speech over a long answer stops the bot.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogLevel, PipecatClient, logger } from '@pipecat-ai/client-js';
import type { Transport } from '@pipecat-ai/client-js';
import { startServerProcess } from './support/server-process.ts';
import { startHttpToolEndpoint } from './support/tool-endpoints.ts';
import type { HttpToolEndpoint } from './support/tool-endpoints.ts';
import type { ServerProcess } from './support/server-process.ts';
import { NodeMediaManager, RtviLog, installBrowserShims } from './support/pipecat-node.ts';
import { createMicrophone, installWrtcGlobals, listen } from './support/wrtc-caller.ts';
import type { Heard } from './support/wrtc-caller.ts';

const KEY = 'pk_integration_smallwebrtc_key_0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'prx-smallwebrtc-'));
let server: ServerProcess;
let http: HttpToolEndpoint;
let assistantId: string;

/** The part of `@pipecat-ai/small-webrtc-transport` the test uses (typed here: see pipecat-node.ts). */
interface SmallWebRTCModule {
  readonly SmallWebRTCTransport: new (options: {
    readonly mediaManager?: NodeMediaManager;
    readonly iceServers?: unknown[];
  }) => Transport & { readonly pc: { getReceivers(): { track: { kind: string } }[] } | null };
}

/** A media manager whose microphone is a libwebrtc track (the transport sends it over RTP). */
class WrtcMediaManager extends NodeMediaManager {
  readonly mic = createMicrophone();
  override tracks(): { local: Record<string, never> } {
    return { local: { audio: this.mic.track } as unknown as Record<string, never> };
  }
}

beforeAll(async () => {
  installBrowserShims();
  installWrtcGlobals();
  logger.setLevel(LogLevel.WARN);
  http = await startHttpToolEndpoint((_, args) => ({
    order_id: args['order_id'],
    status: 'shipped',
  }));
  writeFileSync(
    join(dir, 'config.yaml'),
    ['agents:', '  tools:', '    allow_private_hosts: ["127.0.0.1"]', ''].join('\n'),
  );
  server = await startServerProcess(dir, {
    PRX_VOICE_SERVER__SHUTDOWN_TIMEOUT_MS: '300',
    PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: KEY,
    PRX_VOICE_STORAGE__DATA_DIR: 'data',
    PRX_VOICE_ADAPTERS__ASR__PROVIDER: 'mock',
    PRX_VOICE_ADAPTERS__AGENT__PROVIDER: 'mock',
    PRX_VOICE_ADAPTERS__TTS__PROVIDER: 'mock',
    PRX_VOICE_ADAPTERS__VAD__PROVIDER: 'energy',
    PRX_VOICE_ADAPTERS__AGENT__OPTIONS: JSON.stringify({ token_delay_ms: 2 }),
  });
  const res = await fetch(`${server.url}/api/v1/assistants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'Orders over WebRTC',
      system_prompt: 'You help with orders.',
      tools: [
        {
          type: 'http',
          name: 'lookup_order',
          description: 'Looks an order up.',
          parameters: { type: 'object', properties: { order_id: { type: 'string' } } },
          http: { url: `${http.url}/orders` },
        },
      ],
    }),
  });
  const created = (await res.json()) as { data: Record<string, unknown> };
  expect(res.status, JSON.stringify(created)).toBe(201);
  http.secret = String(created.data['tool_signing_secret']);
  assistantId = String(created.data['id']);
}, 120_000);

afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
  await http.close();
  rmSync(dir, { recursive: true, force: true });
});

const textOf = (d: unknown): string => String((d as { text?: unknown }).text);
const isFinal = (text: string) => (d: unknown) =>
  (d as { final?: boolean }).final === true && textOf(d) === text;

describe('Pipecat client-js + small-webrtc-transport against /api/v1/webrtc/offer', () => {
  it('connects, hears a spoken turn answered, runs a tool, and is stopped by barge-in', async () => {
    const name = '@pipecat-ai/small-webrtc-transport';
    const { SmallWebRTCTransport } = (await import(name)) as SmallWebRTCModule;
    const media = new WrtcMediaManager();
    const transport = new SmallWebRTCTransport({ mediaManager: media, iceServers: [] });
    const log = new RtviLog();
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
        onBotLlmText: on('bot-llm-text'),
        onBotTtsText: on('bot-tts-text'),
        onLLMFunctionCallStarted: on('llm-function-call-started'),
        onLLMFunctionCallInProgress: on('llm-function-call-in-progress'),
        onLLMFunctionCallStopped: on('llm-function-call-stopped'),
        onError: (m) => log.push('error', m.data),
        onDisconnected: on('disconnected'),
      },
    });
    const ready = await client.connect({
      webrtcRequestParams: {
        endpoint: `${server.url}/api/v1/webrtc/offer`,
        headers: new Headers({ Authorization: `Bearer ${KEY}` }),
        requestData: {
          assistant_id: assistantId,
          provider_options: {
            asr: { transcript: ['hello there', 'call lookup_order {"order_id": "A1"}', 'wait'] },
          },
        },
      },
    });
    expect(ready.version).toBe('2.1.0');
    const heard: Heard = { samples: 0, chunks: [] };
    const remote = transport.pc?.getReceivers().find((r) => r.track.kind === 'audio');
    expect(remote).toBeDefined();
    const stop = listen(remote?.track, heard);
    const silenceUntil = async <T>(done: Promise<T>): Promise<T> => {
      const state = { settled: false };
      const result = done.finally(() => {
        state.settled = true;
      });
      while (!state.settled) await media.mic.speak('silence', 100);
      return result;
    };

    await media.mic.speak('speech', 640);
    await silenceUntil(log.waitFor('bot-stopped-speaking'));
    expect(await log.waitFor('user-transcription', isFinal('hello there'))).toBeDefined();
    expect(log.of('bot-llm-text').map(textOf).join('')).toContain('You said: hello there');
    expect(log.of('bot-tts-text').map(textOf).join(' ')).toContain('You said: hello there');
    expect(heard.samples / 48).toBeGreaterThan(50 * 'You said: hello there'.length * 0.7);

    // A tool, asked for by voice: the function-call messages, the result said.
    const asked = log.seen.length;
    await media.mic.speak('speech', 640);
    await silenceUntil(log.waitFor('bot-stopped-speaking', () => true, asked));
    expect(log.of('llm-function-call-started', asked)).toEqual([{ function_name: 'lookup_order' }]);
    const [inProgress] = log.of('llm-function-call-in-progress', asked) as Record<
      string,
      unknown
    >[];
    expect(inProgress).toMatchObject({
      function_name: 'lookup_order',
      arguments: { order_id: 'A1' },
    });
    expect(log.of('llm-function-call-stopped', asked)).toEqual([
      {
        function_name: 'lookup_order',
        tool_call_id: inProgress?.['tool_call_id'],
        cancelled: false,
        result: { order_id: 'A1', status: 'shipped' },
      },
    ]);
    expect(log.of('bot-tts-text', asked).map(textOf).join(' ')).toContain(
      'The lookup_order tool returned',
    );

    // Barge-in over a long typed turn.
    const long = `tell me ${'about the order and its parcel '.repeat(6)}`.trim();
    const mark = log.seen.length;
    await client.sendText(long);
    await silenceUntil(log.waitFor('bot-tts-text', () => true, mark));
    const talkAt = Date.now();
    const stopped = log.waitFor('bot-stopped-speaking', () => true, mark);
    await Promise.race([media.mic.speak('speech', 800), stopped]);
    await stopped;
    expect(Date.now() - talkAt).toBeLessThan(2_000);
    await silenceUntil(log.waitFor('user-transcription', isFinal('wait'), mark));
    expect(log.of('error')).toEqual([]);
    stop();
    await client.disconnect();
  }, 90_000);
});
