import { describe, expect, it } from 'vitest';
import { judgeCompleteness } from './completeness.js';

describe('judgeCompleteness', () => {
  it.each([
    ['I need a taxi to the', 'incomplete'],
    ['book a table for', 'incomplete'],
    ['I want to order a pizza and', 'incomplete'],
    ['um', 'incomplete'],
    ['my number is five five five', 'incomplete'],
    ['my card ends in 42 17', 'incomplete'],
    ['the code is one two three four five six seven', 'complete'],
    ['Cancel my order please.', 'complete'],
    ['two', 'complete'],
    ['I would like two', 'complete'],
    ['is it open on the', 'incomplete'],
    ['is it open on the?', 'complete'],
    ['well,', 'incomplete'],
    ['', 'unknown'],
  ] as const)('%j is %s', (text, expected) => {
    expect(judgeCompleteness(text, 'en-US')).toBe(expected);
  });

  it('uses the language’s own continuation words', () => {
    expect(judgeCompleteness('quiero una mesa para', 'es-ES')).toBe('incomplete');
    expect(judgeCompleteness('ich möchte einen Tisch für', 'de-DE')).toBe('incomplete');
    expect(judgeCompleteness('je voudrais une table pour deux', 'fr-FR')).toBe('complete');
  });
});
