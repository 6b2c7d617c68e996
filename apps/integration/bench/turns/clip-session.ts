/**
 * One clip of the turn-taking bench over the wire: a fresh session (the mock
 * ASR's transcript array aligned with the clip's utterances), real-time 20 ms
 * frames like a microphone — silence (or the noise bed) with the clip inserted
 * at a known position — and everything that comes back, stamped on the sent
 * audio's clock: ms since the session's audio began, each frame sent once its
 * 20 ms have passed, so at any moment the clock is the audio sent so far (the
 * clock of the server's `at_ms`). For an overlap clip the bot is first made to talk.
 */
import { WebSocket } from 'ws';
import type { RawData } from 'ws';
import { openVoiceSession } from '../voice-target.js';
import type { VoiceTarget } from '../voice-target.js';
import { FRAME_MS, INPUT_FRAME_BYTES, MOCK_TOKEN_DELAY_MS, OUTPUT_BYTES_PER_MS } from '../wire.js';
import { OVERLAP_KINDS } from './corpus.js';
import { CLIP_RATE } from './corpus-tools.js';
import type { Clip } from './corpus.js';
import { rmsOf, samplesOf } from './pcm.js';

/** A server event as it arrived. */
export interface ArrivedEvent {
  /** Arrival order among events and audio frames. */
  readonly seq: number;
  /** Arrival on the sent-audio clock, ms. */
  readonly at: number;
  readonly type: string;
  /** Its `prxrunid`, if any. */
  readonly runId: string | undefined;
  readonly data: Readonly<Record<string, unknown>>;
}

/** A bot audio frame as it arrived. */
export interface ArrivedAudio {
  readonly seq: number;
  readonly at: number;
  /** Its duration, ms. */
  readonly ms: number;
  /** Its RMS, 0–1 of full scale. */
  readonly rms: number;
  /** The run it belongs to: that of the latest run-scoped event before it. */
  readonly runId: string | undefined;
}

/** What one clip session saw. */
export interface SessionLog {
  readonly clipId: string;
  readonly vad: string;
  /** Where the clip's first sample went out, ms on the sent-audio clock (undefined: never sent). */
  readonly clipOffsetMs: number | undefined;
  readonly events: readonly ArrivedEvent[];
  readonly audio: readonly ArrivedAudio[];
  /** When the caller hung up, ms on the sent-audio clock. */
  readonly endedAt: number;
  /** Why the session did not run as planned. */
  readonly failure: string | undefined;
}

/** How long a clip session goes on. */
export interface SessionTiming {
  /** Silence before an utterance clip, ms. */
  readonly leadMs: number;
  /** Bot audio before an overlap clip starts (after its first frame arrived), ms. */
  readonly overlapDelayMs: number;
  /** After an utterance clip, at least this long and until the session listens again, ms. */
  readonly tailMs: number;
  /** After an overlap clip, ms. */
  readonly overlapTailMs: number;
  /** Never longer after the clip than this, ms. */
  readonly maxTailMs: number;
}

/** Events whose `prxrunid` names the run of the audio that follows them. */
const RUN_EVENTS = new Set([
  'prx.voice.agent.thinking_started',
  'prx.voice.tts.segment_queued',
  'prx.voice.tts.chunk_ready',
  'prx.voice.playback.started',
]);
const SAMPLES_PER_FRAME = INPUT_FRAME_BYTES / 2;

/** The frame due at `index`: the bed (if any) and the clip where it lies. */
function frameAt(clip: Clip, index: number, clipOffsetMs: number | undefined): Buffer {
  const frame = Buffer.alloc(INPUT_FRAME_BYTES);
  const first = index * SAMPLES_PER_FRAME;
  const clipStart = clipOffsetMs === undefined ? undefined : samplesOf(clipOffsetMs, CLIP_RATE);
  const bed = clip.bed;
  for (let i = 0; i < SAMPLES_PER_FRAME; i++) {
    const n = first + i;
    let v = bed === undefined ? 0 : bed.gain * (bed.samples[n % bed.samples.length] ?? 0);
    if (clipStart !== undefined && n >= clipStart) v += clip.samples[n - clipStart] ?? 0;
    frame.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(v))), i * 2);
  }
  return frame;
}

function pcmRms(data: Buffer): number {
  // A copy: the frame's bytes may not be 2-byte aligned in their buffer.
  const copy = new Uint8Array(data);
  return rmsOf(new Int16Array(copy.buffer, 0, Math.floor(copy.length / 2)));
}

function connect(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Runs `clip` on a fresh session with `vad`; never throws for what happens on the wire. */
export async function runClipSession(opts: {
  readonly target: VoiceTarget;
  readonly clip: Clip;
  readonly vad: string;
  /** The `input.text` that makes the bot talk before an overlap clip. */
  readonly botPrompt: string;
  readonly timing: SessionTiming;
}): Promise<SessionLog> {
  const { clip, timing } = opts;
  const overlap = OVERLAP_KINDS.includes(clip.kind);
  const url = await openVoiceSession(opts.target, {
    vad: opts.vad,
    providerOptions: {
      asr: { transcript: clip.transcript },
      agent: { token_delay_ms: MOCK_TOKEN_DELAY_MS },
    },
  });
  const ws = await connect(url);
  const events: ArrivedEvent[] = [];
  const audio: ArrivedAudio[] = [];
  const t0 = performance.now();
  const clock = (): number => performance.now() - t0;
  let seq = 0;
  let run: string | undefined;
  let state = 'Listening';
  let clipOffsetMs = overlap ? undefined : timing.leadMs;
  let failure: string | undefined;
  ws.on('message', (data: RawData, isBinary: boolean) => {
    const buf = Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.isBuffer(data)
        ? data
        : Buffer.from(data);
    if (isBinary) {
      const at = clock();
      audio.push({
        seq: seq++,
        at,
        ms: buf.length / OUTPUT_BYTES_PER_MS,
        rms: pcmRms(buf),
        runId: run,
      });
      // The clip starts once the bot has talked for a while.
      if (overlap && clipOffsetMs === undefined) {
        clipOffsetMs = Math.ceil((at + timing.overlapDelayMs) / FRAME_MS) * FRAME_MS;
      }
      return;
    }
    let event: { type?: unknown; prxrunid?: unknown; data?: unknown };
    try {
      event = JSON.parse(buf.toString('utf8')) as typeof event;
    } catch {
      failure ??= `malformed text frame: ${buf.toString('utf8').slice(0, 120)}`;
      return;
    }
    const type = String(event.type);
    const runId = typeof event.prxrunid === 'string' ? event.prxrunid : undefined;
    const payload = (
      typeof event.data === 'object' && event.data !== null ? event.data : {}
    ) as Record<string, unknown>;
    if (RUN_EVENTS.has(type) && runId !== undefined) run = runId;
    if (type === 'prx.voice.session.state_changed') state = String(payload['to']);
    if (type === 'prx.voice.session.failed')
      failure ??= `session failed: ${JSON.stringify(payload)}`;
    events.push({ seq: seq++, at: clock(), type, runId, data: payload });
  });
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  let socketGone = false;
  void closed.then(() => {
    socketGone = true;
  });
  if (overlap) ws.send(JSON.stringify({ type: 'input.text', text: opts.botPrompt }));

  const clipEnd = (): number | undefined =>
    clipOffsetMs === undefined
      ? undefined
      : clipOffsetMs + (clip.samples.length * 1000) / CLIP_RATE;
  /** Whether the caller has seen enough at `now` (ms on the clock). */
  const done = (now: number): boolean => {
    if (socketGone) {
      failure ??= 'the socket closed';
      return true;
    }
    if (failure !== undefined) return true;
    const end = clipEnd();
    if (end === undefined) {
      if (now > 8_000) failure = 'the bot never talked';
      return now > 8_000;
    }
    if (now >= end + timing.maxTailMs) return true;
    if (overlap) return now >= end + timing.overlapTailMs;
    return now >= end + timing.tailMs && state === 'Listening';
  };

  await new Promise<void>((resolve) => {
    // Like a microphone: frame k (audio [20k, 20k + 20) ms) goes out once it has been captured.
    let index = 0;
    const tick = (): void => {
      let now = clock();
      while ((index + 1) * FRAME_MS <= now) {
        if (ws.readyState === ws.OPEN) ws.send(frameAt(clip, index, clipOffsetMs));
        index += 1;
        now = clock();
      }
      if (done(now)) resolve();
      else setTimeout(tick, Math.max(0, (index + 1) * FRAME_MS - now));
    };
    tick();
  });
  const endedAt = clock();
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'end' }));
  await Promise.race([closed, new Promise((r) => setTimeout(r, 3_000))]);
  ws.terminate();
  return { clipId: clip.id, vad: opts.vad, clipOffsetMs, events, audio, endedAt, failure };
}
