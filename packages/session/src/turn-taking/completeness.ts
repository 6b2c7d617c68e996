/**
 * Whether an utterance sounds finished, from its transcript: a trailing
 * conjunction, preposition, article, filler or an unfinished number means the
 * caller is likely to go on, so the end of turn waits longer. Cheap and
 * language-aware; an end-of-turn model can replace it (see {@link EndOfTurnModel}).
 */
import { normalizeWords } from './backchannel.js';

/** Words after which a sentence is rarely finished, by primary language subtag. */
const CONTINUATIONS: Readonly<Record<string, readonly string[]>> = {
  en: [
    'and',
    'or',
    'but',
    'so',
    'because',
    'if',
    'then',
    'than',
    'that',
    'which',
    'who',
    'when',
    'where',
    'while',
    'although',
    'though',
    'unless',
    'until',
    'since',
    'as',
    'like',
    'the',
    'a',
    'an',
    'my',
    'your',
    'our',
    'their',
    'his',
    'her',
    'its',
    'this',
    'these',
    'those',
    'some',
    'any',
    'every',
    'each',
    'no',
    'to',
    'for',
    'of',
    'in',
    'on',
    'at',
    'with',
    'from',
    'by',
    'about',
    'into',
    'onto',
    'over',
    'under',
    'after',
    'before',
    'between',
    'through',
    'near',
    'around',
    'via',
    'per',
    'is',
    'are',
    'was',
    'were',
    'be',
    'am',
    "i'm",
    'have',
    'has',
    'had',
    'will',
    'would',
    'can',
    'could',
    'should',
    'must',
    'might',
    'may',
    'do',
    'does',
    'did',
    'want',
    'need',
    'i',
    "it's",
    'um',
    'uh',
    'er',
    'erm',
    'hmm',
    'uhm',
    'well',
    'maybe',
    'also',
    'just',
    'really',
    'very',
    'street',
    'avenue',
    'number',
    'plus',
    'minus',
    'point',
    'dash',
    'hundred',
    'thousand',
  ],
  es: [
    'y',
    'o',
    'pero',
    'porque',
    'que',
    'el',
    'la',
    'los',
    'las',
    'un',
    'una',
    'de',
    'del',
    'a',
    'al',
    'en',
    'con',
    'para',
    'por',
    'mi',
    'su',
    'es',
    'eh',
    'este',
  ],
  fr: [
    'et',
    'ou',
    'mais',
    'parce',
    'que',
    'qui',
    'le',
    'la',
    'les',
    'un',
    'une',
    'de',
    'du',
    'des',
    'à',
    'au',
    'en',
    'avec',
    'pour',
    'par',
    'mon',
    'ma',
    'mes',
    'est',
    'euh',
  ],
  de: [
    'und',
    'oder',
    'aber',
    'weil',
    'dass',
    'der',
    'die',
    'das',
    'den',
    'dem',
    'ein',
    'eine',
    'einen',
    'zu',
    'zum',
    'zur',
    'für',
    'von',
    'mit',
    'nach',
    'in',
    'im',
    'an',
    'am',
    'auf',
    'mein',
    'meine',
    'ist',
    'äh',
    'ähm',
  ],
};

/** Number words that, repeated at the end, look like a number being dictated. */
const NUMBER_WORDS = new Set([
  'zero',
  'oh',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
  'twenty',
  'thirty',
  'forty',
  'fifty',
  'sixty',
  'seventy',
  'eighty',
  'ninety',
  'double',
  'triple',
]);

const isNumberWord = (w: string): boolean => NUMBER_WORDS.has(w) || /^\d+$/.test(w);

/** How finished an utterance sounds. */
export type Completeness = 'complete' | 'incomplete' | 'unknown';

/**
 * Judges a transcript: `incomplete` when it ends on a continuation word of its
 * language, on a dangling hyphen or comma, or on a run of two to six number
 * words or digit groups (a phone number, an address being dictated in groups)
 * unless it ends with a full stop or question mark; `unknown` without words;
 * else `complete`.
 *
 * @example
 * judgeCompleteness('I need a taxi to the', 'en-US'); // 'incomplete'
 * judgeCompleteness('Cancel my order please.', 'en-US'); // 'complete'
 */
export function judgeCompleteness(text: string, language: string): Completeness {
  const trimmed = text.trim();
  const words = normalizeWords(trimmed);
  const last = words.at(-1);
  if (last === undefined) return 'unknown';
  if (/[,;:-]$/.test(trimmed)) return 'incomplete';
  const closed = /[.?!]$/.test(trimmed);
  const primary = language.toLowerCase().split('-')[0] ?? 'en';
  const continuations = CONTINUATIONS[primary] ?? CONTINUATIONS.en ?? [];
  if (!closed && continuations.includes(last)) return 'incomplete';
  if (!closed) {
    // Two to six number words at the end: a number being dictated, in groups. Seven or more
    // is a whole phone number already.
    let run = 0;
    while (run < words.length && isNumberWord(words[words.length - 1 - run] ?? '')) run++;
    if (run >= 2 && run < 7) return 'incomplete';
  }
  return 'complete';
}

/**
 * A pluggable end-of-turn model (e.g. a semantic turn detector run locally or
 * over HTTP): given the conversation so far and the caller's words, the
 * probability that the caller has finished. None ships with PRX Voice — no
 * such model can be installed offline from npm — and the reducer stays pure:
 * an effect would call the model and feed its answer back as an input.
 */
export interface EndOfTurnModel {
  readonly id: string;
  /** Probability 0–1 that the turn is over. */
  predict(input: {
    readonly language: string;
    readonly transcript: string;
    readonly context: readonly { readonly role: string; readonly content: string }[];
    readonly signal?: AbortSignal;
  }): Promise<number>;
}
