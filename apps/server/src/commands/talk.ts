/**
 * `prx-voice talk`: a command-line client. It creates a session over HTTP,
 * attaches to its WebSocket, sends a WAV file at real time (or a text turn),
 * prints every event as it arrives and writes the bot's audio to a WAV. It
 * behaves as a client that plays the audio it receives: what a
 * `playback.flushed` clears is dropped (the WAV holds what a listener heard),
 * and it reports its playback position so the server keeps exactly the words heard.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { createResampler, readWav, writeWav } from '@prx-voice/media';
import { createClientPlayout } from '@prx-voice/transport';
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
/** PCM16 mono at the output rate. */
const OUTPUT_BYTES_PER_MS = (OUTPUT_RATE * 2) / 1000;
/** How often the playback position is reported. */
const POSITION_EVERY_MS = 100;

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
  let audioBytes = 0;
  const playout = createClientPlayout();
  let reported = '';
  const reporter = setInterval(() => {
    const p = playout.position(Date.now());
    const line = p === undefined ? '' : `${p.segmentId}:${String(Math.floor(p.playedMs))}`;
    if (p === undefined || line === reported || ws.readyState !== WebSocket.OPEN) return;
    reported = line;
    ws.send(
      JSON.stringify({ type: 'playback.position', segment_id: p.segmentId, played_ms: p.playedMs }),
    );
  }, POSITION_EVERY_MS);
  const done = new Promise<number>((resolve, reject) => {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        audio.push(Buffer.from(data));
        audioBytes += data.length;
        playout.audio(data.length / OUTPUT_BYTES_PER_MS, Date.now());
        return;
      }
      const event = JSON.parse(data.toString('utf8')) as {
        type: string;
        prxseq: number;
        data: unknown;
      };
      io.out(`${String(event.prxseq).padStart(4)} ${event.type} ${JSON.stringify(event.data)}`);
      if (event.type === 'prx.voice.playback.flushed') {
        // Drop what had not been played yet: it is the tail of what was received.
        const droppedBytes = Math.round(playout.flush(Date.now()) * OUTPUT_BYTES_PER_MS) & ~1;
        audioBytes = Math.max(0, audioBytes - droppedBytes);
        const kept = Buffer.concat(audio).subarray(0, audioBytes);
        audio.splice(0, audio.length, kept);
      } else {
        playout.event(event, Date.now());
      }
      if (event.type === 'prx.voice.turn.completed') {
        ws.send(JSON.stringify({ type: 'end' }));
      }
    });
    ws.on('close', (code, reason) => {
      clearInterval(reporter);
      return code === 1000
        ? resolve(0)
        : reject(
            new VoiceError('PROVIDER_UNAVAILABLE', {
              message: `connection closed ${code} ${reason.toString()}`,
            }),
          );
    });
    ws.on('error', (err) => {
      clearInterval(reporter);
      reject(err);
    });
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
