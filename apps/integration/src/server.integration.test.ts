import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { parseEvent } from '@prx-voice/event';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { generateTone, readWav, writeWav } from '@prx-voice/media';
import { readFileSync, writeFileSync } from 'node:fs';
import { runCli, startServer } from '@prx-voice/server';
import type { RunningServer } from '@prx-voice/server';

const KEY = 'pk_integration_bootstrap_key_0123456789';
const dir = mkdtempSync(join(tmpdir(), 'prx-int-'));
let server: RunningServer;

beforeAll(async () => {
  server = await startServer({
    load: {
      cwd: dir,
      env: {
        PRX_VOICE_SERVER__PORT: '0',
        // Sessions left live at the end: a short drain, not the default 30 s.
        PRX_VOICE_SERVER__SHUTDOWN_TIMEOUT_MS: '300',
        PRX_VOICE_SERVER__HOST: '127.0.0.1',
        PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: KEY,
        PRX_VOICE_ADAPTERS__ASR__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__AGENT__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__TTS__PROVIDER: 'mock',
        // The caller's speech here is a tone: the energy VAD hears it, Silero (auto's choice) would not.
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

async function api(
  method: string,
  path: string,
  body?: unknown,
  key = KEY,
): Promise<{
  status: number;
  json: { data: Record<string, unknown> | null; error: { code: string } | null };
}> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as never };
}

interface Client {
  ws: WebSocket;
  events: AnyVoiceEvent[];
  /** Arrival order of audio frames and events. */
  order: string[];
  audioBytes: number;
  closed: Promise<{ code: number; reason: string }>;
  waitFor(type: string): Promise<AnyVoiceEvent>;
  /** The next event of a type arriving from now on. */
  next(type: string): Promise<AnyVoiceEvent>;
}

function connect(url: string): Promise<Client> {
  const ws = new WebSocket(url);
  const events: AnyVoiceEvent[] = [];
  const waiters: { type: string; resolve: (e: AnyVoiceEvent) => void }[] = [];
  const client: Client = {
    ws,
    events,
    order: [],
    audioBytes: 0,
    closed: new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    ),
    next: (type) => new Promise((resolve) => waiters.push({ type, resolve })),
    waitFor: (type) => {
      const seen = events.find((e) => e.type === type);
      return seen !== undefined
        ? Promise.resolve(seen)
        : new Promise((resolve) => waiters.push({ type, resolve }));
    },
  };
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      client.audioBytes += data.length;
      client.order.push('audio');
      return;
    }
    const event = parseEvent(data.toString('utf8')); // every text frame must be a valid CloudEvent
    events.push(event);
    client.order.push(event.type);
    for (const w of waiters.splice(0)) {
      if (w.type === event.type) w.resolve(event);
      else waiters.push(w);
    }
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
  });
}

describe('the server over real sockets', () => {
  it('runs a voice turn over the session WebSocket: audio in, transcript, tokens, audio out, turn completed', async () => {
    const created = await api('POST', '/sessions', { channel: 'websocket' });
    expect(created.status).toBe(201);
    const wsUrl = String(created.json.data?.ws_url);
    const client = await connect(`${wsUrl}?token=${KEY}`);
    const tone = generateTone({
      sampleRate: 16000,
      frequencyHz: 300,
      durationMs: 20,
      amplitude: 0.3,
    }).samples;
    const speech = Buffer.from(tone.buffer, tone.byteOffset, tone.byteLength);
    const silence = Buffer.alloc(640);
    for (let i = 0; i < 30; i++) client.ws.send(speech);
    for (let i = 0; i < 60; i++) client.ws.send(silence);
    const completed = await client.waitFor('prx.voice.turn.completed');
    expect(completed.data).toMatchObject({
      user_text: 'hello',
      assistant_text: 'You said: hello',
      interrupted: false,
    });
    expect(
      client.events.find((e) => e.type === 'prx.voice.asr.transcript_final')?.data,
    ).toMatchObject({ text: 'hello' });
    // Mock TTS: 50 ms per character of "You said: hello" at 24 kHz, 2 bytes a sample.
    expect(client.audioBytes).toBe(15 * 50 * 24 * 2);
    const seqs = client.events.map((e) => e.prxseq);
    expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] ?? 0) + i));
    client.ws.send(JSON.stringify({ type: 'end' }));
    expect((await client.closed).code).toBe(1000);
    const turns = await api('GET', `/sessions/${String(created.json.data?.id)}/turns`);
    expect(turns.json.data?.items).toMatchObject([
      { seq: 1, user_text: 'hello', assistant_text: 'You said: hello' },
    ]);
    // The turn fed every stage of the latency histogram.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    for (const stage of [
      'asr',
      'agent_first_token',
      'tts_first_audio',
      'first_audio_sent',
      'voice_to_voice',
    ]) {
      const count = new RegExp(
        `^prx_voice_turn_latency_seconds_count\\{stage="${stage}"\\} (\\d+)$`,
        'm',
      ).exec(metrics);
      expect(Number(count?.[1]), stage).toBeGreaterThanOrEqual(1);
    }
    // The reply (750 ms of audio, 200 ms lead) was paced by timer: each wake's lateness counted.
    const wakes = /^prx_voice_outbound_pacing_lateness_seconds_count (\d+)$/m.exec(metrics);
    expect(Number(wakes?.[1])).toBeGreaterThanOrEqual(10);
    // … and the objectives: the session's end, the API's answers, the turn's latencies.
    const slo = await api('GET', '/slo');
    expect(slo.status).toBe(200);
    const objectives = (
      slo.json.data as unknown as {
        instance_slos: { name: string; total: number; burn_rates: Record<string, number> }[];
      }
    ).instance_slos;
    for (const name of ['availability', 'control_plane', 'asr_final_latency', 'voice_to_voice'])
      expect(objectives.find((o) => o.name === name)?.total, name).toBeGreaterThanOrEqual(1);
    expect(objectives.find((o) => o.name === 'availability')?.burn_rates['5m']).toBe(0);
    expect(metrics).toMatch(/^prx_voice_slo_burn_rate\{slo="availability",window="1h"\} 0$/m);
    // The session's usage, recorded durably off the audio path: time, ASR audio, tokens, characters.
    const sessionId = String(created.json.data?.id);
    let meters: { meter: string; quantity: number; provider?: string | null }[] = [];
    for (let i = 0; i < 100 && meters.length < 6; i++) {
      const usage = await api('GET', `/usage?session_id=${sessionId}`);
      meters = (usage.json.data?.['meters'] ?? []) as typeof meters;
      if (meters.length < 6) await new Promise((r) => setTimeout(r, 100));
    }
    expect(meters.map((m) => m.meter).sort()).toEqual([
      'agent_completion_tokens',
      'agent_prompt_tokens',
      'asr_audio_ms',
      'session_seconds',
      'tts_audio_ms',
      'tts_characters',
    ]);
    expect(meters.find((m) => m.meter === 'tts_characters')?.quantity).toBe(15);
    expect(meters.find((m) => m.meter === 'tts_audio_ms')?.quantity).toBe(15 * 50);
    // Session time by channel (a telephony channel can be priced apart).
    expect(meters.find((m) => m.meter === 'session_seconds')).toMatchObject({
      provider: 'websocket',
    });
    for (const m of meters) expect(m.quantity, m.meter).toBeGreaterThan(0);
  }, 120_000);

  it('barge-in over the WebSocket: playback.flushed then interrupt.issued, no audio of the old run after them, the heard part stored', async () => {
    const created = await api('POST', '/sessions', {
      provider_options: { agent: { token_delay_ms: 5 } },
    });
    const id = String(created.json.data?.id);
    const client = await connect(`${String(created.json.data?.ws_url)}?token=${KEY}`);
    client.ws.send(
      JSON.stringify({
        type: 'input.text',
        text: 'please tell me a long story about the sea and the wind',
      }),
    );
    await client.waitFor('prx.voice.playback.started');
    // Real time passes while the answer plays (the server paces it): the caller hears some of it.
    await new Promise((r) => setTimeout(r, 400));
    const tone = generateTone({
      sampleRate: 16000,
      frequencyHz: 300,
      durationMs: 20,
      amplitude: 0.3,
    }).samples;
    const speech = Buffer.from(tone.buffer, tone.byteOffset, tone.byteLength);
    for (let i = 0; i < 40; i++) {
      client.ws.send(speech);
      await new Promise((r) => setTimeout(r, 20)); // real time: the interruption policy counts speech duration
    }
    await client.waitFor('prx.voice.playback.flushed');
    await client.waitFor('prx.voice.interrupt.issued');
    const issued = client.order.indexOf('prx.voice.interrupt.issued');
    const flushed = client.order.indexOf('prx.voice.playback.flushed');
    // The client is told to drop its buffer first, then why.
    expect(flushed).toBeGreaterThan(0);
    expect(issued).toBeGreaterThan(flushed);
    // Until the next run's audio starts, nothing of the old run arrives.
    const nextStart = client.order.indexOf('prx.voice.playback.started', flushed);
    const between = client.order.slice(flushed, nextStart < 0 ? undefined : nextStart);
    expect(between.filter((x) => x === 'audio')).toEqual([]);
    client.ws.send(JSON.stringify({ type: 'end' }));
    await client.closed;
    const turns = await api('GET', `/sessions/${id}/turns`);
    const first = (
      turns.json.data?.items as {
        interrupted: boolean;
        assistant_text: string;
        assistant_text_generated: string;
      }[]
    )[0];
    expect(first?.interrupted).toBe(true);
    expect(first?.assistant_text_generated.startsWith(first.assistant_text)).toBe(true);
    expect(first?.assistant_text.length).toBeLessThan(first?.assistant_text_generated.length ?? 0);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^prx_voice_barge_ins_total\{outcome="issued"\} [1-9]/m);
  }, 120_000);

  it('prx-voice talk: a text turn and a WAV turn, replies saved as WAV', async () => {
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(`ERR ${l}`) };
    const textOut = join(dir, 'text-reply.wav');
    expect(
      await runCli(
        ['talk', '--url', server.url, '--key', KEY, '--text', 'good evening', '--out', textOut],
        io,
      ),
    ).toBe(0);
    expect(
      lines.some(
        (l) => l.includes('prx.voice.turn.completed') && l.includes('You said: good evening'),
      ),
    ).toBe(true);
    expect(readWav(readFileSync(textOut)).samples.length).toBe(
      'You said: good evening'.length * 50 * 24,
    );
    const input = join(dir, 'question.wav');
    const tone = generateTone({
      sampleRate: 22050,
      frequencyHz: 300,
      durationMs: 700,
      amplitude: 0.3,
    }).samples;
    writeFileSync(input, writeWav({ sampleRate: 22050, samples: tone }));
    const wavOut = join(dir, 'wav-reply.wav');
    expect(
      await runCli(
        ['talk', '--url', server.url, '--key', KEY, '--wav', input, '--out', wavOut],
        io,
      ),
    ).toBe(0);
    expect(readWav(readFileSync(wavOut)).samples.length).toBe('You said: hello'.length * 50 * 24);
    expect(await runCli(['talk', '--url', server.url, '--key', KEY], io)).toBe(1);
  }, 120_000);

  it('refuses bad credentials, unknown sessions and a second attachment with the protocol’s close codes', async () => {
    const created = await api('POST', '/sessions', {});
    const wsUrl = String(created.json.data?.ws_url);
    expect(
      (await (await connect(`${wsUrl}?token=pk_not_a_real_key_0000000000000000000`)).closed).code,
    ).toBe(4401);
    expect(
      (
        await (
          await connect(
            `${wsUrl.replace(/sess_[0-9a-z]+/, 'sess_01m7zfxr1ke3gt21wjx3g547ft')}?token=${KEY}`,
          )
        ).closed
      ).code,
    ).toBe(4404);
    const first = await connect(`${wsUrl}?token=${KEY}`);
    const second = await connect(`${wsUrl}?token=${KEY}`);
    expect((await second.closed).code).toBe(4409);
    // The first connection carries on: a malformed frame gets an error event, the connection stays open.
    first.ws.send('{not json');
    const error = await first.waitFor('prx.voice.session.error');
    expect(error.data).toMatchObject({ code: 'INVALID_FRAME' });
    first.ws.send(Buffer.alloc(3)); // odd-length PCM16
    first.ws.send(JSON.stringify({ type: 'ping', id: 'p1' }));
    expect((await first.waitFor('prx.voice.session.pong')).data).toEqual({ ping_id: 'p1' });
    expect(
      first.events
        .filter((e) => e.type === 'prx.voice.session.error')
        .map((e) => (e.data as { code: string }).code),
    ).toEqual(['INVALID_FRAME', 'INVALID_AUDIO']);
    // A running session takes a new system prompt at its next turn boundary (it listens now).
    const updated = first.next('prx.voice.session.updated');
    first.ws.send(JSON.stringify({ type: 'session.update', system_prompt: 'Be brief.' }));
    expect((await updated).data).toMatchObject({ changed: ['system_prompt'], asr_reopened: false });
    expect(
      first.events
        .filter((e) => e.type === 'prx.voice.session.error')
        .map((e) => (e.data as { code: string }).code),
    ).toEqual(['INVALID_FRAME', 'INVALID_AUDIO']);
    first.ws.close();
    await first.closed;
  }, 120_000);

  it('answers HTTP errors in the envelope: bad token, malformed JSON, state conflicts, idempotent repeats', async () => {
    expect(
      (await api('GET', '/sessions', undefined, 'pk_wrong_key_00000000000000000000000')).json.error
        ?.code,
    ).toBe('UNAUTHENTICATED');
    const bad = await fetch(`${server.url}/api/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: '{oops',
    });
    expect(bad.status).toBe(400);
    const created = await api('POST', '/sessions', {});
    const id = String(created.json.data?.id);
    expect((await api('POST', `/sessions/${id}/resume`)).json.error?.code).toBe(
      'SESSION_STATE_CONFLICT',
    );
    expect((await api('POST', `/sessions/${id}/pause`)).json.data).toEqual({ state: 'Paused' });
    const headers = {
      authorization: `Bearer ${KEY}`,
      'content-type': 'application/json',
      'idempotency-key': 'create-1',
    };
    const one = await fetch(`${server.url}/api/v1/sessions`, {
      method: 'POST',
      headers,
      body: '{"channel":"websocket"}',
    });
    const two = await fetch(`${server.url}/api/v1/sessions`, {
      method: 'POST',
      headers,
      body: '{"channel":"websocket"}',
    });
    const three = await fetch(`${server.url}/api/v1/sessions`, {
      method: 'POST',
      headers,
      body: '{"channel":"web"}',
    });
    expect(two.status).toBe(201);
    expect(((await two.json()) as { data: { id: string } }).data.id).toBe(
      ((await one.json()) as { data: { id: string } }).data.id,
    );
    expect(three.status).toBe(409);
  }, 120_000);
});
