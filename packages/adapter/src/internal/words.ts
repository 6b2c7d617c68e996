/** Splitting text into words and word-sized tokens. */

/**
 * Splits text into one token per word, each keeping the whitespace that follows
 * it (leading whitespace stays on the first), so the tokens concatenate back to
 * the text. Whitespace-only text gives no tokens.
 */
export function wordTokens(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? [];
}

/** The words of a text (runs of non-whitespace). */
export function wordsOf(text: string): string[] {
  return text.match(/\S+/g) ?? [];
}

/** The number of words in a text. */
export function countWords(text: string): number {
  return wordsOf(text).length;
}
