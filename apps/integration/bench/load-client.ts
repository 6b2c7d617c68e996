/**
 * The callers of a load run (`caller.ts`) on their WebSockets: open them all,
 * stream the turns on all of them at once, hang up. The load bench runs them in
 * generator processes of their own (`load-generators.ts`), so that they never
 * share an event loop with the bench's coordination; the soak runs them here.
 */
import { WebSocket } from 'ws';
import { Caller } from './caller.js';
import type { CallerKind, LoadOptions, TurnRecord } from './caller.js';
import { speechFrames, toneSpeech } from './speech-clip.js';
import { FRAME_MS } from './wire.js';

/** What the callers talk to. */
export interface LoadTarget {
  readonly kind: CallerKind;
  /** Prepares session `index`; resolves with the WebSocket URL to connect to. */
  readonly open: (index: number) => Promise<string>;
}

/** What a group of callers measured over the streaming. */
export interface StreamResult {
  readonly turns: readonly TurnRecord[];
  /** Callers that failed (timeout, socket closed or error), with the reason. */
  readonly failures: readonly string[];
  /** Sum over the callers of their streaming time, s. */
  readonly sessionSeconds: number;
  /** CPU time of the process the callers ran in, over the streaming, ms. */
  readonly cpuMs: number;
  /** From the start of the streaming to the last caller done, ms. */
  readonly wallMs: number;
}

/** The outcome of one load run: its callers' figures (failed generator processes among the failures). */
export interface LoadRun extends Omit<StreamResult, 'cpuMs'> {
  /** CPU time of the load generator process(es) while streaming, summed, ms. */
  readonly clientCpuMs: number;
}

/** `fn` over `0 … count − 1`, at most `limit` at a time, results in order. */
export async function mapLimit<T>(
  count: number,
  limit: number,
  fn: (i: number) => Promise<T>,
): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      out[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return out;
}

/** Opens a caller's socket; a voice session is asked for `load.outputFrameMs` frames. */
function connect(url: string, kind: CallerKind, load: LoadOptions): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      const frameMs = load.outputFrameMs ?? FRAME_MS;
      if (kind === 'voice' && frameMs !== FRAME_MS) {
        ws.send(JSON.stringify({ type: 'session.update', output_frame_ms: frameMs }));
      }
      resolve(ws);
    });
    ws.once('error', reject);
  });
}

/** Closes a socket (after `end` for the voice server), giving up after a few seconds. */
async function hangUp(ws: WebSocket, kind: CallerKind): Promise<void> {
  if (ws.readyState === ws.OPEN) {
    if (kind === 'voice') ws.send(JSON.stringify({ type: 'end' }));
    else ws.close(1000);
  }
  if (ws.readyState !== ws.CLOSED) {
    const closed = new Promise((resolve) => ws.once('close', resolve));
    await Promise.race([closed, new Promise((r) => setTimeout(r, 5_000))]);
  }
  ws.terminate();
}

/** Callers on open sockets, ready to stream. */
export interface CallerGroup {
  /** Streams every caller's turns (caller `index` starting `index × staggerMs / sessions` in); resolves when all are done. */
  stream(): Promise<StreamResult>;
  /** Closes every socket. */
  hangUp(): Promise<void>;
}

/**
 * Connects one caller per URL (`index`: its place among all the run's callers,
 * which sets its start in the stagger), each saying `speech` (16 kHz PCM16) every turn.
 */
export async function openCallers(opts: {
  readonly kind: CallerKind;
  readonly load: LoadOptions;
  readonly callers: readonly { readonly index: number; readonly url: string }[];
  readonly speech: Int16Array;
}): Promise<CallerGroup> {
  const { kind, load } = opts;
  const frames = speechFrames(opts.speech);
  const sockets: WebSocket[] = [];
  const hangUpAll = async (): Promise<void> => {
    await Promise.all(sockets.map((ws) => hangUp(ws, kind)));
  };
  try {
    await mapLimit(opts.callers.length, 16, async (i) => {
      sockets[i] = await connect(opts.callers[i]?.url ?? '', kind, load);
    });
  } catch (err) {
    await hangUpAll();
    throw err;
  }
  const callers = opts.callers.map(
    ({ index }, i) => new Caller(sockets[i] as WebSocket, index, kind, load, frames),
  );
  return {
    async stream() {
      const cpu = process.cpuUsage();
      const start = performance.now();
      for (const c of callers) c.start(start + (c.index * load.staggerMs) / load.sessions);
      await Promise.all(callers.map((c) => c.finished));
      const wallMs = performance.now() - start;
      const used = process.cpuUsage(cpu);
      return {
        turns: callers.flatMap((c) => c.records),
        failures: callers.flatMap((c) => (c.failure === undefined ? [] : [c.failure])),
        sessionSeconds: callers.reduce((sum, c) => sum + (c.endedAt - c.startedAt) / 1000, 0),
        cpuMs: (used.user + used.system) / 1000,
        wallMs,
      };
    },
    hangUp: hangUpAll,
  };
}

/** Opens `sessions` sessions, streams the turns (a tone) on all of them at once in this process, closes them. */
export async function runLoad(target: LoadTarget, opts: LoadOptions): Promise<LoadRun> {
  const urls = await mapLimit(opts.sessions, 8, target.open);
  const group = await openCallers({
    kind: target.kind,
    load: opts,
    callers: urls.map((url, index) => ({ index, url })),
    speech: toneSpeech(opts.speechMs),
  });
  try {
    const { cpuMs, ...streamed } = await group.stream();
    return { ...streamed, clientCpuMs: cpuMs };
  } finally {
    await group.hangUp();
  }
}
