/**
 * Backchannels: the short acknowledgements a listener makes while the other
 * person talks ("uh huh", "yeah", "I see"). Said over the bot, they keep the
 * floor with the bot; anything else is a barge-in.
 */

/** Acknowledgement phrases by primary language subtag (lower case, words separated by spaces). */
export const DEFAULT_BACKCHANNELS: Readonly<Record<string, readonly string[]>> = {
  en: [
    'yeah',
    'yes',
    'yep',
    'yup',
    'ya',
    'uh huh',
    'uh-huh',
    'mm hmm',
    'mhm',
    'mm',
    'hmm',
    'mm-hmm',
    'okay',
    'ok',
    'right',
    'sure',
    'alright',
    'all right',
    'i see',
    'got it',
    'cool',
    'great',
    'exactly',
    'true',
    'indeed',
    'of course',
    'oh',
    'ah',
    'aha',
    'wow',
    'nice',
    'fine',
    'sounds good',
    'makes sense',
    'i know',
    'totally',
    'yeah yeah',
    'okay okay',
    'right right',
    'uh',
    'um',
  ],
  es: [
    'sí',
    'si',
    'ajá',
    'aja',
    'vale',
    'claro',
    'ya',
    'bueno',
    'exacto',
    'mhm',
    'de acuerdo',
    'entiendo',
    'ok',
    'okay',
  ],
  fr: [
    'oui',
    'ouais',
    "d'accord",
    'ok',
    'okay',
    'bien sûr',
    'voilà',
    'exactement',
    'mhm',
    'ah bon',
    'je vois',
    'hum',
  ],
  de: [
    'ja',
    'genau',
    'okay',
    'ok',
    'stimmt',
    'richtig',
    'klar',
    'mhm',
    'aha',
    'ach so',
    'alles klar',
    'gut',
  ],
  it: ['sì', 'si', 'certo', 'va bene', 'ok', 'okay', 'esatto', 'mhm', 'capisco', 'giusto', 'ah'],
  pt: [
    'sim',
    'tá',
    'ta',
    'claro',
    'certo',
    'ok',
    'okay',
    'exato',
    'mhm',
    'entendi',
    'beleza',
    'aham',
  ],
  nl: ['ja', 'oké', 'ok', 'okay', 'precies', 'klopt', 'mhm', 'goed', 'inderdaad', 'ach zo'],
};

/** Lower case, punctuation removed, words separated by one space. */
export function normalizeWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s'-]/gu, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 0);
}

/** A compiled set of backchannel phrases. */
export interface BackchannelSet {
  /** Whether the whole text is one or more backchannel phrases (e.g. "yeah, right"). */
  isBackchannel(text: string): boolean;
  /**
   * Whether the text may still become a backchannel as more words arrive (every
   * word so far fits a phrase or a phrase's beginning): a partial that may not is a barge-in.
   */
  mayBeBackchannel(text: string): boolean;
}

/** The phrases of a language (BCP-47 tag), from `custom` when given, else the defaults (English when unknown). */
export function backchannelsFor(
  language: string,
  custom?: Readonly<Record<string, readonly string[]>>,
): readonly string[] {
  const primary = language.toLowerCase().split('-')[0] ?? 'en';
  return (
    custom?.[language] ??
    custom?.[primary] ??
    DEFAULT_BACKCHANNELS[primary] ??
    DEFAULT_BACKCHANNELS.en ??
    []
  );
}

/**
 * Compiles phrases into a matcher. A text is a backchannel when its words can
 * be split into a sequence of phrases ("yeah okay", "uh huh right").
 */
export function createBackchannelSet(phrases: readonly string[]): BackchannelSet {
  const compiled = phrases.map(normalizeWords).filter((p) => p.length > 0);
  /** Can words[from…] be covered by whole phrases (prefix: the last one may be cut short)? */
  const covers = (words: readonly string[], from: number, prefix: boolean): boolean => {
    if (from === words.length) return true;
    for (const p of compiled) {
      let k = 0;
      while (k < p.length && from + k < words.length && p[k] === words[from + k]) k++;
      if (k === p.length && covers(words, from + k, prefix)) return true;
      if (prefix && k > 0 && from + k === words.length) return true;
    }
    return false;
  };
  return {
    isBackchannel(text) {
      const words = normalizeWords(text);
      return words.length > 0 && words.length <= 6 && covers(words, 0, false);
    },
    mayBeBackchannel(text) {
      const words = normalizeWords(text);
      return words.length <= 6 && covers(words, 0, true);
    },
  };
}
