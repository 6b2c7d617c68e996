/**
 * WebRTC as Pipecat's SmallWebRTC transport speaks it, against a `prx-voice serve`
 * process (mock ASR, agent and TTS; energy VAD), with a libwebrtc peer from npm
 * (`@roamhq/wrtc`, `support/wrtc-caller.ts`): the offer is POSTed to
 * `/api/v1/webrtc/offer`, candidates are trickled with PATCH, the microphone is Opus over
 * RTP, RTVI travels on the data channel. A spoken turn is answered with bot audio and the
 * RTVI events; speech over a long answer stops the bot. A second call goes through a UDP
 * relay that drops every 20th inbound RTP packet (5 %) and still completes its turn.
 * Bad input: a malformed SDP is a 400 with the reason, an unknown `pc_id` a 404, no key 401.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';
import { LossyRelay, connectWrtcCaller } from './support/wrtc-caller.ts';

const KEY = 'pk_integration_webrtc_key_0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'prx-webrtc-'));
let server: ServerProcess;

beforeAll(async () => {
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
}, 120_000);

afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
  rmSync(dir, { recursive: true, force: true });
});

async function api(path: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    headers: { authorization: `Bearer ${KEY}` },
  });
  return (await res.json()) as Record<string, unknown>;
}

const textOf = (d: unknown): string => String((d as { text?: unknown }).text);
const isFinal = (text: string) => (d: unknown) =>
  (d as { final?: boolean }).final === true && textOf(d) === text;

/** The stored turns of a session, once `done` holds of them. */
async function turnsOf(
  sessionId: string,
  done: (turns: Record<string, unknown>[]) => boolean,
): Promise<Record<string, unknown>[]> {
  let turns: Record<string, unknown>[] = [];
  for (let i = 0; i < 50; i++) {
    const res = await api(`/sessions/${sessionId}/turns`);
    turns = (res['data'] as { items?: Record<string, unknown>[] }).items ?? [];
    if (done(turns)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return turns;
}

describe('a libwebrtc caller against /api/v1/webrtc/offer', () => {
  it('completes a spoken turn with bot audio back, and is stopped by barge-in', async () => {
    const caller = await connectWrtcCaller({
      url: server.url,
      key: KEY,
      requestData: { provider_options: { asr: { transcript: ['hello there', 'wait'] } } },
    });
    const { log } = caller;
    const ready = (await log.waitFor('bot-ready')).data as { about: { session_id: string } };
    const sessionId = ready.about.session_id;
    expect(sessionId).toMatch(/^sess_/);

    await caller.speak('speech', 640);
    await caller.silenceUntil(log.waitFor('bot-stopped-speaking'));
    expect(await log.waitFor('user-transcription', isFinal('hello there'))).toBeDefined();
    expect(log.of('bot-llm-text').map(textOf).join('')).toContain('You said: hello there');
    const order = log.types();
    for (const [a, b] of [
      ['user-started-speaking', 'user-stopped-speaking'],
      ['user-stopped-speaking', 'bot-llm-started'],
      ['bot-tts-started', 'bot-started-speaking'],
      ['bot-started-speaking', 'bot-stopped-speaking'],
    ] as const)
      expect(order.indexOf(a), `${a} before ${b}`).toBeLessThan(order.indexOf(b));
    // The mock TTS speaks 50 ms per character: most of it came back as audible Opus.
    const answerMs = 50 * 'You said: hello there'.length;
    expect(caller.heard.samples / 48).toBeGreaterThan(answerMs * 0.7);

    // Barge-in: a long typed turn; speech over its answer stops the bot at once.
    const long = `tell me ${'about the order and its parcel '.repeat(6)}`.trim();
    const mark = log.seen.length;
    caller.send('send-text', { content: long, options: { run_immediately: true } }, 'text-1');
    await caller.silenceUntil(log.waitFor('bot-tts-text', () => true, mark));
    const talkAt = Date.now();
    const stopped = log.waitFor('bot-stopped-speaking', () => true, mark);
    await Promise.race([caller.speak('speech', 800), stopped]);
    await stopped;
    expect(Date.now() - talkAt).toBeLessThan(2_000);
    // The engine's interruption follows the flush (`playback.flushed`, then `interrupt.issued`).
    expect(await log.waitFor('bot-interrupted', () => true, mark)).toBeDefined();
    await caller.silenceUntil(log.waitFor('user-transcription', isFinal('wait'), mark));

    const turns = await turnsOf(sessionId, (t) => t.some((x) => x['interrupted'] === true));
    const cut = turns.find((t) => t['user_text'] === long);
    expect(cut).toMatchObject({ interrupted: true });
    expect(turns[0]).toMatchObject({ user_text: 'hello there', interrupted: false });
    expect(log.of('error')).toEqual([]);

    // Closing the peer connection ends the session.
    caller.close();
    let state = '';
    for (let i = 0; i < 100 && state !== 'Closed'; i++) {
      state = String(((await api(`/sessions/${sessionId}`))['data'] as { state?: unknown }).state);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(state).toBe('Closed');
  }, 90_000);

  it('completes a turn with 5 % of the inbound RTP packets dropped', async () => {
    const relay = await LossyRelay.open(20);
    const caller = await connectWrtcCaller({
      url: server.url,
      key: KEY,
      relay,
      requestData: { provider_options: { asr: { transcript: ['over a lossy link'] } } },
    });
    const { log } = caller;
    await caller.speak('speech', 800);
    // The answer played to its end (bot-output "completed"), whatever the loss did to the VAD.
    await caller.silenceUntil(
      log.waitFor(
        'bot-output',
        (d) =>
          (d as { spoken_status?: string }).spoken_status === 'completed' &&
          textOf(d).includes('over a lossy link'),
      ),
    );
    expect(await log.waitFor('user-transcription', isFinal('over a lossy link'))).toBeDefined();
    expect(log.of('bot-llm-text').map(textOf).join(''), log.types().join(' ')).toContain(
      'You said: over a lossy link',
    );
    expect(caller.heard.samples / 48).toBeGreaterThan(
      50 * 'You said: over a lossy link'.length * 0.7,
    );
    expect(relay.dropped).toBeGreaterThan(0);
    expect(relay.dropped / (relay.dropped + relay.forwarded)).toBeCloseTo(0.05, 2);
    caller.close();
    relay.close();
  }, 60_000);
});

describe('the WebRTC signalling endpoint refuses bad input', () => {
  const call = async (method: string, body: unknown, key: string | null = KEY) =>
    fetch(`${server.url}/api/v1/webrtc/offer`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      },
      body: JSON.stringify(body),
    });

  it('answers a malformed SDP with 400 and the reason, an unknown pc_id with 404, no key with 401', async () => {
    const bad = await call('POST', { sdp: 'v=0\r\nthis is not sdp\r\n', type: 'offer' });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.message).toMatch(/SDP offer cannot be answered/);
    const unknown = await call('PATCH', {
      pc_id: 'pc_unknown',
      candidates: [
        { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdp_mid: '0', sdp_mline_index: 0 },
      ],
    });
    expect(unknown.status).toBe(404);
    const anonymous = await call('POST', { sdp: 'v=0', type: 'offer' }, null);
    expect(anonymous.status, await anonymous.text()).toBe(401);
    expect((await call('PATCH', { pc_id: 'x', candidates: [] }, null)).status).toBe(401);
  });
});
