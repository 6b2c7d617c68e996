import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createResampler, readWav } from '@prx-voice/media';
import { startServer } from '@prx-voice/server';
import type { RunningServer } from '@prx-voice/server';

function has(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const available = has('espeak-ng') && has('pocketsphinx_continuous');
if (!available && process.env.CI !== undefined)
  throw new Error('espeak-ng and pocketsphinx must be installed in CI');

const KEY = 'pk_integration_offline_key_0123456789ab';
const GRAMMAR =
  '#JSGF V1.0; grammar cmd; public <cmd> = (turn | switch) (on | off) the (light | fan) | what time is it | hello there;';
const SCRIPT = {
  intents: [
    {
      name: 'lights',
      patterns: ['/(turn|switch) (?<state>on|off) the (?<thing>light|fan)/'],
      reply: 'Okay, the {thing} is {state}.',
    },
    { name: 'greeting', patterns: ['hello'], reply: 'Hello to you too.' },
  ],
  fallback: 'Sorry, I did not catch that.',
};
const dir = mkdtempSync(join(tmpdir(), 'prx-offline-'));
let server: RunningServer;

beforeAll(async () => {
  if (!available) return;
  server = await startServer({
    load: {
      cwd: dir,
      env: {
        PRX_VOICE_SERVER__PORT: '0',
        // Sessions left live at the end: a short drain, not the default 30 s.
        PRX_VOICE_SERVER__SHUTDOWN_TIMEOUT_MS: '300',
        PRX_VOICE_SERVER__HOST: '127.0.0.1',
        PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: KEY,
        PRX_VOICE_STORAGE__DATA_DIR: 'data',
        PRX_VOICE_ADAPTERS__PROVIDERS__SCRIPTED: JSON.stringify({ script: SCRIPT }),
      },
    },
    log: (line) => process.stderr.write(`SERVER: ${line}\n`),
  });
}, 120_000);
afterAll(async () => {
  if (available) await server.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

/** espeak-ng speaking `text`, as 16 kHz PCM16. */
function speak(text: string): Int16Array {
  const file = join(dir, `${text.replace(/\W+/g, '_')}.wav`);
  execFileSync('espeak-ng', ['-v', 'en-us+f2', '-w', file, text]);
  const wav = readWav(readFileSync(file));
  const r = createResampler({ from: wav.sampleRate, to: 16000 });
  const a = r.process(wav.samples).slice();
  const b = r.flush().slice();
  const out = new Int16Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

describe.skipIf(!available)(
  'fully offline over the WebSocket: espeak-ng → pocketsphinx → scripted agent → espeak-ng',
  () => {
    it.each([
      ['turn on the light', 'Okay, the light is on.'],
      ['switch off the fan', 'Okay, the fan is off.'],
    ])(
      '"%s" is transcribed and answered "%s" with speech',
      async (sentence, reply) => {
        const res = await fetch(`${server.url}/api/v1/sessions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
          // No providers named: the default configuration (`auto`) picks the local engines.
          body: JSON.stringify({ provider_options: { asr: { grammar: GRAMMAR } } }),
        });
        const created = (await res.json()) as {
          data: { ws_url: string; providers: Record<string, string> };
        };
        expect(created.data.providers).toMatchObject({
          asr: 'pocketsphinx',
          agent: 'scripted',
          tts: 'espeak',
        });
        const ws = new WebSocket(`${created.data.ws_url}?token=${KEY}`);
        await new Promise((resolve) => ws.once('open', resolve));
        let audioBytes = 0;
        const completed = new Promise<Record<string, unknown>>((resolve) => {
          ws.on('message', (data: Buffer, isBinary: boolean) => {
            if (isBinary) {
              audioBytes += data.length;
              return;
            }
            const event = JSON.parse(data.toString('utf8')) as {
              type: string;
              data: Record<string, unknown>;
            };
            if (event.type === 'prx.voice.turn.completed') resolve(event.data);
          });
        });
        const speech = speak(sentence);
        const padded = new Int16Array(speech.length + 16000 * 2);
        padded.set(speech, 8000); // 0.5 s of silence before, 1.5 s after
        // At real time, as a caller speaks: the VAD (auto: Silero where it runs) scores windows
        // asynchronously, and the ASR gets the audio from the speech onset's pre-roll on.
        for (let i = 0; i < padded.length; i += 320) {
          const chunk = padded.subarray(i, i + 320);
          ws.send(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const turn = await completed;
        expect(String(turn.user_text).toLowerCase()).toBe(sentence);
        expect(turn.assistant_text).toBe(reply);
        expect(audioBytes).toBeGreaterThan(24000 * 2 * 0.5); // at least half a second of spoken answer
        ws.send(JSON.stringify({ type: 'end' }));
        ws.close();
      },
      120_000,
    );
  },
);
