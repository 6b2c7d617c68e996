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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogLevel, PipecatClient, logger } from '@pipecat-ai/client-js';
import type { Transport } from '@pipecat-ai/client-js';
import { expectOrderLookup, startOrderAssistantServer } from './support/order-assistant.ts';
import type { OrderAssistantServer } from './support/order-assistant.ts';
import type { ServerProcess } from './support/server-process.ts';
import { NodeMediaManager, RtviLog, installBrowserShims } from './support/pipecat-node.ts';
import { createMicrophone, installWrtcGlobals, listen } from './support/wrtc-caller.ts';
import type { Heard } from './support/wrtc-caller.ts';

const KEY = 'pk_integration_smallwebrtc_key_0123456789abcdef';
let server: ServerProcess;
let orders: OrderAssistantServer;
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
  orders = await startOrderAssistantServer(KEY, 'Orders over WebRTC');
  server = orders.server;
  assistantId = orders.assistantId;
}, 120_000);

afterAll(async () => {
  await orders.stop();
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
    expectOrderLookup(log, asked);

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
