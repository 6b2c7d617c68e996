/**
 * Splits an agent's streamed text into sentence-sized chunks for TTS, emitting each
 * one as soon as its end is certain. Every decision depends only on the text itself,
 * never on how it was cut into tokens, so the output is the same for any token split.
 *
 * Rules (English punctuation; whitespace must follow a sentence end):
 * - A sentence ends after `.`, `!`, `?`, `…` or a run of them (`?!`, `...`), with any
 *   closing quotes or brackets that follow (`He said "hi."`), once whitespace and the
 *   next non-space character have arrived.
 * - It does not end when that next character is a lower-case letter (`wait... what`,
 *   `e.g. this`, `5 p.m. tomorrow`, `Acme Inc. said`): an ellipsis followed by a
 *   lower-case word stays inside the sentence, one followed by a capital ends it.
 * - It never ends after a title or Latin abbreviation (`Dr.`, `Mr.`, `St.`, `vs.`,
 *   `e.g.`, `i.e.`, … see `NEVER_FINAL`), a single capital or dotted capitals
 *   (`J. K. Rowling`, `U.S. Army`), `No.`/`Vol.`/`Fig.`/`pp.` before a digit, or a
 *   list marker (`1.` at the start of a line).
 * - Decimals, amounts, versions, IPs, URLs and e-mail addresses have no whitespace
 *   after their dots, so they are never candidates (`$3.50`, `1.2.3`, `a.b@c.io`).
 * - A blank line, or a newline before a list marker (`- `, `* `, `• `, `1. `, `1) `),
 *   is a boundary too.
 * - A sentence shorter than `minChars` is merged with the next one; one longer than
 *   `maxChars` is split at the last clause break (`, ; : — –` or a spaced `-`) that
 *   leaves at least `minChars`, else at the last space; a run of `maxChars` without
 *   any space is not cut inside a word.
 *
 * Chunks are trimmed; nothing else changes: joining the chunks with single spaces
 * gives the input with whitespace collapsed at the joins.
 */
import { VoiceError } from '@prx-voice/types';

/** Options of {@link createSentenceChunker}. */
export interface SentenceChunkerOptions {
  /** Sentences shorter than this many characters are merged with the next (default 20). */
  readonly minChars?: number;
  /** Sentences longer than this many characters are split at a clause break (default 250). */
  readonly maxChars?: number;
}

/** A streaming sentence chunker; see {@link createSentenceChunker}. */
export interface SentenceChunker {
  /** Adds streamed text; returns the chunks whose end became certain (often none). */
  push(text: string): string[];
  /** Ends the stream: returns the remaining chunks and starts over as after {@link reset}. */
  flush(): string[];
  /** Drops all pending text (the run was cancelled). */
  reset(): void;
  /** Characters pushed that no returned chunk holds yet. */
  readonly pendingLength: number;
}

/** Default of {@link SentenceChunkerOptions.minChars}. */
const DEFAULT_MIN_CHARS = 20;
/** Default of {@link SentenceChunkerOptions.maxChars}. */
const DEFAULT_MAX_CHARS = 250;

const TERMINALS = '.!?…';
const CLOSERS = ')]}"\'»”’';
const OPENERS = '([{"\'«“‘';
const CLAUSE_ENDS = ',;:—–';
const BULLETS = '-*•';

/** Words that a period never ends a sentence after (the word is taken without that period). */
const NEVER_FINAL: ReadonlySet<string> = new Set([
  'Mr',
  'Mrs',
  'Ms',
  'Mx',
  'Dr',
  'Prof',
  'Rev',
  'Hon',
  'St',
  'Mt',
  'Sen',
  'Rep',
  'Gov',
  'Gen',
  'Capt',
  'Lt',
  'Col',
  'Sgt',
  'vs',
  'Vs',
  'cf',
  'Cf',
  'e.g',
  'E.g',
  'i.e',
  'I.e',
  'approx',
  'Approx',
  'viz',
]);

/** Words that a period does not end a sentence after when a digit follows (`No. 5`). */
const BEFORE_NUMBER: ReadonlySet<string> = new Set([
  'No',
  'Nos',
  'Vol',
  'vol',
  'Fig',
  'fig',
  'Ch',
  'ch',
  'p',
  'pp',
]);

/** A single capital, or capitals joined by periods (`J`, `U.S`, `U.S.A`). */
const INITIALS = /^(?:\p{Lu}\.)*\p{Lu}$/u;
const LIST_NUMBER = /^\d{1,3}$/;
const LOWER_CASE = /^\p{Ll}$/u;

type Decision = 'yes' | 'no' | 'more';

/** Whether a UTF-16 code is whitespace as `String.prototype.trim` and `\s` see it. */
function isWhitespaceCode(c: number): boolean {
  return (
    c === 32 ||
    (c >= 9 && c <= 13) ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

function checkOption(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `Sentence chunker option ${name} is ${String(value)}; expected an integer >= ${String(min)}.`,
      details: { [name]: value },
    });
  }
  return value;
}

/**
 * Creates a streaming sentence chunker for the agent's tokens.
 *
 * @example
 * const chunker = createSentenceChunker();
 * for await (const token of tokens) for (const chunk of chunker.push(token)) synthesize(chunk);
 * for (const chunk of chunker.flush()) synthesize(chunk);
 */
export function createSentenceChunker(options: SentenceChunkerOptions = {}): SentenceChunker {
  const minChars = checkOption('minChars', options.minChars ?? DEFAULT_MIN_CHARS, 0);
  const maxChars = checkOption('maxChars', options.maxChars ?? DEFAULT_MAX_CHARS, 1);
  if (minChars > maxChars) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `Sentence chunker minChars (${String(minChars)}) is larger than maxChars (${String(maxChars)}).`,
      details: { minChars, maxChars },
    });
  }

  /** Text not yet emitted; after the first cut it starts with the whitespace at the cut. */
  let buf = '';
  /** Candidates before this index have been decided 'no' for good. */
  let scanFrom = 0;
  /** Nothing has been cut since the start (or the last flush/reset): index 0 is a line start. */
  let streamStart = true;

  const isWs = (i: number): boolean => isWhitespaceCode(buf.charCodeAt(i));
  const isDigit = (i: number): boolean => isDigitCode(buf.charCodeAt(i));

  /** Whether index `i` has only spaces or tabs between it and a line start. */
  function atLineStart(i: number): boolean {
    let j = i - 1;
    while (j >= 0 && (buf[j] === ' ' || buf[j] === '\t')) j--;
    return j < 0 ? streamStart : buf[j] === '\n' || buf[j] === '\r';
  }

  /** The sentence-end rule for the whitespace at `p`, with `q` the next non-space character. */
  function terminalRule(p: number, q: number): 'yes' | 'no' {
    let end = p - 1;
    while (end >= 0 && CLOSERS.includes(buf.charAt(end))) end--;
    let start = end;
    while (start >= 0 && TERMINALS.includes(buf.charAt(start))) start--;
    if (start === end) return 'no';
    const next = String.fromCodePoint(buf.codePointAt(q) ?? 0);
    if (LOWER_CASE.test(next)) return 'no';
    // A single period right before the whitespace: check the word it follows.
    if (end === p - 1 && start === end - 1 && buf[end] === '.') {
      let w = start;
      while (w >= 0 && !isWs(w)) w--;
      w += 1;
      while (w <= start && OPENERS.includes(buf.charAt(w))) w++;
      const word = buf.slice(w, start + 1);
      if (NEVER_FINAL.has(word) || INITIALS.test(word)) return 'no';
      if (BEFORE_NUMBER.has(word) && isDigit(q)) return 'no';
      if (LIST_NUMBER.test(word) && atLineStart(w)) return 'no';
    }
    return 'yes';
  }

  /** Whether a list marker starts at `q` (the first character of a line). */
  function listMarkerAt(q: number, eof: boolean): Decision {
    const len = buf.length;
    let r = q;
    if (BULLETS.includes(buf.charAt(q))) {
      r = q + 1;
    } else {
      while (r < len && r - q <= 3 && isDigit(r)) r++;
      if (r === q || r - q > 3) return 'no';
      if (r >= len) return eof ? 'no' : 'more';
      if (buf[r] !== '.' && buf[r] !== ')') return 'no';
      r += 1;
    }
    if (r >= len) return eof ? 'no' : 'more';
    return isWs(r) ? 'yes' : 'no';
  }

  /** Whether the whitespace run starting at `p` (after a non-space) is a boundary. */
  function decide(p: number, eof: boolean): Decision {
    const len = buf.length;
    let q = p;
    let newlines = 0;
    while (q < len && isWs(q)) {
      if (buf[q] === '\n') newlines += 1;
      q += 1;
    }
    if (q >= len) return eof ? 'no' : 'more';
    // Half of a surrogate pair: the character (a lower-case letter?) is not known yet.
    const code = buf.charCodeAt(q);
    if (code >= 0xd800 && code <= 0xdbff && q + 1 >= len && !eof) return 'more';
    if (terminalRule(p, q) === 'yes' || newlines >= 2) return 'yes';
    return newlines === 1 ? listMarkerAt(q, eof) : 'no';
  }

  function isClauseEnd(i: number): boolean {
    const c = buf.charAt(i);
    return CLAUSE_ENDS.includes(c) || (c === '-' && i > 0 && isWs(i - 1));
  }

  /** Where to cut a sentence that runs past `maxChars`; undefined while that is not yet certain. */
  function overflowCut(s: number, windowEnd: number): number | undefined {
    const len = buf.length;
    let k = windowEnd;
    while (k < len && isWs(k)) k++;
    // Only whitespace after the window so far: the segment may still end within it.
    if (k >= len) return undefined;
    for (let p = windowEnd; p >= s + Math.max(1, minChars); p--) {
      if (isWs(p) && isClauseEnd(p - 1)) return p;
    }
    for (let p = windowEnd; p > s; p--) {
      if (isWs(p) && !isWs(p - 1)) return p;
    }
    for (let p = windowEnd + 1; p < len; p++) {
      if (isWs(p)) return p;
    }
    return undefined;
  }

  /** The next cut in `buf` that is certain, or undefined. */
  function nextCut(eof: boolean): number | undefined {
    const len = buf.length;
    let s = 0;
    while (s < len && isWs(s)) s++;
    if (s >= len) return undefined;
    const windowEnd = s + maxChars;
    let p = Math.max(scanFrom, s + 1);
    for (; p < len && p <= windowEnd; p++) {
      if (!isWs(p) || isWs(p - 1)) continue;
      const decision = decide(p, eof);
      if (decision === 'more') {
        scanFrom = p;
        return undefined;
      }
      if (decision === 'yes' && p - s >= minChars) return p;
    }
    scanFrom = p;
    return p > windowEnd ? overflowCut(s, windowEnd) : undefined;
  }

  function drain(eof: boolean): string[] {
    const out: string[] = [];
    for (let cut = nextCut(eof); cut !== undefined; cut = nextCut(eof)) {
      const chunk = buf.slice(0, cut).trim();
      if (chunk.length > 0) out.push(chunk);
      buf = buf.slice(cut);
      scanFrom = 0;
      streamStart = false;
    }
    return out;
  }

  function reset(): void {
    buf = '';
    scanFrom = 0;
    streamStart = true;
  }

  return {
    push(text) {
      if (text.length === 0) return [];
      buf += text;
      return drain(false);
    },
    flush() {
      const out = drain(true);
      const rest = buf.trim();
      if (rest.length > 0) out.push(rest);
      reset();
      return out;
    },
    reset,
    get pendingLength() {
      return buf.length;
    },
  };
}
