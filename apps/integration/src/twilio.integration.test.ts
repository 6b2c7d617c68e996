import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { generateTone } from '@prx-voice/media';
import { startServer } from '@prx-voice/server';
import type { RunningServer } from '@prx-voice/server';
import { twilioSignature } from '@prx-voice/transport';
import { createTwilioClientScript, parseTwilioOutbound } from '@prx-voice/transport/testing';

const AUTH_TOKEN = 'twilio_auth_token_for_tests';
const PUBLIC = 'https://voice.example.com';
const dir = mkdtempSync(join(tmpdir(), 'prx-twilio-'));
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

const call = {
  CallSid: 'CA0123456789abcdef0123456789abcdef',
  AccountSid: 'AC0123456789abcdef0123456789abcdef',
  From: '+14155550100',
  To: '+14155550199',
};

async function webhook(signature: string): Promise<Response> {
  return fetch(`${server.url}/telephony/twilio/voice`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signature,
    },
    body: new URLSearchParams(call).toString(),
  });
}

describe('Twilio Media Streams', () => {
  it('refuses a webhook whose signature does not match', async () => {
    const res = await webhook('bm90IGEgc2lnbmF0dXJl');
    expect(res.status).toBe(403);
  });

  it('answers TwiML, runs a turn over the media stream, and clears Twilio’s buffer on barge-in', async () => {
    const res = await webhook(
      twilioSignature(AUTH_TOKEN, `${PUBLIC}/telephony/twilio/voice`, call),
    );
    expect(res.status).toBe(200);
    const twiml = await res.text();
    expect(twiml).toContain('<Stream url="wss://voice.example.com/telephony/twilio/stream">');
    const params = Object.fromEntries(
      [...twiml.matchAll(/<Parameter name="([^"]+)" value="([^"]+)"\s*\/>/g)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    expect(params.session_id).toMatch(/^sess_/);

    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/telephony/twilio/stream`);
    await new Promise((resolve) => ws.once('open', resolve));
    const outbound: ReturnType<typeof parseTwilioOutbound>[] = [];
    const waiters: (() => void)[] = [];
    ws.on('message', (data: Buffer) => {
      outbound.push(parseTwilioOutbound(data.toString('utf8')));
      for (const w of waiters.splice(0)) w();
    });
    const until = async (pred: () => boolean) => {
      while (!pred()) await new Promise<void>((r) => waiters.push(r));
    };
    const twilio = createTwilioClientScript({ customParameters: params as Record<string, string> });
    ws.send(twilio.connected());
    ws.send(twilio.start());
    const speech = generateTone({
      sampleRate: 8000,
      frequencyHz: 300,
      durationMs: 600,
      amplitude: 0.3,
    }).samples;
    for (const m of twilio.audio(speech)) ws.send(m);
    for (const m of twilio.audio(new Int16Array(8000))) ws.send(m); // 1 s of silence
    await until(() => outbound.some((m) => m.event === 'media'));
    expect(outbound.find((m) => m.event === 'media')).toMatchObject({
      event: 'media',
      streamSid: twilio.streamSid,
    });
    // The caller talks over the answer: Twilio is told to drop what it buffered.
    for (const m of twilio.audio(speech)) ws.send(m);
    for (const m of twilio.audio(new Int16Array(4000))) ws.send(m);
    await until(() => outbound.some((m) => m.event === 'clear'));
    ws.send(twilio.stop());
    ws.close();
  }, 60_000);
});
