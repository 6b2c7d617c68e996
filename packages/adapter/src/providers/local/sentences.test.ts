import { describe, expect, it } from 'vitest';
import { SentenceSplitter, splitSentences } from './sentences.js';

describe('SentenceSplitter', () => {
  it('cuts at sentence ends followed by whitespace, and at line breaks', () => {
    expect(splitSentences('Hello there. How are you? Fine!\nNext line… "Quoted." Last')).toEqual([
      'Hello there.',
      'How are you?',
      'Fine!',
      'Next line…',
      '"Quoted."',
      'Last',
    ]);
  });

  it('keeps decimals and a terminator without whitespace after it together', () => {
    expect(splitSentences('It costs 3.50 dollars.')).toEqual(['It costs 3.50 dollars.']);
  });

  it('returns a sentence only once the whitespace after its end has arrived', () => {
    const splitter = new SentenceSplitter();
    expect(splitter.push('Hello the')).toEqual([]);
    expect(splitter.push('re.')).toEqual([]);
    expect(splitter.push(' How')).toEqual(['Hello there.']);
    expect(splitter.push(' are you?')).toEqual([]);
    expect(splitter.flush()).toEqual(['How are you?']);
    expect(splitter.flush()).toEqual([]);
  });

  it('cuts a long run without sentence ends at a clause break, else at a space', () => {
    const clause = 'word '.repeat(40) + 'and then, ' + 'more '.repeat(40);
    const [first, ...rest] = new SentenceSplitter().push(clause);
    expect(first?.endsWith('and then,')).toBe(true);
    expect(rest).toEqual([]);
    const spaces = new SentenceSplitter().push('word '.repeat(100));
    expect(spaces.length).toBe(1);
    expect(spaces[0]?.length).toBeLessThanOrEqual(300);
  });

  it('gives nothing for blank text', () => {
    expect(splitSentences(' \n\t ')).toEqual([]);
  });
});
