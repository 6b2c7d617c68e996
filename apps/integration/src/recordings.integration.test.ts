/**
 * Recordings and GDPR over the wire, against the real binary (`prx-voice serve` as a child
 * process, on PostgreSQL when `DATABASE_URL` is set, else on its embedded defaults).
 *
 * A session created with `record: true` and a caller number is streamed live caller audio
 * over its WebSocket (20 ms PCM16 frames in real time: silence, a 1 kHz tone, silence) and
 * answered by the mock bot (a 440 Hz tone). Its stereo WAV, downloaded over HTTP, has the
 * caller's tone on the left and the bot's answer on the right where the transport received
 * and sent them: the offset between the two channels' onsets matches the offset between
 * the client's send of the tone and its receipt of the first audio frame within 20 ms
 * (comparing offsets cancels the recording's unknown start time). The recording's events
 * are in the session's log and its counters in `/metrics`.
 *
 * Then the data subject is exported through the signed link (no credential; the manifest's
 * SHA-256s hold; that subject's sessions only) and erased: its recordings and the export
 * are gone, another subject's recording stays, and the audit log has both calls, verifies
 * — over HTTP and with `prx-voice audit verify` once the server has stopped — and never
 * holds the caller number.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvent } from '@prx-voice/event';
import type { AnyVoiceEvent } from '@prx-voice/event';
import { generateTone, readWav } from '@prx-voice/media';
import { runCli } from '@prx-voice/server';
import { freshDatabase, loggedEvents, until } from './support/cluster.ts';
import { startServerProcess } from './support/server-process.ts';
import type { ServerProcess } from './support/server-process.ts';
import { connectWs } from './support/ws-client.ts';
import type { WsClient } from './support/ws-client.ts';

const KEY = 'pk_integration_recordings_key_01234567';
const MASTER_KEY = Buffer.alloc(32, 0x5a).toString('base64');
/** The recorded caller, a data subject; and another one. */
const NUMBER = '+15550142';
const OTHER_NUMBER = '+15550199';
const FRAME_MS = 20;
const IN_RATE = 16_000;
/** The recording's rate: max(input 16 kHz, output 24 kHz). */
const REC_RATE = 24_000;
/** Peaks of the caller's tone (amplitude 0.5) and of the mock TTS's (0.3). */
const CALLER_AMPLITUDE = 0.5 * 32_767;
const BOT_AMPLITUDE = 0.3 * 32_767;
/** A sample louder than this is sound. */
const LOUD = 2_000;
/**
 * How far the channels' relative offset may be from the transport's: the requirement.
 * Over loopback the client's send and receive times are the server's receive and send
 * times to well under a millisecond when neither process stalls; what remains is onset
 * detection (a sample or two at 24 kHz) and the timer resolution of each side (~1 ms).
 * Measured on a quiet machine: 1–5 ms.
 */
const ALIGN_MS = 20;
/**
 * Calls of the subject made at most to find one aligned within {@link ALIGN_MS}. The recorder
 * places a caller stretch by its arrival and appends later frames at its head, moving the
 * stretch back where frames run ahead of the clock (its first frames handled late); a stall
 * of either process during the call can still stretch a channel or delay the client's view
 * of the bot's first frame. On a loaded machine (CI, or several test runs on two cores) such
 * stalls happen; each attempt prints its error and the stalls measured (server and client
 * event-loop delay, client send lateness).
 */
const ATTEMPTS = 5;

const pgBase = process.env.DATABASE_URL;
const onPostgres = pgBase !== undefined && pgBase !== '';
const dir = mkdtempSync(join(tmpdir(), 'prx-recordings-'));
let db: { url: string; drop(): Promise<void> } | undefined;
let server: ServerProcess;
let env: Record<string, string>;

beforeAll(async () => {
  if (onPostgres) db = await freshDatabase(pgBase, 'prx_recordings');
  env = {
    PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: KEY,
    PRX_VOICE_STORAGE__DATA_DIR: 'data',
    PRX_VOICE_SERVER__SHUTDOWN_TIMEOUT_MS: '300',
    PRX_VOICE_ADAPTERS__ASR__PROVIDER: 'mock',
    PRX_VOICE_ADAPTERS__AGENT__PROVIDER: 'mock',
    PRX_VOICE_ADAPTERS__TTS__PROVIDER: 'mock',
    // The caller's speech is a tone: the energy VAD hears it (Silero would not).
    PRX_VOICE_ADAPTERS__VAD__PROVIDER: 'energy',
    PRX_VOICE_AUDIT__RECORDING__CHUNK_MS: '1000',
    PRX_VOICE_AUDIT__SUBJECTS__MASTER_KEY: MASTER_KEY,
    ...(db === undefined ? {} : { DATABASE_URL: db.url }),
  };
  server = await startServerProcess(dir, env);
}, 120_000);

afterAll(async () => {
  try {
    if (server.child.exitCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
  } finally {
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The REST API with the bootstrap key (`token: ''`: no credential); the body read as JSON or bytes. */
async function call(
  method: string,
  path: string,
  body?: unknown,
  token = KEY,
): Promise<{ status: number; headers: Headers; bytes: Uint8Array; json(): unknown }> {
  const res = await fetch(`${server.url}${path.startsWith('/api/') ? path : `/api/v1${path}`}`, {
    method,
    headers: {
      ...(token === '' ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(20_000),
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  return {
    status: res.status,
    headers: res.headers,
    bytes,
    json: () => (JSON.parse(Buffer.from(bytes).toString('utf8')) as { data: unknown }).data,
  };
}

interface Recording {
  readonly id: string;
  readonly session_id: string;
  readonly sample_rate: number;
  readonly channels: number;
  readonly duration_ms: number;
  readonly size_bytes: number;
  readonly sealed: boolean;
  readonly download_url: string;
}

/** The session's recordings once its file has been joined (polled: that happens after the end). */
async function recordingsOf(sessionId: string): Promise<Recording[]> {
  const list = () => call('GET', `/sessions/${sessionId}/recordings`);
  const res = await until(
    list,
    (r) => r.status === 200 && (r.json() as { items: Recording[] }).items.length > 0,
    15_000,
  );
  expect(res.status).toBe(200);
  return (res.json() as { items: Recording[] }).items;
}

/** A session created with `body`, its WebSocket connected; `createdWithin` brackets the creation on the client's clock. */
async function openSession(body: Record<string, unknown>): Promise<{
  id: string;
  client: WsClient;
  createdWithin: { from: number; to: number };
}> {
  const from = performance.now();
  const created = await call('POST', '/sessions', { channel: 'websocket', ...body });
  const to = performance.now();
  expect(created.status).toBe(201);
  const { id, ws_url } = created.json() as { id: string; ws_url: string };
  const client = await connectWs(`${ws_url}?token=${KEY}`);
  return { id, client, createdWithin: { from, to } };
}

/** The server's longest event-loop delay since the last scrape of its metrics, ms. */
async function serverLoopDelayMs(): Promise<number> {
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  const max = /^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(metrics);
  expect(max).not.toBeNull();
  return Number(max?.[1]) * 1000;
}

/** Resolves at `at` on the performance clock. */
const sleepUntil = (at: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, at - performance.now())));

/**
 * A live caller: a 20 ms PCM16 frame every 20 ms on an absolute schedule (no drift) —
 * `toneFrom` frames of silence, `toneFrames` of a 1 kHz tone, then silence until `done()`
 * holds (bounded by `maxMs`). Returns when the first tone frame was sent, and how late the
 * latest frame was sent.
 */
async function talk(
  client: WsClient,
  o: { toneFrom: number; toneFrames: number; done: () => boolean; maxMs: number },
): Promise<{ toneSentAt: number; lateMs: number }> {
  const tone = generateTone({
    sampleRate: IN_RATE,
    frequencyHz: 1_000,
    durationMs: FRAME_MS,
    amplitude: 0.5,
  }).samples;
  const speech = Buffer.from(tone.buffer, tone.byteOffset, tone.byteLength);
  const silence = Buffer.alloc(speech.length);
  const start = performance.now();
  let toneSentAt = Number.NaN;
  let lateMs = 0;
  for (let k = 0; ; k++) {
    const speaking = k >= o.toneFrom && k < o.toneFrom + o.toneFrames;
    if (!speaking && k > o.toneFrom && (o.done() || k * FRAME_MS > o.maxMs)) break;
    await sleepUntil(start + k * FRAME_MS);
    const now = performance.now();
    lateMs = Math.max(lateMs, now - (start + k * FRAME_MS));
    if (k === o.toneFrom) toneSentAt = now;
    client.ws.send(speaking ? speech : silence);
  }
  return { toneSentAt, lateMs };
}

/** The two channels of a stereo PCM16 WAV file (checked by `readWav` first). */
function channels(wav: Uint8Array): { rate: number; left: Int16Array; right: Int16Array } {
  const parsed = readWav(wav, { downmix: true });
  expect(parsed.channels).toBe(2);
  const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
  expect(String.fromCharCode(...wav.subarray(36, 40))).toBe('data');
  const frames = view.getUint32(40, true) / 4;
  const left = new Int16Array(frames);
  const right = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    left[i] = view.getInt16(44 + i * 4, true);
    right[i] = view.getInt16(46 + i * 4, true);
  }
  return { rate: parsed.sampleRate, left, right };
}

/** Index of the first loud sample at or after `from`, or -1. */
function onset(samples: Int16Array, from = 0): number {
  for (let i = from; i < samples.length; i++) if (Math.abs(samples[i] as number) > LOUD) return i;
  return -1;
}

/** Index of the last loud sample, or -1. */
function offset(samples: Int16Array): number {
  for (let i = samples.length - 1; i >= 0; i--) if (Math.abs(samples[i] as number) > LOUD) return i;
  return -1;
}

/** How many ms of a full-scale sine of `amplitude` the samples' energy amounts to. */
function toneMs(samples: Int16Array, amplitude: number): number {
  let energy = 0;
  for (const x of samples) energy += x * x;
  return ms(energy / ((amplitude * amplitude) / 2));
}
const ms = (samples: number): number => (samples * 1000) / REC_RATE;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The files of a tar archive. */
function untar(bytes: Uint8Array): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (let pos = 0; pos + 512 <= bytes.length;) {
    const header = bytes.subarray(pos, pos + 512);
    if (header.every((b) => b === 0)) break;
    const name = Buffer.from(header.subarray(0, 100)).toString('latin1').replace(/\0.*$/s, '');
    const size = parseInt(Buffer.from(header.subarray(124, 136)).toString('latin1'), 8);
    files.set(name, bytes.subarray(pos + 512, pos + 512 + size));
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** Every record of the tenant's audit log, following the cursor. */
async function auditLog(): Promise<{ action: string }[]> {
  const records: { action: string }[] = [];
  let cursor: string | null = null;
  do {
    const page = await call(
      'GET',
      `/audit?limit=100${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
    );
    expect(page.status).toBe(200);
    const data = page.json() as { items: { action: string }[]; next_cursor: string | null };
    records.push(...data.items);
    cursor = data.next_cursor;
  } while (cursor !== null);
  return records;
}

/**
 * A session's durable log as SSE, including what was logged after its terminal event (a
 * replay stops at `session.closed`; the recording's `stopped` comes after it, once the file
 * is joined — see the module's notes), read until nothing more comes.
 */
async function sessionLog(id: string): Promise<AnyVoiceEvent[]> {
  const events = [...(await loggedEvents(server, KEY, id))];
  for (let i = 0; i < 10; i++) {
    const res = await fetch(
      `${server.url}/api/v1/sessions/${id}/events?after_seq=${String(events.at(-1)?.prxseq ?? 0)}`,
      { headers: { authorization: `Bearer ${KEY}` }, signal: AbortSignal.timeout(20_000) },
    );
    expect(res.status).toBe(200);
    const more = (await res.text())
      .split('\n\n')
      .map((block) =>
        block
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.replace(/^data: ?/, ''))
          .join('\n'),
      )
      .filter((data) => data !== '')
      .map((data) => parseEvent(data));
    if (more.length === 0) break;
    events.push(...more);
  }
  return events;
}

/** A recorded call as the client made it and the server stored it. */
interface RecordedCall {
  readonly id: string;
  readonly recording: Recording;
  readonly wav: Uint8Array;
  /** Onsets of the caller's tone (left) and the bot's answer (right), ms into the recording. */
  readonly callerOnsetMs: number;
  readonly botOnsetMs: number;
  /** How long each was heard in the recording, ms (800 and 750 as sent, longer with gaps). */
  readonly callerToneMs: number;
  readonly botAnswerMs: number;
  /** On the client's clock: when the caller's tone began, when the first audio frame arrived. */
  readonly callerAt: number;
  readonly firstAudioAt: number;
  /** The create request, on the client's clock: the recording started within it. */
  readonly createdWithin: { readonly from: number; readonly to: number };
  /** (bot onset − caller onset) − (first audio received − caller's tone began), ms. */
  readonly alignmentErrorMs: number;
  /** The same with the server's stamp of its first audio frame's send for the receipt (whole ms, wall clock). */
  readonly sentErrorMs: number;
  /** The description printed for the call. */
  readonly summary: string;
}

/**
 * Makes a recorded call of the subject `caller_number` = `number`: its caller streams
 * live audio from `startAfterMs` after the session was created — 0.5 s of silence, 0.8 s
 * of tone (it speaks), then silence while the bot answers until 300 ms after the answer
 * has played out — and ends it; the recording is downloaded, decoded and checked for what
 * holds whatever the timing: both sides there, nothing lost, each silent where only the
 * other spoke.
 */
async function recordedCall(number: string, startAfterMs: number): Promise<RecordedCall> {
  const { id, client, createdWithin } = await openSession({
    record: true,
    metadata: { caller_number: number },
  });
  await sleepUntil(createdWithin.to + startAfterMs);
  // Stalls of either process during the call: the server's event-loop delay (its metric is
  // reset by each scrape), the client's own.
  await serverLoopDelayMs();
  const clientDelay = monitorEventLoopDelay({ resolution: 5 });
  clientDelay.enable();
  let firstAudioAt = Number.NaN;
  client.ws.on('message', (_data: Buffer, isBinary: boolean) => {
    if (isBinary && Number.isNaN(firstAudioAt)) firstAudioAt = performance.now();
  });
  const seen = (type: string) => client.events.some((e) => e.type === type);
  let playedAt: number | undefined;
  const { toneSentAt, lateMs } = await talk(client, {
    toneFrom: 25,
    toneFrames: 40,
    maxMs: 15_000,
    done: () => {
      if (playedAt === undefined && seen('prx.voice.playback.completed'))
        playedAt = performance.now();
      return playedAt !== undefined && performance.now() - playedAt >= 300;
    },
  });
  clientDelay.disable();
  const serverDelayMs = await serverLoopDelayMs();
  expect(seen('prx.voice.turn.completed')).toBe(true);
  expect(Number.isNaN(firstAudioAt)).toBe(false);
  // The server's own time of its first audio frame (its playback.started event, stamped as
  // the frame goes out, whole ms), on our clock: free of our event loop's delays.
  const started = client.events.find((e) => e.type === 'prx.voice.playback.started');
  const serverSentAt = Date.parse(started?.time ?? '') - performance.timeOrigin;
  client.ws.send(JSON.stringify({ type: 'end' }));
  expect((await client.closed).code).toBe(1000);

  const [recording, ...more] = await recordingsOf(id);
  expect(more).toEqual([]);
  expect(recording).toMatchObject({ session_id: id, sample_rate: REC_RATE, channels: 2 });
  if (recording === undefined) throw new Error(`no recording of ${id}`);
  const download = await call('GET', recording.download_url);
  expect(download.status).toBe(200);
  expect(download.headers.get('content-type')).toBe('audio/wav');
  expect(download.bytes.length).toBe(recording.size_bytes);
  const { rate, left, right } = channels(download.bytes);
  expect(rate).toBe(REC_RATE);
  expect(Math.abs(ms(left.length) - recording.duration_ms)).toBeLessThanOrEqual(1);
  const [l0, l1, r0, r1] = [onset(left), offset(left), onset(right), offset(right)];
  expect(l0).toBeGreaterThan(0);
  expect(r0).toBeGreaterThan(0);
  // Nothing lost, nothing doubled, whatever the timing: each channel holds the energy of
  // exactly what was said — the caller's 800 ms of tone, the bot's 15 characters × 50 ms.
  expect(Math.abs(toneMs(left, CALLER_AMPLITUDE) - 800)).toBeLessThanOrEqual(FRAME_MS);
  expect(Math.abs(toneMs(right, BOT_AMPLITUDE) - 750)).toBeLessThanOrEqual(FRAME_MS);
  // Their spans: as long, or longer where a stall left a gap between frames.
  const callerToneMs = ms(l1 - l0);
  const botAnswerMs = ms(r1 - r0);

  // A live source sends a frame once it has captured it: the caller's tone began one frame
  // before its first frame was sent. The bot's answer began when its first frame was sent.
  const callerAt = toneSentAt - FRAME_MS;
  const callerOnsetMs = ms(l0);
  const botOnsetMs = ms(r0);
  const alignmentErrorMs = botOnsetMs - callerOnsetMs - (firstAudioAt - callerAt);
  const sentErrorMs = botOnsetMs - callerOnsetMs - (serverSentAt - callerAt);
  const { from, to } = createdWithin;
  const summary =
    `caller onset ${callerOnsetMs.toFixed(1)} ms (transport ${(callerAt - to).toFixed(1)}…${(callerAt - from).toFixed(1)}), ` +
    `bot onset ${botOnsetMs.toFixed(1)} ms (transport ${(firstAudioAt - to).toFixed(1)}…${(firstAudioAt - from).toFixed(1)}); ` +
    `channel offset ${(botOnsetMs - callerOnsetMs).toFixed(1)} ms, transport ${(firstAudioAt - callerAt).toFixed(1)} ms: ` +
    `error ${alignmentErrorMs.toFixed(1)} ms (by the server's send time ${sentErrorMs.toFixed(1)} ms); tone ${callerToneMs.toFixed(0)} ms, answer ${botAnswerMs.toFixed(0)} ms; ` +
    `stalls: server ${serverDelayMs.toFixed(0)} ms, client ${(clientDelay.max / 1e6).toFixed(0)} ms, send ${lateMs.toFixed(0)} ms late`;
  process.stderr.write(
    `recording of ${number} (caller from ${String(startAfterMs)} ms): ${summary}\n`,
  );
  return {
    id,
    recording,
    wav: download.bytes,
    callerOnsetMs,
    botOnsetMs,
    callerToneMs,
    botAnswerMs,
    callerAt,
    firstAudioAt,
    createdWithin,
    alignmentErrorMs,
    sentErrorMs,
    summary,
  };
}

/**
 * Whether a call is aligned as required: the offsets within {@link ALIGN_MS} — the bot's
 * side taken as the client received its first frame or as the server stamped its send
 * (a stall of the client delays the one, the wall clock's whole ms blur the other) —
 * neither side stretched by a gap, the caller done before the bot began (as on the wire: the bot answers
 * once the caller has been silent for its endpointing time).
 */
const aligned = (c: RecordedCall): boolean =>
  Math.min(Math.abs(c.alignmentErrorMs), Math.abs(c.sentErrorMs)) <= ALIGN_MS &&
  Math.abs(c.callerToneMs - 800) <= ALIGN_MS &&
  Math.abs(c.botAnswerMs - 750) <= ALIGN_MS &&
  c.callerOnsetMs + c.callerToneMs < c.botOnsetMs;

/** The calls of the first test, for the GDPR test: the subject's, and another subject's. */
const subjectCalls: RecordedCall[] = [];
let otherCall: RecordedCall | undefined;

describe('recordings over the wire', () => {
  it('records the caller left and the bot right, aligned with what the transport received and sent', async () => {
    // Another subject's call first, its caller starting at once. It is the server's first
    // inbound audio (lazily loaded code, a cold JIT: its first frames are handled late)
    // and its first frame may come within a frame of the recording's start (then it is
    // placed at the start): it is not held to 20 ms — it is printed.
    otherCall = await recordedCall(OTHER_NUMBER, 0);
    expect(otherCall.recording.sealed).toBe(true);

    // The subject's call, on a server that has handled audio, its caller starting 200 ms
    // into the recording; again if a stall disturbed it.
    let c: RecordedCall | undefined;
    while (c === undefined && subjectCalls.length < ATTEMPTS) {
      const made = await recordedCall(NUMBER, 200);
      subjectCalls.push(made);
      if (aligned(made)) c = made;
    }
    if (c === undefined)
      throw new Error(
        `no call aligned within ${String(ALIGN_MS)} ms in ${String(ATTEMPTS)}:\n${subjectCalls.map((m) => m.summary).join('\n')}`,
      );
    // Sealed at rest: the caller is a data subject and the server has a master key.
    expect(c.recording.sealed).toBe(true);
    // Relative to the recording's start (somewhere within the create request, our clock).
    const { from, to } = c.createdWithin;
    expect(c.callerOnsetMs).toBeGreaterThanOrEqual(c.callerAt - to - ALIGN_MS);
    expect(c.callerOnsetMs).toBeLessThanOrEqual(c.callerAt - from + ALIGN_MS);
    expect(c.botOnsetMs).toBeGreaterThanOrEqual(c.firstAudioAt - to - ALIGN_MS);
    expect(c.botOnsetMs).toBeLessThanOrEqual(c.firstAudioAt - from + ALIGN_MS);

    // The recording's events, from the session's durable log; and the metrics.
    const logged = await sessionLog(c.id);
    const types = logged.map((e) => e.type);
    expect(types).not.toContain('prx.voice.recording.failed');
    const started = logged.find((e) => e.type === 'prx.voice.recording.started');
    const stopped = logged.find((e) => e.type === 'prx.voice.recording.stopped');
    expect(started?.data).toMatchObject({
      recording_id: c.recording.id,
      sample_rate: REC_RATE,
      channels: 2,
      chunk_ms: 1_000,
    });
    expect(stopped?.data).toMatchObject({
      recording_id: c.recording.id,
      size_bytes: c.recording.size_bytes,
      duration_ms: c.recording.duration_ms,
      gap_ms: 0,
    });
    const seqs = logged.map((e) => e.prxseq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const calls = String(1 + subjectCalls.length);
    expect(metrics).toMatch(
      new RegExp(`^prx_voice_recordings_total\\{outcome="started"\\} ${calls}$`, 'm'),
    );
    expect(metrics).toMatch(
      new RegExp(`^prx_voice_recordings_total\\{outcome="stopped"\\} ${calls}$`, 'm'),
    );
    expect(metrics).not.toMatch(/^prx_voice_recordings_total\{outcome="\w+_failed"\} [1-9]/m);
  }, 180_000);

  it("exports the caller's data through the signed link, then erases it: the recording and the export are gone, the audit log holds both and not the number", async () => {
    if (subjectCalls.length === 0 || otherCall === undefined) throw new Error('no recorded calls');
    const ids = subjectCalls.map((c) => c.id);

    // Export: the archive through the signed link, no credential.
    const exported = await call('POST', '/subjects/export', {
      key: 'caller_number',
      value: NUMBER,
    });
    expect(exported.status).toBe(201);
    const ex = exported.json() as {
      id: string;
      subject_ref: string;
      sessions: number;
      recordings: number;
      bytes: number;
      sha256: string;
      files: { path: string; bytes: number; sha256: string }[];
      download_url: string;
      expires_at: string;
    };
    expect(ex).toMatchObject({ sessions: ids.length, recordings: ids.length });
    expect(Date.parse(ex.expires_at)).toBeGreaterThan(Date.now());
    expect(ex.download_url).not.toContain(NUMBER);
    const archive = await call('GET', ex.download_url, undefined, '');
    expect(archive.status).toBe(200);
    expect(archive.headers.get('content-type')).toBe('application/x-tar');
    expect(archive.bytes.length).toBe(ex.bytes);
    expect(sha256(archive.bytes)).toBe(ex.sha256);
    // Tampered, the link is refused.
    const forged = ex.download_url.replace(
      /signature=(.)/,
      (_, c: string) => `signature=${c === 'A' ? 'B' : 'A'}`,
    );
    expect((await call('GET', forged, undefined, '')).status).toBe(403);

    const files = untar(archive.bytes);
    const manifest = JSON.parse(Buffer.from(files.get('manifest.json') ?? '').toString()) as {
      sessions: string[];
      subject: { ref: string; metadata_key: string };
      files: { path: string; bytes: number; sha256: string }[];
    };
    expect([...manifest.sessions].sort()).toEqual([...ids].sort());
    expect(manifest.subject).toEqual({ ref: ex.subject_ref, metadata_key: 'caller_number' });
    expect([...files.keys()].filter((p) => p !== 'manifest.json').sort()).toEqual(
      manifest.files.map((f) => f.path).sort(),
    );
    for (const f of manifest.files) {
      const body = files.get(f.path) ?? new Uint8Array();
      expect([f.path, body.length, sha256(body)]).toEqual([f.path, f.bytes, f.sha256]);
    }
    expect([...files.keys()].join('\n')).not.toContain(otherCall.id);
    for (const { id, recording, wav } of subjectCalls) {
      expect(files.has(`sessions/${id}/session.json`)).toBe(true);
      // The recording in the archive is the one downloaded (opened); the transcript too.
      const archived = files.get(`sessions/${id}/recordings/${recording.id}.wav`);
      expect(sha256(archived ?? new Uint8Array())).toBe(sha256(wav));
      expect(
        JSON.parse(Buffer.from(files.get(`sessions/${id}/turns.json`) ?? '').toString()),
      ).toMatchObject([{ user_text: 'hello', assistant_text: 'You said: hello' }]);
    }

    // Erasure.
    const erased = await call('POST', '/subjects/erase', { key: 'caller_number', value: NUMBER });
    expect(erased.status).toBe(200);
    expect(erased.json()).toMatchObject({
      subject_ref: ex.subject_ref,
      key_erased: true,
      sessions: ids.length,
      recordings: ids.length,
      exports: 1,
    });
    for (const { id, recording } of subjectCalls) {
      expect((await call('GET', recording.download_url)).status).toBe(404);
      expect((await call('GET', `/sessions/${id}/recordings`)).json()).toEqual({ items: [] });
      const turns = await call('GET', `/sessions/${id}/turns`);
      expect((turns.json() as { items: { user_text: string | null }[] }).items).toMatchObject([
        { user_text: null, assistant_text: null },
      ]);
    }
    expect((await call('GET', ex.download_url, undefined, '')).status).toBe(404);
    // The other subject is untouched.
    const kept = await call('GET', otherCall.recording.download_url);
    expect(kept.status).toBe(200);
    expect(sha256(kept.bytes)).toBe(sha256(otherCall.wav));

    // Audited, pseudonymously; the chain verifies.
    const verify = await call('GET', '/audit/verify');
    expect(verify.status).toBe(200);
    expect(verify.json()).toMatchObject({ ok: true });
    const log = await auditLog();
    const actions = log.map((r) => r.action);
    expect(actions).toContain('subject.export');
    expect(actions).toContain('subject.erase');
    expect(actions).toContain('recording.download');
    // The archive fetched through its signed link, from this test's address.
    const download = log.find((r) => r.action === 'export.download') as
      Record<string, unknown> | undefined;
    expect(download).toMatchObject({ actor_type: 'export_link', outcome: 'success' });
    expect(String(download?.['ip'])).toMatch(/127\.0\.0\.1/);
    const text = JSON.stringify(log);
    expect(text).toContain(ex.subject_ref);
    expect(text).not.toContain(NUMBER);
    expect(text).not.toContain(NUMBER.slice(1));
  }, 60_000);

  it('prx-voice audit verify holds on the same data once the server has stopped', async () => {
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    const lines: string[] = [];
    const io = {
      out: (l: string) => lines.push(l),
      err: (l: string) => lines.push(`ERR ${l}`),
      load: { cwd: dir, env },
    };
    expect(await runCli(['audit', 'verify'], io), lines.join('\n')).toBe(0);
    expect(lines.find((l) => l.startsWith('default:'))).toMatch(/^default: ok, \d+ records/);
  }, 60_000);
});
