/**
 * Clearing on the session WebSocket, as a client that buffers audio meets it:
 * `prx.voice.playback.flushed` arrives before any audio of a newer run and the
 * client drops what it had not played; a client that reports
 * `playback.position` gets exactly what it played kept as the heard text.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { parseEvent } from '@prx-voice/event';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { startServer } from '@prx-voice/server';
import type { RunningServer } from '@prx-voice/server';
import { heardTextOf } from '@prx-voice/session';
import { createClientPlayout } from '@prx-voice/transport';

const KEY = 'pk_integration_clearing_key_0123456789ab';
const dir = mkdtempSync(join(tmpdir(), 'prx-clear-'));
let server: RunningServer;
/** 24 kHz PCM16: bytes per ms. */
const BYTES_PER_MS = 48;
const ANSWER = 'You said: please tell me a long story about the sea and the wind';

beforeAll(async () => {
  server = await startServer({
    load: {
      cwd: dir,
      env: {
        PRX_VOICE_SERVER__PORT: '0',
        PRX_VOICE_SERVER__SHUTDOWN_TIMEOUT_MS: '300',
        PRX_VOICE_SERVER__HOST: '127.0.0.1',
        PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: KEY,
        PRX_VOICE_ADAPTERS__ASR__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__AGENT__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__TTS__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__VAD__PROVIDER: 'energy',
        PRX_VOICE_STORAGE__DATA_DIR: 'data',
      },
    },
    log: (line) => process.stderr.write(`SERVER: ${line}\n`),
  });
}, 120_000);
afterAll(async () => {
  await server.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

/** A client that plays what it receives through a playout, `lagMs` behind real time. */
async function playingClient(lagMs: number) {
  const res = await fetch(`${server.url}/api/v1/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ provider_options: { agent: { token_delay_ms: 5 } } }),
  });
  const created = (await res.json()) as { data: { id: string; ws_url: string } };
  const ws = new WebSocket(`${created.data.ws_url}?token=${KEY}`);
  const playout = createClientPlayout();
  const order: { kind: string; run?: string; at: number }[] = [];
  const events: AnyVoiceEvent[] = [];
  const reports: { segmentId: string; playedMs: number }[] = [];
  let run: string | undefined;
  // The client starts playing `lagMs` after audio arrives (a jitter buffer).
  const clock = () => Date.now() - lagMs;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      order.push({ kind: 'audio', ...(run === undefined ? {} : { run }), at: Date.now() });
      playout.audio(data.length / BYTES_PER_MS, clock());
      return;
    }
    const event = parseEvent(data.toString('utf8'));
    events.push(event);
    order.push({ kind: event.type, at: Date.now() });
    if (event.type === 'prx.voice.playback.started') run = event.prxrunid;
    playout.event(event, clock());
  });
  const timer = setInterval(() => {
    const p = playout.position(clock());
    if (p === undefined || ws.readyState !== WebSocket.OPEN) return;
    reports.push(p);
    ws.send(
      JSON.stringify({ type: 'playback.position', segment_id: p.segmentId, played_ms: p.playedMs }),
    );
  }, 50);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const waitFor = async (type: string): Promise<AnyVoiceEvent> => {
    for (;;) {
      const found = events.find((e) => e.type === type);
      if (found !== undefined) return found;
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const close = async () => {
    clearInterval(timer);
    ws.send(JSON.stringify({ type: 'end' }));
    await new Promise((r) => ws.once('close', r));
  };
  return { id: created.data.id, ws, playout, order, events, reports, waitFor, close };
}

describe('clearing on the session WebSocket', () => {
  it('playback.flushed comes first and before any newer audio; the client drops what it had not played', async () => {
    const c = await playingClient(0);
    c.ws.send(
      JSON.stringify({
        type: 'input.text',
        text: 'please tell me a long story about the sea and the wind',
      }),
    );
    await c.waitFor('prx.voice.playback.started');
    await new Promise((r) => setTimeout(r, 600));
    c.ws.send(JSON.stringify({ type: 'input.text', text: 'stop' }));
    await c.waitFor('prx.voice.turn.completed');
    const flushed = c.order.findIndex((o) => o.kind === 'prx.voice.playback.flushed');
    const issued = c.order.findIndex((o) => o.kind === 'prx.voice.interrupt.issued');
    expect(flushed).toBeGreaterThan(0);
    expect(issued).toBeGreaterThan(flushed);
    const firstRun = c.events.find((e) => e.type === 'prx.voice.playback.started')?.prxrunid;
    // No frame of the interrupted run after the flush, and the newer run's frames follow its playback.started.
    expect(c.order.slice(flushed).filter((o) => o.kind === 'audio' && o.run === firstRun)).toEqual(
      [],
    );
    const started = c.order.findIndex(
      (o, i) => i > flushed && o.kind === 'prx.voice.playback.started',
    );
    const newerAudio = c.order.findIndex((o, i) => i > flushed && o.kind === 'audio');
    if (newerAudio >= 0) expect(started).toBeLessThan(newerAudio);
    // Up to 200 ms of audio was sent ahead: the client had it buffered and dropped it.
    expect(c.playout.droppedMs).toBeGreaterThan(0);
    expect(c.playout.droppedMs).toBeLessThanOrEqual(500);
    await c.close();
  }, 60_000);

  it('a client reporting playback.position gets exactly what it played as the heard text', async () => {
    // This client plays 700 ms behind what the server sent: without its reports the server
    // would count 700 ms more as heard.
    const c = await playingClient(700);
    c.ws.send(
      JSON.stringify({
        type: 'input.text',
        text: 'please tell me a long story about the sea and the wind',
      }),
    );
    await c.waitFor('prx.voice.playback.started');
    await new Promise((r) => setTimeout(r, 1800));
    const before = c.reports.at(-1);
    c.ws.send(JSON.stringify({ type: 'interrupt' }));
    const flushed = await c.waitFor('prx.voice.playback.flushed');
    const heardMs = (flushed.data as { played_ms: number }).played_ms;
    // The server's position is the client's last report plus the real time since (50 ms + transit).
    expect(before).toBeDefined();
    expect(heardMs).toBeGreaterThanOrEqual(before?.playedMs ?? 0);
    expect(heardMs).toBeLessThan((before?.playedMs ?? 0) + 300);
    await c.waitFor('prx.voice.turn.completed');
    await c.close();
    const res = await fetch(`${server.url}/api/v1/sessions/${c.id}/turns`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    const turns = (await res.json()) as { data: { items: { assistant_text: string }[] } };
    const segment = { text: ANSWER, durationMs: ANSWER.length * 50, words: [] };
    expect(turns.data.items[0]?.assistant_text).toBe(heardTextOf(segment, heardMs));
    // What the server alone would have counted (700 ms more) is a longer text.
    expect(heardTextOf(segment, heardMs + 700).length).toBeGreaterThan(
      turns.data.items[0]?.assistant_text.length ?? 0,
    );
  }, 60_000);
});
