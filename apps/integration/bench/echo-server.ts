/**
 * Child-process entry of the load bench: the baseline, a bare `ws` server with
 * no orchestration. Per connection it is a parrot: it holds the caller's
 * non-silent 20 ms frames and, at the first silent frame after them, plays
 * them back — each upsampled to the voice server's output frame (20 ms of
 * PCM16 at 24 kHz, 960 bytes) — paced at real time by the voice server's rule
 * (send while the listener would be at most the lead behind; see
 * `pacingDeviations` in `stats.ts`). So the client drives it exactly as it
 * drives the voice server and measures it the same way. `BENCH_OUTPUT_FRAME_MS` (a multiple
 * of 20, default 20): it sends that many ms per message, as the voice server does when a
 * session asks for `output_frame_ms`.
 */
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { serveParent } from './child-ipc.js';
import { FRAME_MS, OUTPUT_BYTES_PER_MS, PACER_LEAD_MS } from './wire.js';

const OUTPUT_FRAME_SAMPLES = (OUTPUT_BYTES_PER_MS * FRAME_MS) / 2;
/** Input frames per outbound message. */
const FRAMES_PER_MESSAGE = Number(process.env['BENCH_OUTPUT_FRAME_MS'] ?? FRAME_MS) / FRAME_MS;
if (!Number.isInteger(FRAMES_PER_MESSAGE) || FRAMES_PER_MESSAGE < 1)
  throw new Error(`echo server: BENCH_OUTPUT_FRAME_MS must be a multiple of ${String(FRAME_MS)}`);

/** Whether a PCM16 frame is all zeros (the bench's callers send digital silence). */
function silent(frame: Buffer): boolean {
  for (let i = 0; i < frame.length; i++) if (frame[i] !== 0) return false;
  return true;
}

/** One inbound PCM16 frame (any rate) stretched to an output frame by nearest-neighbour resampling. */
function toOutputFrame(frame: Buffer): Buffer {
  const inSamples = frame.length >> 1;
  const out = Buffer.alloc(OUTPUT_FRAME_SAMPLES * 2);
  for (let j = 0; j < OUTPUT_FRAME_SAMPLES; j++) {
    out.writeInt16LE(
      frame.readInt16LE(2 * Math.floor((j * inSamples) / OUTPUT_FRAME_SAMPLES)),
      2 * j,
    );
  }
  return out;
}

/** Audio in a message, ms. */
const msOf = (message: Buffer | undefined): number =>
  message === undefined ? 0 : message.length / OUTPUT_BYTES_PER_MS;

function attach(ws: WebSocket): void {
  const held: Buffer[] = [];
  const queue: Buffer[] = [];
  let t0 = 0;
  let sentMs = 0;
  let timer: NodeJS.Timeout | undefined;

  function pump(): void {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && sentMs + msOf(queue[0]) - (now - t0) <= PACER_LEAD_MS + 1e-6) {
      const message = queue.shift();
      if (message === undefined || ws.readyState !== ws.OPEN) return;
      ws.send(message);
      sentMs += msOf(message);
    }
    if (queue.length > 0) {
      const due = t0 + sentMs + msOf(queue[0]) - PACER_LEAD_MS;
      timer = setTimeout(pump, Math.max(0, Math.ceil(due - now)));
    }
  }

  function play(frames: Buffer[]): void {
    const now = performance.now();
    // The listener heard everything sent: a new playback starts now.
    if (queue.length === 0 && now - t0 >= sentMs) {
      t0 = now;
      sentMs = 0;
    }
    if (FRAMES_PER_MESSAGE === 1) queue.push(...frames);
    else {
      for (let i = 0; i < frames.length; i += FRAMES_PER_MESSAGE)
        queue.push(Buffer.concat(frames.slice(i, i + FRAMES_PER_MESSAGE)));
    }
    if (timer === undefined) pump();
  }

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary || data.length < 2) return;
    if (!silent(data)) held.push(toOutputFrame(data));
    else if (held.length > 0) play(held.splice(0));
  });
  ws.on('close', () => {
    if (timer !== undefined) clearTimeout(timer);
    queue.length = 0;
  });
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
await new Promise<void>((resolve, reject) => {
  wss.once('listening', resolve);
  wss.once('error', reject);
});
wss.on('connection', attach);
const address = wss.address();
if (address === null || typeof address === 'string')
  throw new Error(`echo server: unexpected address ${String(address)}`);
serveParent({
  url: `ws://127.0.0.1:${address.port}`,
  stop: () =>
    new Promise<void>((resolve) => {
      for (const client of wss.clients) client.terminate();
      wss.close(() => resolve());
    }),
});
