/**
 * The transcript side of a Deepgram stream: `Results` in, PRX Voice ASR events
 * out. Deepgram's `is_final` segments are gathered per utterance; each owed
 * final (one per `finalize()`) is emitted when the server answers it, with
 * the utterance's segments; interim results become partials of the whole
 * utterance so far.
 */
import type { AsrEvent, AsrWord } from '../../interfaces.js';
import type { DeepgramResults } from './deepgram-messages.js';

/** Finals already covering the audio to within this much: nothing is left to finalize. */
const COVERED_SLACK_MS = 100;

/** An utterance whose `final` is owed, in stream ms. */
interface OwedFinal {
  readonly startMs: number;
  readonly endMs: number;
  /** Whether the server's answer (`from_finalize`, or the flush before the close) is awaited. */
  readonly needsServer: boolean;
}

/** A finalized span of the current utterance. */
interface Segment {
  readonly text: string;
  readonly confidence: number;
  readonly words: readonly AsrWord[];
}

/** Gathers one stream's results into partials and one final per utterance. */
export class DeepgramTranscript {
  readonly #emit: (event: AsrEvent) => void;
  /** Server seconds → stream ms. */
  readonly #toMs: (seconds: number) => number;
  readonly #owed: OwedFinal[] = [];
  #segments: Segment[] = [];
  #interim = '';
  #lastPartial = '';
  #lastFinalEndMs = 0;
  #lastResultEndMs = 0;
  /** Where the utterance not yet owed starts: the end of the last owed one, ms. */
  #nextStartMs = 0;

  constructor(emit: (event: AsrEvent) => void, toMs: (seconds: number) => number) {
    this.#emit = emit;
    this.#toMs = toMs;
  }

  /** Whether a final awaits the server's answer. */
  get awaitingServer(): boolean {
    return this.#owed.some((o) => o.needsServer);
  }

  /** Whether any final is owed. */
  get owesFinal(): boolean {
    return this.#owed.length > 0;
  }

  /** Whether heard text has not gone into a final yet. */
  get hasText(): boolean {
    return this.#segments.length > 0 || this.#interim !== '';
  }

  /** The audio of the oldest final awaiting the server's answer, ms. */
  get awaitedSpan(): { readonly startMs: number; readonly endMs: number } | undefined {
    return this.#owed.find((o) => o.needsServer);
  }

  /** End of the latest result (interim or final), stream ms. */
  get lastResultEndMs(): number {
    return this.#lastResultEndMs;
  }

  /**
   * Owes the final of the utterance [startMs, endMs]. Returns whether the
   * server must be asked (`Finalize`); when not (no audio, or every result
   * already final and no earlier final owed) it is emitted in turn at once.
   */
  owe(startMs: number, endMs: number, atClose = false): boolean {
    const noAudio = endMs === startMs && !this.hasText;
    const covered = this.#interim === '' && this.#lastFinalEndMs >= endMs - COVERED_SLACK_MS;
    const needsServer = atClose || (!noAudio && (this.#owed.length > 0 || !covered));
    this.#owed.push({ startMs, endMs, needsServer });
    this.#nextStartMs = endMs;
    this.#emitReady();
    return needsServer;
  }

  /** Takes one `Results` message. */
  onResults(results: DeepgramResults): void {
    const best = results.channel.alternatives[0];
    const text = best?.transcript.trim() ?? '';
    const endMs = this.#toMs(results.start + results.duration);
    this.#lastResultEndMs = Math.max(this.#lastResultEndMs, endMs);
    if (results.is_final !== true) {
      this.#interim = text;
    } else {
      this.#lastFinalEndMs = Math.max(this.#lastFinalEndMs, endMs);
      this.#interim = '';
      if (best !== undefined && text !== '') {
        this.#segments.push({
          text,
          confidence: best.confidence,
          words: best.words.map((w) => ({
            text: w.punctuated_word ?? w.word,
            startMs: this.#toMs(w.start),
            endMs: this.#toMs(w.end),
            confidence: w.confidence,
          })),
        });
      }
      if (results.from_finalize === true && this.#owed[0]?.needsServer === true) {
        this.resolveOldest(false);
        return;
      }
    }
    this.#emitPartial(endMs);
  }

  /**
   * Emits the oldest owed final with the gathered segments (and, with
   * `includeInterim`, the pending interim text), then any owed finals behind
   * it that await nothing.
   */
  resolveOldest(includeInterim: boolean): void {
    const head = this.#owed.shift();
    if (head === undefined) return;
    const segments = this.#segments;
    const words = segments.flatMap((s) => s.words);
    const confidence =
      segments.length === 0
        ? undefined
        : segments.reduce((sum, s) => sum + s.confidence, 0) / segments.length;
    this.#emit({
      type: 'final',
      text: this.#text(includeInterim),
      startMs: head.startMs,
      endMs: head.endMs,
      ...(confidence === undefined ? {} : { confidence }),
      ...(words.length === 0 ? {} : { words }),
    });
    this.#segments = [];
    this.#interim = '';
    this.#lastPartial = '';
    this.#emitReady();
  }

  /** Emits every owed final (the first gets what was heard). */
  resolveAll(includeInterim: boolean): void {
    while (this.#owed.length > 0) this.resolveOldest(includeInterim);
  }

  #emitReady(): void {
    if (this.#owed[0]?.needsServer === false) this.resolveOldest(false);
  }

  #emitPartial(endMs: number): void {
    const text = this.#text(true);
    if (text === '' || text === this.#lastPartial) return;
    this.#lastPartial = text;
    const startMs = this.#owed[0]?.startMs ?? this.#nextStartMs;
    this.#emit({ type: 'partial', text, startMs, endMs: Math.max(startMs, endMs) });
  }

  #text(includeInterim: boolean): string {
    const parts = this.#segments.map((s) => s.text);
    if (includeInterim && this.#interim !== '') parts.push(this.#interim);
    return parts.join(' ');
  }
}
