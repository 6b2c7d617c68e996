/**
 * WebRTC from headless Chromium (Debian's, driven by `playwright-core`) against a
 * `prx-voice serve` process (mock ASR, agent and TTS; energy VAD). The microphone is a
 * WAV file (`--use-file-for-fake-audio-capture`): 2 s of silence, a 1 s tone (speech to
 * the energy VAD), 6 s of silence, another 1 s tone, silence. The page uses the browser's
 * own `RTCPeerConnection`: an Opus audio transceiver, a video one (declined), a `chat`
 * data channel carrying RTVI, the offer POSTed to `/api/v1/webrtc/offer` (same origin).
 * The first tone is a turn answered with bot audio (the inbound RTP packets); a
 * long typed turn is then spoken over by the second tone and the bot stops.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { writeWav } from '@prx-voice/media';
import { startServerProcess } from '../support/server-process.ts';
import type { ServerProcess } from '../support/server-process.ts';
import { chromiumAvailable, launchChromium, watchPage } from './browser-support.ts';

const KEY = 'pk_integration_webrtc_chromium_0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'prx-webrtc-chromium-'));
let server: ServerProcess | undefined;
let browser: Browser | undefined;

/** The fake microphone: silence and 300 Hz tones at 48 kHz, as `[seconds, tone?]` spans. */
function micWav(spans: readonly (readonly [number, boolean])[]): string {
  const total = spans.reduce((n, [s]) => n + s, 0);
  const samples = new Int16Array(Math.round(total * 48000));
  let at = 0;
  for (const [seconds, tone] of spans) {
    const n = Math.round(seconds * 48000);
    if (tone)
      for (let i = 0; i < n; i++)
        samples[at + i] = Math.round(0.3 * 32767 * Math.sin((2 * Math.PI * 300 * i) / 48000));
    at += n;
  }
  const path = join(dir, 'mic.wav');
  writeFileSync(path, writeWav({ sampleRate: 48000, samples }));
  return path;
}

/** Runs in the page: connects and keeps every RTVI message in `window.__rtvi`. */
const PAGE_SCRIPT = `
window.__rtvi = [];
window.__connect = async (key, requestData) => {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const pc = new RTCPeerConnection();
  window.__pc = pc;
  pc.addTransceiver(stream.getAudioTracks()[0], { direction: 'sendrecv', streams: [stream] });
  pc.addTransceiver('video', { direction: 'sendrecv' });
  pc.ontrack = (e) => {
    const audio = new Audio();
    audio.srcObject = new MediaStream([e.track]);
    audio.muted = true;
    audio.play().catch(() => undefined);
  };
  const dc = pc.createDataChannel('chat', { ordered: true });
  window.__dc = dc;
  dc.onmessage = (e) => {
    if (typeof e.data !== 'string') return;
    const m = JSON.parse(e.data);
    window.__rtvi.push({ type: m.type, data: m.data ?? {} });
  };
  const opened = new Promise((resolve) => (dc.onopen = resolve));
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') resolve();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
  });
  const res = await fetch('/api/v1/webrtc/offer', {
    method: 'POST',
    headers: { authorization: 'Bearer ' + key, 'content-type': 'application/json' },
    body: JSON.stringify({ sdp: pc.localDescription.sdp, type: 'offer', request_data: requestData }),
  });
  if (res.status !== 200) throw new Error('offer: ' + res.status + ' ' + (await res.text()));
  const answer = await res.json();
  await pc.setRemoteDescription({ type: answer.type, sdp: answer.sdp });
  await opened;
  dc.send(JSON.stringify({ label: 'rtvi-ai', type: 'client-ready', id: 'r1', data: { version: '2.1.0' } }));
  return answer.pc_id;
};
window.__send = (type, data) => window.__dc.send(JSON.stringify({ label: 'rtvi-ai', type, id: 'm' + Date.now(), data }));
window.__packets = async () => {
  let packets = 0;
  (await window.__pc.getStats()).forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') packets += s.packetsReceived ?? 0;
  });
  return packets;
};
`;

beforeAll(async () => {
  if (!chromiumAvailable) return;
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
  browser = await launchChromium(
    micWav([
      [2, false],
      [1, true],
      [6, false],
      [1, true],
      [20, false],
    ]),
  );
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (server !== undefined) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** The server and browser `beforeAll` started (only when Chromium is installed). */
function started(): { server: ServerProcess; browser: Browser } {
  if (server === undefined || browser === undefined) throw new Error('not started');
  return { server, browser };
}

describe.skipIf(!chromiumAvailable)('headless Chromium against /api/v1/webrtc/offer', () => {
  it('completes a spoken turn with bot audio back, and is stopped by barge-in', async () => {
    const { server, browser } = started();
    const page = await browser.newPage();
    const watch = watchPage(page);
    // Any page of the server: the offer is then a same-origin fetch.
    await page.goto(`${server.url}/api/v1/openapi.json`);
    await page.addScriptTag({ content: PAGE_SCRIPT });
    const requestData = { provider_options: { asr: { transcript: ['hello there', 'wait'] } } };
    const pcId = await page.evaluate(
      ([key, data]) =>
        (globalThis as unknown as { __connect(k: string, d: unknown): Promise<string> }).__connect(
          key,
          data,
        ),
      [KEY, requestData] as const,
    );
    expect(pcId).toMatch(/^pc_/);
    type Seen = { type: string; data: Record<string, unknown> };
    const seen = async (): Promise<Seen[]> =>
      page.evaluate(() => (globalThis as unknown as { __rtvi: Seen[] }).__rtvi);
    const waitFor = async (pred: string): Promise<void> => {
      await page.waitForFunction(pred, undefined, { timeout: 20_000, polling: 50 });
    };
    await waitFor(`window.__rtvi.some((m) => m.type === 'bot-ready')`);

    // The first tone: a turn, answered with audible Opus.
    await waitFor(`window.__rtvi.some((m) => m.type === 'bot-stopped-speaking')`);
    const first = await seen();
    expect(
      first.some(
        (m) =>
          m.type === 'user-transcription' &&
          m.data['final'] === true &&
          m.data['text'] === 'hello there',
      ),
    ).toBe(true);
    const text = first
      .filter((m) => m.type === 'bot-llm-text')
      .map((m) => String(m.data['text']))
      .join('');
    expect(text).toContain('You said: hello there');
    // The answer came back as RTP: one Opus packet per 20 ms of it (headless Chromium has no
    // audio output, so its playout statistics stay at zero).
    const packets = await page.evaluate('window.__packets()');
    expect(Number(packets)).toBeGreaterThan((50 * 'You said: hello there'.length * 0.7) / 20);

    // A long typed answer; the second tone speaks over it and the bot stops.
    const mark = first.length;
    const long = `tell me ${'about the order and its parcel '.repeat(6)}`.trim();
    await page.evaluate(
      ([content]) =>
        (globalThis as unknown as { __send(t: string, d: unknown): void }).__send('send-text', {
          content,
        }),
      [long] as const,
    );
    await waitFor(
      `window.__rtvi.slice(${String(mark)}).some((m) => m.type === 'bot-started-speaking')`,
    );
    const startedAt = Date.now();
    await waitFor(
      `window.__rtvi.slice(${String(mark)}).some((m) => m.type === 'bot-stopped-speaking')`,
    );
    // The answer is over 10 s of audio: it was cut short by the tone.
    expect(Date.now() - startedAt).toBeLessThan(8_000);
    await waitFor(
      `window.__rtvi.some((m) => m.type === 'user-transcription' && m.data.final && m.data.text === 'wait')`,
    );
    const all = await seen();
    expect(all.filter((m) => m.type === 'error')).toEqual([]);
    // The stored turn of the long answer was interrupted: the tone cut it, it did not end.
    const about = all.find((m) => m.type === 'bot-ready')?.data['about'] as { session_id: string };
    let interrupted: unknown;
    for (let i = 0; i < 50 && interrupted !== true; i++) {
      const res = await fetch(`${server.url}/api/v1/sessions/${about.session_id}/turns`, {
        headers: { authorization: `Bearer ${KEY}` },
      });
      const turns = ((await res.json()) as { data: { items: Record<string, unknown>[] } }).data
        .items;
      interrupted = turns.find((t) => t['user_text'] === long)?.['interrupted'];
      if (interrupted !== true) await new Promise((r) => setTimeout(r, 100));
    }
    expect(interrupted).toBe(true);
    // The only 404 is the browser's own favicon request for the JSON page it was opened on.
    const errors = watch.errors.filter((e) => !/status of 404/.test(e));
    expect(errors, errors.join('; ')).toEqual([]);
    await page.close();
  }, 90_000);
});
