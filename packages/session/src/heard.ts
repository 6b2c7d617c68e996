import type { SegmentModel } from './model.js';

/**
 * The text of a segment the caller heard by `playedMs`: whole words whose end
 * was played when the TTS reported word timings, else a share of the text
 * proportional to the audio played, cut back to a word boundary.
 */
export function heardTextOf(
  segment: Pick<SegmentModel, 'text' | 'durationMs' | 'words'>,
  playedMs: number,
): string {
  if (playedMs <= 0) return '';
  if (segment.durationMs > 0 && playedMs >= segment.durationMs) return segment.text;
  if (segment.words.length > 0) {
    const heard = segment.words.filter((w) => w.endMs <= playedMs).map((w) => w.text);
    return heard.join(' ');
  }
  if (segment.durationMs <= 0) return '';
  const chars = Math.floor((segment.text.length * playedMs) / segment.durationMs);
  const cut = segment.text.slice(0, chars);
  // Keep only whole words: a word counts as heard when its last letter was.
  const atBoundary =
    chars >= segment.text.length || /\s/.test(segment.text.charAt(chars)) || /\s$/.test(cut);
  const words = cut
    .trimEnd()
    .split(/\s+/)
    .filter((w) => w.length > 0);
  if (!atBoundary) words.pop();
  return words.join(' ');
}

/** The text heard across segments, in order. */
export function heardText(
  segments: readonly Pick<SegmentModel, 'text' | 'durationMs' | 'words' | 'playedMs'>[],
): string {
  return segments
    .map((s) => heardTextOf(s, s.playedMs))
    .filter((t) => t.length > 0)
    .join(' ');
}

/** The number of words in a transcript. */
export function wordCount(text: string): number {
  const t = text.trim();
  return t === '' ? 0 : t.split(/\s+/).length;
}
