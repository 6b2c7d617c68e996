/**
 * The demo assistant's intent matcher: what was said or typed, normalised to
 * lower-case words (digits, times and contractions spelled out as a recogniser
 * would write them), matched against the phrases of `demo-phrases.ts`
 * compiled to regular expressions, the slots' words turned into values.
 */
import { parsePhrase, toRegexSource, wordsOf } from './phrase-expression.js';
import type { PhraseNode } from './phrase-expression.js';
import { DEMO_INTENT_NAMES, DEMO_PHRASES, DEMO_SLOTS } from './demo-phrases.js';
import type { DemoIntentName, DemoSlot, DemoSlotName } from './demo-phrases.js';

/** The values of a request's details as matched. */
export interface DemoSlots {
  readonly party_size?: number;
  /** `today`, `tomorrow` or a weekday, lower-case. */
  readonly day?: string;
  /** 24-hour `HH:MM`. */
  readonly time?: string;
  /** Capitalised. */
  readonly name?: string;
}

/** What the matcher found in an utterance. */
export interface DemoIntentMatch {
  readonly intent: DemoIntentName | 'unknown';
  readonly slots: DemoSlots;
  /** The utterance as it was matched (normalised words). */
  readonly normalised: string;
}

const NUMBER_WORDS = [
  'zero',
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
] as const;
const MINUTE_WORDS: Readonly<Record<string, string>> = {
  '00': '',
  '15': ' fifteen',
  '30': ' thirty',
  '45': ' forty five',
};
const CONTRACTIONS: Readonly<Record<string, string>> = {
  "i'd": 'i would',
  "i'm": 'i am',
  "it's": 'it is',
  "what's": 'what is',
  "we'd": 'we would',
  "that's": 'that is',
  "don't": 'do not',
  pm: 'p m',
};
/** Words after which `am` is the time of day, not the verb. */
const BEFORE_AM = new Set([...NUMBER_WORDS, 'fifteen', 'thirty', "o'clock", 'noon']);

function spellTime(hours: number, minutes: string, suffix: string): string {
  const pm = hours > 12;
  const hour = NUMBER_WORDS[pm ? hours - 12 : hours];
  const min = MINUTE_WORDS[minutes];
  if (hour === undefined || min === undefined) return `${hours}:${minutes}${suffix}`;
  return ` ${hour}${min}${pm ? ' p m' : ''}${suffix}`;
}

/**
 * Text as the recogniser would write it: lower-case words separated by one
 * space, `p.m.` → `p m`, `7:30pm` → `seven thirty p m`, `4` → `four`,
 * `I'd` → `i would`; other punctuation dropped.
 */
export function normaliseUtterance(text: string): string {
  return text
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .replace(/\b([ap])\.\s?m\b\.?/g, '$1m')
    .replace(/\b(\d{1,2}):(\d{2})\s*([ap]m)?\b/g, (_w, h: string, m: string, ap?: string) =>
      spellTime(Number(h), m, ap === undefined ? '' : ` ${ap}`),
    )
    .replace(/\b(\d{1,2})\s*([ap]m)\b/g, '$1 $2')
    .replace(/\b\d{1,2}\b/g, (d) => NUMBER_WORDS[Number(d)] ?? d)
    .replace(/[^a-z0-9' ]+/g, ' ')
    .split(/\s+/)
    .filter((w) => w !== '' && w !== "'")
    .map((w, i, all) =>
      w === 'am' && BEFORE_AM.has(all[i - 1] ?? '')
        ? 'a m'
        : (CONTRACTIONS[w] ?? w.replace(/^'+|'+$/g, '')),
    )
    .join(' ');
}

const slots: Readonly<Record<string, DemoSlot>> = DEMO_SLOTS;
const slotTrees = new Map(
  Object.entries(slots).map(([name, slot]) => [name, parsePhrase(slot.expression)]),
);

/** Every word of the phrases and slots, which an open slot does not take. */
function reservedWords(): string[] {
  const trees = [
    ...Object.values(DEMO_PHRASES).flatMap((phrases) => phrases.map(parsePhrase)),
    ...[...slotTrees.entries()].filter(([name]) => !slots[name]?.openWord).map(([, t]) => t),
  ];
  return [...new Set(trees.flatMap(wordsOf))];
}

/** A slot's pattern, sub-slots inlined (unnamed), ` word` per word. */
function slotPattern(name: string, reserved: readonly string[]): string {
  const tree = slotTrees.get(name);
  if (tree === undefined) throw new Error(`unknown slot <${name}>`);
  const inline = (node: PhraseNode): string =>
    toRegexSource(node, (inner) => slotPattern(inner, reserved), false);
  const listed = inline(tree);
  if (slots[name]?.openWord !== true) return listed;
  const taken = reserved.map((w) => w.replace(/'/g, "\\'")).join('|');
  return `(?:${listed}| (?!(?:${taken})(?: |$))[a-z][a-z']*)`;
}

/** One phrase compiled: its intent and a regex with a named group per slot. */
interface CompiledPhrase {
  readonly intent: DemoIntentName;
  readonly regex: RegExp;
}

let compiled: readonly CompiledPhrase[] | undefined;

function compiledPhrases(): readonly CompiledPhrase[] {
  if (compiled !== undefined) return compiled;
  const reserved = reservedWords();
  compiled = DEMO_INTENT_NAMES.flatMap((intent) =>
    DEMO_PHRASES[intent].map((phrase) => ({
      intent,
      regex: new RegExp(
        `${toRegexSource(parsePhrase(phrase), (name) => slotPattern(name, reserved))}(?= |$)`,
      ),
    })),
  );
  return compiled;
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** `at seven thirty p m` → `19:30`; without a.m./p.m. 1–10 o'clock is the evening (a restaurant). */
export function parseSpokenTime(words: string): string | undefined {
  const w = words.trim().replace(/^at /, '');
  if (w === 'noon') return '12:00';
  const past = /^(half|quarter) past (\w+)(.*)$/.exec(w);
  const plain = /^(\w+)(?: (fifteen|thirty|forty five|o'clock))?(.*)$/.exec(w);
  const hourWord = past?.[2] ?? plain?.[1] ?? '';
  const hour = NUMBER_WORDS.indexOf(hourWord as (typeof NUMBER_WORDS)[number]);
  if (hour < 1) return undefined;
  const minute =
    past !== null
      ? past[1] === 'half'
        ? 30
        : 15
      : ({ fifteen: 15, thirty: 30, 'forty five': 45 }[plain?.[2] ?? ''] ?? 0);
  const rest = (past?.[3] ?? plain?.[3] ?? '').trim();
  let h24 = hour;
  if (rest === 'a m') h24 = hour % 12;
  else if (rest === 'p m' || rest === 'in the evening') h24 = (hour % 12) + 12;
  else if (hour <= 10) h24 = hour + 12;
  return `${String(h24).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}

function slotValues(groups: Readonly<Record<string, string | undefined>>): DemoSlots {
  const word = (name: DemoSlotName): string | undefined => groups[name]?.trim();
  const party = word('party');
  const day = word('day')?.replace(/^on /, '');
  const time = word('time');
  const name = word('any_name') ?? word('name');
  const partySize = party === undefined ? -1 : NUMBER_WORDS.indexOf(party as 'one');
  const parsedTime = time === undefined ? undefined : parseSpokenTime(time);
  return {
    ...(partySize > 0 ? { party_size: partySize } : {}),
    ...(day === undefined ? {} : { day }),
    ...(parsedTime === undefined ? {} : { time: parsedTime }),
    ...(name === undefined ? {} : { name: capitalise(name) }),
  };
}

/**
 * The demo intent of an utterance: the first intent (in `DEMO_INTENT_NAMES`
 * order) one of whose phrases occurs in it, with the values of the slots that
 * phrase filled; `unknown` when none does.
 *
 * @example
 * matchDemoIntent('Is there a table for 4 on Friday at 7:30pm?')
 * // { intent: 'availability', slots: { party_size: 4, day: 'friday', time: '19:30' }, … }
 */
export function matchDemoIntent(text: string): DemoIntentMatch {
  const normalised = normaliseUtterance(text);
  const padded = ` ${normalised}`;
  for (const phrase of compiledPhrases()) {
    const match = phrase.regex.exec(padded);
    if (match !== null) {
      return { intent: phrase.intent, slots: slotValues(match.groups ?? {}), normalised };
    }
  }
  return { intent: 'unknown', slots: {}, normalised };
}
