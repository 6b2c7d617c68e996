import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { generateTone } from '@prx-voice/media';
import { startServer } from '@prx-voice/server';
import type { RunningServer } from '@prx-voice/server';
import { twilioSignature } from '@prx-voice/transport';
import type { TwilioOutboundMessage } from '@prx-voice/transport';
import { createTwilioClientScript, parseTwilioOutbound } from '@prx-voice/transport/testing';
import type { TwilioClientScript } from '@prx-voice/transport/testing';
import { openEventStream } from './support/event-stream.ts';
import type { EventStream } from './support/event-stream.ts';

const KEY = 'pk_integration_twilio_marks_0123456789';
const AUTH_TOKEN = 'twilio_auth_token_for_mark_tests';
const PUBLIC = 'https://voice.example.com';
// What the mock ASR hears; the mock agent answers "You said: …", which the sentence
// chunker cuts into two segments (mock TTS: 50 ms of audio per character).
const FIRST = 'You said: Good morning to you.';
const SECOND = 'Extraordinarily wonderful things happen.';
const TRANSCRIPT = FIRST.slice('You said: '.length) + ' ' + SECOND;
const dir = mkdtempSync(join(tmpdir(), 'prx-twilio-marks-'));
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
        PRX_VOICE_SERVER__PUBLIC_URL: PUBLIC,
        PRX_VOICE_STORAGE__DATA_DIR: 'data',
        PRX_VOICE_ADAPTERS__ASR__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__AGENT__PROVIDER: 'mock',
        PRX_VOICE_ADAPTERS__TTS__PROVIDER: 'mock',
        // The caller's speech here is a tone: the energy VAD hears it, Silero (auto's choice) would not.
        PRX_VOICE_ADAPTERS__VAD__PROVIDER: 'energy',
        PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: KEY,
        PRX_VOICE_ADAPTERS__ASR__OPTIONS: JSON.stringify({ transcript: TRANSCRIPT }),
        PRX_VOICE_ADAPTERS__AGENT__OPTIONS: JSON.stringify({ token_delay_ms: 2 }),
        PRX_VOICE_ADAPTERS__PROVIDERS__TWILIO: JSON.stringify({
          auth_token: AUTH_TOKEN,
          tenant: 'default',
        }),
      },
    },
    log: (line) => process.stderr.write(`SERVER: ${line}\n`),
  });
}, 120_000);
afterAll(async () => {
  await server.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

/** One call: the webhook, the media stream with a scripted Twilio, and the session's events. */
interface Call {
  readonly id: string;
  readonly twilio: TwilioClientScript;
  readonly ws: WebSocket;
  readonly events: EventStream;
  /** What the server sent, in order. */
  readonly outbound: TwilioOutboundMessage[];
  /** Resolves once `pred` holds for what the server sent. */
  until(pred: () => boolean): Promise<void>;
  /** Sends Twilio's echo of a mark. */
  echo(echo: string | undefined): void;
}

async function placeCall(n: number): Promise<Call> {
  const form = {
    CallSid: `CA${n.toString(16).padStart(32, '0')}`,
    AccountSid: 'AC0123456789abcdef0123456789abcdef',
    From: '+14155550100',
    To: '+14155550199',
  };
  const res = await fetch(`${server.url}/telephony/twilio/voice`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilioSignature(AUTH_TOKEN, `${PUBLIC}/telephony/twilio/voice`, form),
    },
    body: new URLSearchParams(form).toString(),
  });
  expect(res.status).toBe(200);
  const params = Object.fromEntries(
    [...(await res.text()).matchAll(/<Parameter name="([^"]+)" value="([^"]+)"\s*\/>/g)].map(
      (m) => [m[1] ?? '', m[2] ?? ''],
    ),
  );
  const id = params['session_id'] ?? '';
  const events = await openEventStream(`${server.url}/api/v1/sessions/${id}/events`, KEY);
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/telephony/twilio/stream`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const twilio = createTwilioClientScript({ customParameters: params });
  const outbound: TwilioOutboundMessage[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data: Buffer) => {
    const message = parseTwilioOutbound(data.toString('utf8'));
    outbound.push(message);
    // Into Twilio's playback buffer; a clear has Twilio echo the marks it dropped.
    for (const echo of twilio.outbound(message)) ws.send(echo);
    for (const w of waiters.splice(0)) w();
  });
  ws.send(twilio.connected());
  ws.send(twilio.start());
  return {
    id,
    twilio,
    ws,
    events,
    outbound,
    until: async (pred) => {
      while (!pred()) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    echo: (echo) => {
      if (echo === undefined) throw new Error('no mark to echo');
      ws.send(echo);
    },
  };
}

/** The caller says something: 600 ms of tone, then a second of silence ends the utterance. */
function speak(call: Call): void {
  const speech = generateTone({
    sampleRate: 8000,
    frequencyHz: 300,
    durationMs: 600,
    amplitude: 0.3,
  }).samples;
  for (const m of call.twilio.audio(speech)) call.ws.send(m);
  for (const m of call.twilio.audio(new Int16Array(8000))) call.ws.send(m);
}

const marks = (call: Call): string[] =>
  call.outbound.flatMap((m) => (m.event === 'mark' ? [m.mark.name] : []));
const mediaCount = (call: Call): number => call.outbound.filter((m) => m.event === 'media').length;
const isType =
  (type: string, segmentId?: string) =>
  (e: AnyVoiceEvent): boolean =>
    e.type === type &&
    (segmentId === undefined || (e.data as { segment_id?: string }).segment_id === segmentId);

async function hangUp(call: Call): Promise<void> {
  call.ws.send(call.twilio.stop());
  call.ws.close();
  await call.events.waitFor(isType('prx.voice.session.closed'));
  call.events.close();
}

describe('Twilio marks drive the playback position', () => {
  it('a mark follows every segment, the last one included; the server goes past a segment only on its echo', async () => {
    const call = await placeCall(1);
    speak(call);
    await call.until(() => marks(call).length === 1);
    const segments = call.events.events
      .filter(isType('prx.voice.tts.segment_queued'))
      .map((e) => e.data as { segment_id: string; text: string });
    expect(segments.map((s) => s.text)).toEqual([FIRST, SECOND]);
    const [first, second] = segments.map((s) => s.segment_id);
    expect(marks(call)).toEqual([first]);
    // Held at the first segment's end, the server sends the second one no further than its
    // lead (200 ms) until Twilio says the first has played.
    call.echo(call.twilio.playToMark());
    await call.events.waitFor(isType('prx.voice.playback.completed', first));
    await call.until(() => marks(call).length === 2);
    expect(marks(call)).toEqual([first, second]);
    // The whole answer went out: Twilio has (second.length × 50 ms) buffered, then the last mark.
    expect(call.twilio.bufferedMs).toBe(SECOND.length * 50);
    expect(call.twilio.pendingMarks).toEqual([second]);
    // Twilio plays it late (a slow network): the server waits for the echo, it does not
    // finish the turn by its own clock. The delay stands for Twilio's playback, not a wait
    // for the server; it stays well under the server's 2 s patience for a missing echo.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(call.events.events.filter(isType('prx.voice.playback.completed', second))).toEqual([]);
    expect(call.events.events.filter(isType('prx.voice.turn.completed'))).toEqual([]);
    const echoedAt = Date.now();
    call.echo(call.twilio.playToMark());
    const completed = await call.events.waitFor(isType('prx.voice.turn.completed'));
    const played = await call.events.waitFor(isType('prx.voice.playback.completed', second));
    expect(Date.parse(played.time)).toBeGreaterThanOrEqual(echoedAt - 5);
    expect(completed.data).toMatchObject({
      assistant_text: `${FIRST} ${SECOND}`,
      interrupted: false,
    });
    await hangUp(call);
  }, 60_000);

  it('barge-in after echoing only the first mark: Twilio gets clear, the heard text is the first segment', async () => {
    const call = await placeCall(2);
    speak(call);
    await call.until(() => marks(call).length === 1);
    const [first] = marks(call);
    call.echo(call.twilio.playToMark());
    // The echo moved the position: the server sends the rest of the second segment again.
    const before = mediaCount(call);
    await call.until(() => mediaCount(call) > before + 1);
    const res = await fetch(`${server.url}/api/v1/sessions/${call.id}/interrupt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(res.status).toBe(200);
    await call.until(() => call.outbound.some((m) => m.event === 'clear'));
    const resolved = await call.events.waitFor(isType('prx.voice.interrupt.resolved'));
    expect(resolved.data).toMatchObject({ heard_text: FIRST });
    expect(call.events.events.filter(isType('prx.voice.playback.completed', first))).toHaveLength(
      1,
    );
    // Nothing goes out after the clear until a new answer starts.
    const cleared = call.outbound.findIndex((m) => m.event === 'clear');
    expect(call.outbound.slice(cleared + 1)).toEqual([]);
    const turns = (await (
      await fetch(`${server.url}/api/v1/sessions/${call.id}/turns`, {
        headers: { authorization: `Bearer ${KEY}` },
      })
    ).json()) as {
      data: { items: { interrupted: boolean; assistant_text: string }[] };
    };
    expect(turns.data.items[0]).toMatchObject({ interrupted: true, assistant_text: FIRST });
    await hangUp(call);
  }, 60_000);
});
