/**
 * One caller of the load bench on its own WebSocket: real-time audio — a 20 ms
 * PCM16 frame every 20 ms: silence, then speech (`speech-clip.ts`: a tone or a
 * spoken sentence), then silence until the answer
 * has played, then a short pause, for a number of turns — and the timing of
 * what comes back: voice-to-voice per turn (the moment the caller's speech ends
 * — its last frame due — → the first outbound audio frame) and every outbound frame's
 * arrival, for the pacing deviation.
 */
import type { WebSocket } from 'ws';
import { pacingDeviations } from './stats.js';
import type { ArrivedFrame } from './stats.js';
import { FRAME_MS, INPUT_FRAME_BYTES, OUTPUT_BYTES_PER_MS, PACER_LEAD_MS } from './wire.js';

/**
 * What a caller talks to. `voice`: a turn is over at `prx.voice.turn.completed`
 * (read from the text frames). `echo`: once the echo of every speech frame
 * arrived and played out.
 */
export type CallerKind = 'voice' | 'echo';

/** How the callers behave. */
export interface LoadOptions {
  readonly sessions: number;
  readonly turns: number;
  /** Speech per turn, ms (the tone's length; a spoken clip has its own). */
  readonly speechMs: number;
  /** Silence between the end of an answer and the next speech, ms. */
  readonly gapMs: number;
  /** The callers start spread evenly over this, ms, so their turns do not all coincide. */
  readonly staggerMs: number;
  /** A turn without its answer this long after the speech ended fails the caller, ms. */
  readonly turnTimeoutMs: number;
  /**
   * Length of the servers' outbound audio frames, ms (a multiple of 20; default 20): the
   * voice sessions ask for it (`session.update` `output_frame_ms`), the echo sends it.
   */
  readonly outputFrameMs?: number;
}

/** One completed turn. */
export interface TurnRecord {
  readonly session: number;
  /** The caller's last speech frame due (the speech's end in real time) → first outbound audio frame received, ms. */
  readonly v2vMs: number;
  /** The server's own `latency.voice_to_voice_ms` of the turn (voice only). */
  readonly serverV2vMs: number | null;
  /** Pacing deviation of each audio frame of the answer, ms (see `pacingDeviations`). */
  readonly deviationsMs: readonly number[];
  /** Where the speech ended on the caller's audio timeline (from its first frame), ms. */
  readonly speechEndMs: number;
  /** Where the server's VAD put the silence start (`media.vad_ended` `at_ms`), ms; null when not seen (the echo). */
  readonly vadSilenceAtMs: number | null;
}

const SILENCE = Buffer.alloc(INPUT_FRAME_BYTES);
/** Silence before a caller's first speech, ms. */
const LEAD_IN_MS = 200;

interface OpenTurn {
  readonly speechEndAt: number;
  readonly speechEndMs: number;
  readonly frames: ArrivedFrame[];
  /** Audio bytes received so far. */
  bytes: number;
  serverV2vMs: number | null;
  vadSilenceAtMs: number | null;
  /** When the answer has played out: the caller may speak again after the gap. */
  doneAt: number | undefined;
}

/** The echo's answer to one 20 ms speech frame: 20 ms of output audio, bytes. */
const ECHO_FRAME_BYTES = OUTPUT_BYTES_PER_MS * FRAME_MS;

type Phase = 'silence' | 'speech' | 'answer' | 'done';

/** One caller: its socket, its frame clock and its turns. */
export class Caller {
  readonly records: TurnRecord[] = [];
  failure: string | undefined;
  startedAt = 0;
  endedAt = 0;
  #phase: Phase = 'silence';
  #framesLeft: number;
  #turnsLeft: number;
  /** Frames sent so far: the caller's audio timeline. */
  #sent = 0;
  #nextAt = 0;
  #turn: OpenTurn | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Type of the last event received, for failure messages. */
  #lastEvent = 'none';
  #finished!: () => void;
  readonly finished = new Promise<void>((resolve) => {
    this.#finished = resolve;
  });

  constructor(
    readonly ws: WebSocket,
    readonly index: number,
    readonly kind: CallerKind,
    readonly opts: LoadOptions,
    /** The speech of every turn, in 20 ms frames. */
    readonly speech: readonly Buffer[],
  ) {
    this.#turnsLeft = opts.turns;
    this.#framesLeft = Math.round(LEAD_IN_MS / FRAME_MS);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.#onAudio(data.length);
      else if (kind === 'voice') this.#onEvent(data.toString('utf8'));
    });
    ws.on('close', (code) => this.#fail(`socket closed (${code})`));
    ws.on('error', (err) => this.#fail(`socket error: ${err.message}`));
  }

  start(at: number): void {
    this.#nextAt = at;
    this.startedAt = at;
    this.#schedule(performance.now());
  }

  #schedule(now: number): void {
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, this.#nextAt - now));
  }

  /** Sends every frame that is due (several after a stall, as a real-time source would). */
  #tick(): void {
    let now = performance.now();
    while (this.#phase !== 'done' && this.#nextAt <= now) {
      this.#sendFrame(now);
      this.#nextAt += FRAME_MS;
      now = performance.now();
    }
    if (this.#phase !== 'done') this.#schedule(now);
  }

  #sendFrame(now: number): void {
    this.#sent++;
    switch (this.#phase) {
      case 'silence':
        this.ws.send(SILENCE);
        if (--this.#framesLeft <= 0) {
          this.#phase = 'speech';
          this.#framesLeft = this.speech.length;
        }
        return;
      case 'speech':
        this.ws.send(this.speech[this.speech.length - this.#framesLeft] ?? SILENCE);
        if (--this.#framesLeft <= 0) {
          this.#phase = 'answer';
          this.#turn = {
            // The end of the speech in real time: when its last frame was due.
            speechEndAt: this.#nextAt,
            speechEndMs: this.#sent * FRAME_MS,
            frames: [],
            bytes: 0,
            serverV2vMs: null,
            vadSilenceAtMs: null,
            doneAt: undefined,
          };
        }
        return;
      case 'answer': {
        this.ws.send(SILENCE);
        const turn = this.#turn;
        if (turn === undefined) return;
        if (turn.doneAt !== undefined && now >= turn.doneAt) this.#endTurn(turn);
        else if (now - turn.speechEndAt > this.opts.turnTimeoutMs) {
          this.#fail(
            `turn ${this.opts.turns - this.#turnsLeft + 1} timed out: ${turn.frames.length} audio frames, last event ${this.#lastEvent}`,
          );
        }
        return;
      }
      case 'done':
        return;
    }
  }

  #endTurn(turn: OpenTurn): void {
    const first = turn.frames[0];
    if (first === undefined) {
      this.#fail('turn ended without audio');
      return;
    }
    this.records.push({
      session: this.index,
      v2vMs: first.at - turn.speechEndAt,
      serverV2vMs: turn.serverV2vMs,
      deviationsMs: pacingDeviations(turn.frames, {
        bytesPerMs: OUTPUT_BYTES_PER_MS,
        leadMs: PACER_LEAD_MS,
      }),
      speechEndMs: turn.speechEndMs,
      vadSilenceAtMs: turn.vadSilenceAtMs,
    });
    this.#turn = undefined;
    if (--this.#turnsLeft <= 0) {
      this.#finish();
      return;
    }
    this.#phase = 'silence';
    this.#framesLeft = Math.max(1, Math.round(this.opts.gapMs / FRAME_MS));
  }

  #onAudio(bytes: number): void {
    const turn = this.#turn;
    if (turn === undefined || this.#phase !== 'answer') return;
    const at = performance.now();
    turn.frames.push({ at, bytes });
    turn.bytes += bytes;
    // The echo answers each speech frame with a frame's audio; the listener hears the last a lead later.
    if (this.kind === 'echo' && turn.bytes >= this.speech.length * ECHO_FRAME_BYTES) {
      turn.doneAt = at + PACER_LEAD_MS;
    }
  }

  #onEvent(text: string): void {
    this.#lastEvent = /"type":"([^"]+)"/.exec(text)?.[1] ?? 'unknown';
    if (
      !text.includes('"prx.voice.turn.completed"') &&
      !text.includes('"prx.voice.session.failed"') &&
      !text.includes('"prx.voice.media.vad_ended"')
    ) {
      return;
    }
    const event = JSON.parse(text) as {
      type: string;
      data?: { latency?: { voice_to_voice_ms?: number | null }; at_ms?: number };
    };
    if (event.type === 'prx.voice.session.failed') {
      this.#fail(`session failed: ${text.slice(0, 300)}`);
      return;
    }
    const turn = this.#turn;
    if (turn === undefined) return;
    if (event.type === 'prx.voice.media.vad_ended') {
      turn.vadSilenceAtMs = event.data?.at_ms ?? null;
      return;
    }
    if (event.type !== 'prx.voice.turn.completed') return;
    turn.serverV2vMs = event.data?.latency?.voice_to_voice_ms ?? null;
    turn.doneAt = performance.now();
  }

  #fail(reason: string): void {
    if (this.#phase === 'done') return;
    this.failure = `session ${this.index}: ${reason}`;
    this.#finish();
  }

  #finish(): void {
    this.#phase = 'done';
    this.endedAt = performance.now();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#finished();
  }
}
