/**
 * What the demo assistant (a restaurant's table booking) understands: its
 * slots and, per intent, the phrases that express it, written as phrase
 * expressions (`phrase-expression.ts`). The one source of truth for both the
 * intent matcher (`demo-intents.ts`) and the pocketsphinx grammar
 * (`demo-grammar.ts`): a phrase added here is understood typed and spoken.
 */

/** A slot: the words it may take, as a phrase expression (it may use other slots). */
export interface DemoSlot {
  readonly expression: string;
  /**
   * Typed text may fill the slot with any one word that is not one of the
   * demo's own words (a name not in the list); speech only with the listed ones.
   */
  readonly openWord?: boolean;
}

/** The names the recogniser knows for bookings (typed text may give any). */
export const DEMO_NAMES = [
  'alice',
  'bob',
  'carol',
  'david',
  'emma',
  'frank',
  'grace',
  'henry',
  'james',
  'maria',
  'peter',
  'sarah',
] as const;

/** The slots of the demo's phrases. */
export const DEMO_SLOTS = {
  /** A party size. */
  party: { expression: '(one | two | three | four | five | six | seven | eight | nine | ten)' },
  /** A day: today, tomorrow or a weekday. */
  day: {
    expression:
      '(today | tomorrow | [on] (monday | tuesday | wednesday | thursday | friday | saturday | sunday))',
  },
  /** A time of day, `at seven`, `at seven thirty p m`, `at half past eight`, `at noon`. */
  time: {
    expression:
      "at (<hour> [fifteen | thirty | forty five | o'clock] [p m | a m | in the evening] | (half | quarter) past <hour> | noon)",
  },
  /** An hour, spoken. */
  hour: {
    expression:
      '(one | two | three | four | five | six | seven | eight | nine | ten | eleven | twelve)',
  },
  /** The name a booking is under, one the recogniser knows. */
  name: { expression: `(${DEMO_NAMES.join(' | ')})` },
  /** The name a booking is under, after `my name is`: typed text may give any one word. */
  any_name: { expression: `(${DEMO_NAMES.join(' | ')})`, openWord: true },
} as const satisfies Record<string, DemoSlot>;

/** The name of a slot. */
export type DemoSlotName = keyof typeof DEMO_SLOTS;

/** The intents of the demo, in the order they are tried. */
export const DEMO_INTENT_NAMES = [
  'book',
  'give_name',
  'availability',
  'hours',
  'cancel',
  'details',
  'yes',
  'help',
  'greeting',
  'goodbye',
] as const;

/** One of the demo's intents (plus `unknown` for anything else). */
export type DemoIntentName = (typeof DEMO_INTENT_NAMES)[number];

/** A booking request's details, as a phrase: `for four [people] [on friday] [at seven]`. */
const DETAILS = '[for <party> [people | persons]] [<day>] [<time>]';

/**
 * The phrases of each intent, tried in {@link DEMO_INTENT_NAMES} order; the
 * first phrase found anywhere in what was said decides. Slots fill the request.
 */
export const DEMO_PHRASES: Readonly<Record<DemoIntentName, readonly string[]>> = {
  book: [
    `[i would like to | i want to | can i | could i | please] (book | reserve) (a table | it) ${DETAILS} [(for | under) [the name] <name>]`,
    `make a (booking | reservation) ${DETAILS}`,
  ],
  give_name: [
    '(my name is | the name is | name is | under the name) <any_name>',
    '(it is under | it is for) <name>',
  ],
  availability: [
    `(do you have | have you got | is there | are there | any) (a table | tables | any tables | a free table | room) ${DETAILS}`,
    `(i would like | i want | i need | can i have | can i get | could i get | we would like) a table ${DETAILS}`,
    `a table for <party> [people | persons] [<day>] [<time>]`,
  ],
  hours: [
    '(when are you | are you) open [<day>]',
    'what are your (opening hours | hours)',
    'what time do you (open | close)',
    'opening hours',
  ],
  cancel: [
    'cancel [that | it | the booking | my booking | the reservation | my reservation]',
    '(never mind | forget it | no thanks | no thank you)',
  ],
  details: [
    'for <party> [people | persons] [<day>] [<time>]',
    '<party> (people | persons) [<day>] [<time>]',
    '<day> [<time>]',
    '<time>',
  ],
  yes: ['(yes | yeah | sure | okay | please do) [please] [book it]', 'that is fine'],
  help: ['what can you do', 'help [me]'],
  greeting: ['(hello | hi | hey) [there]', 'good (morning | afternoon | evening)'],
  goodbye: ['thank you [very much]', 'thanks', '(goodbye | bye)'],
};
