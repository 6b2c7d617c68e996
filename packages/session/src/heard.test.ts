import { describe, expect, it } from 'vitest';
import { heardText, heardTextOf, wordCount } from './heard.js';

const seg = (
  text: string,
  durationMs: number,
  words: { text: string; startMs: number; endMs: number }[] = [],
) => ({ text, durationMs, words });

describe('heard text', () => {
  it('uses word timings when the TTS gave them: a word counts once its end was played', () => {
    const s = seg('It is sunny today', 1000, [
      { text: 'It', startMs: 0, endMs: 150 },
      { text: 'is', startMs: 150, endMs: 300 },
      { text: 'sunny', startMs: 300, endMs: 700 },
      { text: 'today', startMs: 700, endMs: 1000 },
    ]);
    expect(heardTextOf(s, 0)).toBe('');
    expect(heardTextOf(s, 299)).toBe('It');
    expect(heardTextOf(s, 300)).toBe('It is');
    expect(heardTextOf(s, 999)).toBe('It is sunny');
    expect(heardTextOf(s, 1000)).toBe('It is sunny today');
  });

  it('falls back to a proportional cut at a word boundary', () => {
    const s = seg('abcd efgh ijkl', 1400); // 100 ms per character
    expect(heardTextOf(s, 350)).toBe(''); // inside the first word
    expect(heardTextOf(s, 400)).toBe('abcd');
    expect(heardTextOf(s, 1000)).toBe('abcd efgh');
    expect(heardTextOf(s, 5000)).toBe('abcd efgh ijkl');
    expect(heardTextOf(seg('nothing synthesized', 0), 100)).toBe('');
  });

  it('joins what was heard across segments', () => {
    expect(
      heardText([
        { ...seg('First one.', 500), playedMs: 500 },
        { ...seg('Second one.', 500), playedMs: 0 },
      ]),
    ).toBe('First one.');
    expect(wordCount('  hello   there ')).toBe(2);
    expect(wordCount('   ')).toBe(0);
  });
});
