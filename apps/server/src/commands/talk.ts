/**
 * `prx-voice talk`: a command-line client. It creates a session over HTTP,
 * attaches to its WebSocket, sends a WAV file at real time (or a text turn),
 * prints every event as it arrives and writes the bot's audio to a WAV.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { createResampler, readWav, writeWav } from '@prx-voice/media';
import { VoiceError } from '@prx-voice/types';
import type { CliIo } from '../cli.js';

/** Options of `prx-voice talk`. */
export interface TalkOptions {
  readonly url?: string;
  readonly key?: string;
  readonly text?: string;
  readonly wav?: string;
  readonly out?: string;
}

const INPUT_RATE = 16000;
const OUTPUT_RATE = 24000;

/** Runs one turn against a server and returns the exit code. */
export async function talkCommand(io: CliIo, o: TalkOptions): Promise<number> {
  const base = (o.url ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
  const key = o.key ?? process.env['PRX_API_KEY'];
  if (key === undefined || key === '')
    throw new VoiceError('VALIDATION_FAILED', {
      message: '--key (or PRX_API_KEY) is required',
    });
  if ((o.text === undefined) === (o.wav === undefined))
    throw new VoiceError('VALIDATION_FAILED', { message: 'give exactly one of --text or --wav' });
  const input = o.wav === undefined ? undefined : toInputRate(readFileSync(o.wav));
  const res = await fetch(`${base}/api/v1/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: '{}',
  });
  const body = (await res.json()) as {
    data: { id: string; ws_url: string } | null;
    error: { code: string; message: string } | null;
  };
  if (body.data === null)
    throw new VoiceError('VALIDATION_FAILED', {
      message: `session not created: ${body.error?.code ?? res.status} ${body.error?.message ?? ''}`,
    });
  io.out(`session ${body.data.id}`);
  const wsUrl = new URL(body.data.ws_url);
  const local = new URL(base);
  wsUrl.host = local.host; // talk to the server we were given, whatever its public URL says
  wsUrl.searchParams.set('token', key);
  const ws = new WebSocket(wsUrl);
  const audio: Buffer[] = [];
  const done = new Promise<number>((resolve, reject) => {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        audio.push(Buffer.from(data));
        return;
      }
      const event = JSON.parse(data.toString('utf8')) as {
        type: string;
        prxseq: number;
        data: unknown;
      };
      io.out(`${String(event.prxseq).padStart(4)} ${event.type} ${JSON.stringify(event.data)}`);
      if (event.type === 'prx.voice.turn.completed') {
        ws.send(JSON.stringify({ type: 'end' }));
      }
    });
    ws.on('close', (code, reason) =>
      code === 1000
        ? resolve(0)
        : reject(
            new VoiceError('PROVIDER_UNAVAILABLE', {
              message: `connection closed ${code} ${reason.toString()}`,
            }),
          ),
    );
    ws.on('error', reject);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  if (o.text !== undefined) ws.send(JSON.stringify({ type: 'input.text', text: o.text }));
  else if (input !== undefined) await sendRealTime(ws, input);
  const code = await done;
  if (o.out !== undefined) {
    const bytes = Buffer.concat(audio);
    const samples = new Int16Array(
      bytes.buffer,
      bytes.byteOffset,
      Math.floor(bytes.byteLength / 2),
    );
    writeFileSync(o.out, writeWav({ sampleRate: OUTPUT_RATE, samples }));
    io.out(`wrote ${o.out} (${((samples.length / OUTPUT_RATE) * 1000).toFixed(0)} ms)`);
  }
  return code;
}

/** The WAV's audio at the session's input rate. */
function toInputRate(bytes: Uint8Array): Int16Array {
  const wav = readWav(bytes, { downmix: true });
  if (wav.sampleRate === INPUT_RATE) return wav.samples;
  const resampler = createResampler({ from: wav.sampleRate, to: INPUT_RATE });
  const head = resampler.process(wav.samples).slice();
  const tail = resampler.flush().slice();
  const out = new Int16Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/** Sends audio in 20 ms frames at real time, then 1.5 s of silence so the turn ends. */
async function sendRealTime(ws: WebSocket, samples: Int16Array): Promise<void> {
  const frame = (INPUT_RATE * 20) / 1000;
  const padded = new Int16Array(samples.length + INPUT_RATE * 1.5);
  padded.set(samples);
  for (let i = 0; i < padded.length; i += frame) {
    const chunk = padded.subarray(i, Math.min(padded.length, i + frame));
    ws.send(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    await new Promise((r) => setTimeout(r, 20));
  }
}
