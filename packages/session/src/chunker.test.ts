import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSentenceChunker } from './chunker.js';
import type { SentenceChunkerOptions } from './chunker.js';

/** Tricky sentences and how they split with `minChars: 0` (no merging). */
const CORPUS: ReadonlyArray<readonly [string, readonly string[]]> = [
  [
    'Dr. Smith paid $3.50 for 2.5 kg. Then he left.',
    ['Dr. Smith paid $3.50 for 2.5 kg.', 'Then he left.'],
  ],
  [
    "Mr. and Mrs. Jones met Prof. Lee at St. Mary's. It rained.",
    ["Mr. and Mrs. Jones met Prof. Lee at St. Mary's.", 'It rained.'],
  ],
  [
    'The U.S. economy grew 3.2% in Q3. Analysts were surprised.',
    ['The U.S. economy grew 3.2% in Q3.', 'Analysts were surprised.'],
  ],
  ['Meet me at 5 p.m. tomorrow. Bring snacks.', ['Meet me at 5 p.m. tomorrow.', 'Bring snacks.']],
  [
    'We sell fruit, e.g. apples and pears. Also nuts, i.e. almonds.',
    ['We sell fruit, e.g. apples and pears.', 'Also nuts, i.e. almonds.'],
  ],
  [
    'Bring pens, paper, etc. and a laptop. Thanks!',
    ['Bring pens, paper, etc. and a laptop.', 'Thanks!'],
  ],
  ['I like pens, paper, etc. Also laptops.', ['I like pens, paper, etc.', 'Also laptops.']],
  [
    'Acme Inc. reported earnings. Ltd. companies differ.',
    ['Acme Inc. reported earnings.', 'Ltd. companies differ.'],
  ],
  ['Room No. 5 is free. Take it.', ['Room No. 5 is free.', 'Take it.']],
  [
    'Version 1.2.3 fixes the bug at 192.168.0.1. Update now.',
    ['Version 1.2.3 fixes the bug at 192.168.0.1.', 'Update now.'],
  ],
  ["Wait... what? That can't be right!", ['Wait... what?', "That can't be right!"]],
  ['Hmm... Let me think. Okay.', ['Hmm...', 'Let me think.', 'Okay.']],
  ['Are you sure?! Yes. Absolutely.', ['Are you sure?!', 'Yes.', 'Absolutely.']],
  ['He said "hi." Then he left.', ['He said "hi."', 'Then he left.']],
  ['(This is an aside.) Back to the topic.', ['(This is an aside.)', 'Back to the topic.']],
  [
    'Steps:\n1. Open the app\n2. Tap Settings\n3. Done',
    ['Steps:', '1. Open the app', '2. Tap Settings', '3. Done'],
  ],
  ['I counted to 3. Then I stopped.', ['I counted to 3.', 'Then I stopped.']],
  ['1. First item\n2. Second item', ['1. First item', '2. Second item']],
  [
    'Visit example.com or email a.b@c.io. We reply fast.',
    ['Visit example.com or email a.b@c.io.', 'We reply fast.'],
  ],
  ["It costs 1,000.00 dollars. That's a lot.", ['It costs 1,000.00 dollars.', "That's a lot."]],
  ['J. K. Rowling wrote it. She is British.', ['J. K. Rowling wrote it.', 'She is British.']],
  [
    'First paragraph without a period\n\nSecond paragraph here.',
    ['First paragraph without a period', 'Second paragraph here.'],
  ],
  ['Options:\n- red\n- blue\n- green', ['Options:', '- red', '- blue', '- green']],
  ['It was great… Truly great.', ['It was great…', 'Truly great.']],
  [
    "See Fig. 3 for details. And vs. the old one, it's faster.",
    ['See Fig. 3 for details.', "And vs. the old one, it's faster."],
  ],
  ['"Why?" she asked. "Because," he said.', ['"Why?" she asked.', '"Because," he said.']],
  [
    'The temperature is -5 degrees today. Stay warm.',
    ['The temperature is -5 degrees today.', 'Stay warm.'],
  ],
  ["It's 2.5kg, not 3kg! Check again.", ["It's 2.5kg, not 3kg!", 'Check again.']],
  ['Call 555-1234 now. Lines are open 24/7.', ['Call 555-1234 now.', 'Lines are open 24/7.']],
  [
    'The meeting is at 10 a.m. Please be on time.',
    ['The meeting is at 10 a.m.', 'Please be on time.'],
  ],
  [
    'Ask about item No. 12 today. We ship worldwide!',
    ['Ask about item No. 12 today.', 'We ship worldwide!'],
  ],
  [
    'Email: support@example.co.uk. Phone: +1 (555) 010-9999.',
    ['Email: support@example.co.uk.', 'Phone: +1 (555) 010-9999.'],
  ],
];

function run(tokens: readonly string[], options?: SentenceChunkerOptions): string[] {
  const chunker = createSentenceChunker(options);
  const out: string[] = [];
  for (const token of tokens) out.push(...chunker.push(token));
  out.push(...chunker.flush());
  return out;
}

/** Cuts `text` at the given positions (any order, duplicates allowed). */
function splitAt(text: string, cuts: readonly number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const tokens: string[] = [];
  let last = 0;
  for (const point of points) {
    tokens.push(text.slice(last, point));
    last = point;
  }
  tokens.push(text.slice(last));
  return tokens;
}

const collapse = (text: string): string => text.replace(/\s+/g, ' ').trim();

describe('createSentenceChunker', () => {
  it.each(CORPUS)('splits %j', (text, expected) => {
    expect(run([text], { minChars: 0 })).toEqual(expected);
    expect(run(Array.from(text), { minChars: 0 })).toEqual(expected);
  });

  it('splits the example token stream only after the sentence end is certain', () => {
    const chunker = createSentenceChunker({ minChars: 0 });
    const seen: string[][] = [];
    for (const token of ['Dr', '. Smith', ' paid $3', '.50 for 2', '.5 kg.', ' ', 'He', ' left.']) {
      seen.push(chunker.push(token));
    }
    expect(seen).toEqual([[], [], [], [], [], [], ['Dr. Smith paid $3.50 for 2.5 kg.'], []]);
    expect(chunker.flush()).toEqual(['He left.']);
  });

  it('waits for the whole list marker before cutting at a newline', () => {
    const chunker = createSentenceChunker({ minChars: 0 });
    expect(chunker.push('Steps:\n1')).toEqual([]);
    expect(chunker.push('2')).toEqual([]);
    expect(chunker.push('.')).toEqual([]);
    expect(chunker.push(' Open')).toEqual(['Steps:']);
    expect(chunker.push('\n123')).toEqual([]);
    expect(chunker.push('4 more')).toEqual([]);
    expect(chunker.flush()).toEqual(['12. Open\n1234 more']);
  });

  it('keeps "1." as a list marker only at the start of a line', () => {
    expect(run(['Go:\n  1. Up\n  2. Down'], { minChars: 0 })).toEqual(['Go:', '1. Up', '2. Down']);
    expect(run(['Count 1. Then 2. Done.'], { minChars: 0 })).toEqual([
      'Count 1.',
      'Then 2.',
      'Done.',
    ]);
  });

  it('merges sentences shorter than minChars into the next one', () => {
    expect(run(['Hi. Okay. How are you doing today? Fine.'])).toEqual([
      'Hi. Okay. How are you doing today?',
      'Fine.',
    ]);
    expect(run(['Sure! Let me check that for you.'], { minChars: 6 })).toEqual([
      'Sure! Let me check that for you.',
    ]);
    expect(run(['Sure! Let me check that for you.'], { minChars: 5 })).toEqual([
      'Sure!',
      'Let me check that for you.',
    ]);
  });

  it('splits a sentence longer than maxChars at its last clause break', () => {
    const text =
      'When you arrive at the station, walk to the north exit; then take the bus, and ride to the end. Bye now.';
    expect(run([text], { minChars: 10, maxChars: 60 })).toEqual([
      'When you arrive at the station, walk to the north exit;',
      'then take the bus, and ride to the end.',
      'Bye now.',
    ]);
  });

  it('falls back to the last space, and never cuts inside a word', () => {
    const words = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu';
    const chunks = run([words], { minChars: 0, maxChars: 20 });
    expect(chunks).toEqual([
      'alpha beta gamma',
      'delta epsilon zeta',
      'eta theta iota kappa',
      'lambda mu',
    ]);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(20);

    const long = `see ${'x'.repeat(40)} there`;
    expect(run([long], { minChars: 0, maxChars: 10 })).toEqual(['see', 'x'.repeat(40), 'there']);
  });

  it('treats a blank line as a boundary and ignores a single newline inside a sentence', () => {
    expect(run(['One line\nwraps here.\n\nNext part'], { minChars: 0 })).toEqual([
      'One line\nwraps here.',
      'Next part',
    ]);
  });

  it('emits nothing for empty or whitespace-only input', () => {
    expect(run([])).toEqual([]);
    expect(run(['', '   ', '\n\n'])).toEqual([]);
  });

  it('starts over after flush and drops pending text on reset', () => {
    const chunker = createSentenceChunker({ minChars: 0 });
    expect(chunker.push('Half a sentence')).toEqual([]);
    chunker.reset();
    expect(chunker.push('1. Item one\n2. Item two')).toEqual(['1. Item one']);
    expect(chunker.flush()).toEqual(['2. Item two']);
    // After flush a new stream starts: "1." at its beginning is a list marker again.
    expect(chunker.push('1. Again. Yes')).toEqual(['1. Again.']);
    expect(chunker.flush()).toEqual(['Yes']);
  });

  it('rejects invalid options', () => {
    expect(() => createSentenceChunker({ minChars: -1 })).toThrow(/minChars/);
    expect(() => createSentenceChunker({ maxChars: 0 })).toThrow(/maxChars/);
    expect(() => createSentenceChunker({ minChars: 1.5 })).toThrow(/minChars/);
    expect(() => createSentenceChunker({ minChars: 30, maxChars: 20 })).toThrow(/larger/);
  });

  const optionSets: SentenceChunkerOptions[] = [
    {},
    { minChars: 0 },
    { minChars: 5, maxChars: 40 },
    { minChars: 0, maxChars: 12 },
  ];
  const corpusText = fc
    .shuffledSubarray(
      CORPUS.map(([text]) => text),
      { minLength: 1, maxLength: 6 },
    )
    .chain((texts) =>
      fc
        .array(fc.constantFrom(' ', '  ', '\n', '\n\n', ' \n '), {
          minLength: texts.length,
          maxLength: texts.length,
        })
        .map((seps) => texts.map((t, i) => t + (seps[i] ?? ' ')).join('')),
    );
  const cuts = fc.array(fc.nat(), { maxLength: 40 });

  it('gives the same chunks however the corpus is split into tokens, and loses nothing', () => {
    fc.assert(
      fc.property(corpusText, cuts, fc.constantFrom(...optionSets), (text, points, options) => {
        const whole = run([text], options);
        expect(run(splitAt(text, points), options)).toEqual(whole);
        expect(collapse(whole.join(' '))).toBe(collapse(text));
        for (const chunk of whole) {
          expect(chunk).toBe(chunk.trim());
          expect(chunk.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is split-invariant and lossless on adversarial text', () => {
    const piece = fc.constantFrom(
      '.',
      '. ',
      '...',
      '?!',
      ' ',
      '\n',
      '\n\n',
      '"',
      ')',
      '(',
      ',',
      ';',
      '-',
      '1',
      '12',
      '3.5',
      'Dr',
      'No',
      'U.S',
      'e.g',
      'a',
      'Ab',
      'x',
      'Z',
      '\t',
      '…',
      'é',
      '😀',
      '𝑎',
    );
    const text = fc.array(piece, { maxLength: 60 }).map((pieces) => pieces.join(''));
    fc.assert(
      fc.property(text, cuts, fc.constantFrom(...optionSets), (input, points, options) => {
        const whole = run([input], options);
        expect(run(splitAt(input, points), options)).toEqual(whole);
        expect(run(Array.from(input), options)).toEqual(whole);
        expect(collapse(whole.join(' '))).toBe(collapse(input));
      }),
      { numRuns: 500 },
    );
  });
});
