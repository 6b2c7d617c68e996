/**
 * Cutting streamed text into sentences as it arrives, so a local TTS can speak
 * the first sentence while the rest is still being generated.
 */

/** A sentence ends at `.`, `!`, `?` or `…` (closing quotes or brackets may follow) before whitespace, or at a line break. */
const BOUNDARY = /[.!?…]+["'”’)\]]*\s+|\n+/g;
/** Text longer than this without a boundary is cut at its last clause break or space. */
const MAX_PENDING_CHARS = 300;

/** Splits text that arrives in pieces into trimmed, non-empty sentences. */
export class SentenceSplitter {
  #pending = '';

  /** Adds a piece of text; returns the sentences it completed, in order. */
  push(text: string): string[] {
    this.#pending += text;
    const sentences: string[] = [];
    let start = 0;
    for (const match of this.#pending.matchAll(BOUNDARY)) {
      const end = match.index + match[0].length;
      addTrimmed(sentences, this.#pending.slice(start, end));
      start = end;
    }
    this.#pending = this.#pending.slice(start);
    while (this.#pending.length > MAX_PENDING_CHARS) {
      const cut = lastBreak(this.#pending.slice(0, MAX_PENDING_CHARS));
      addTrimmed(sentences, this.#pending.slice(0, cut));
      this.#pending = this.#pending.slice(cut);
    }
    return sentences;
  }

  /** Ends the text: returns what is left as a last sentence (none when it is blank). */
  flush(): string[] {
    const rest: string[] = [];
    addTrimmed(rest, this.#pending);
    this.#pending = '';
    return rest;
  }
}

/** All sentences of a whole text. */
export function splitSentences(text: string): string[] {
  const splitter = new SentenceSplitter();
  return [...splitter.push(text), ...splitter.flush()];
}

function addTrimmed(into: string[], sentence: string): void {
  const trimmed = sentence.trim();
  if (trimmed !== '') into.push(trimmed);
}

/** Index just after the last clause break (`,;:` and a space) or else the last space; the whole text when it has neither. */
function lastBreak(text: string): number {
  let space = -1;
  for (let i = text.length - 1; i > 0; i--) {
    const char = text.charAt(i);
    if (char !== ' ' && char !== '\t') continue;
    if (',;:'.includes(text.charAt(i - 1))) return i + 1;
    if (space < 0) space = i + 1;
  }
  return space > 0 ? space : text.length;
}
