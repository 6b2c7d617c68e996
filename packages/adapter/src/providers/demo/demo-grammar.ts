/**
 * The demo assistant's JSGF grammar for pocketsphinx, derived from the same
 * phrases the intent matcher uses (`demo-phrases.ts`): one public rule that is
 * any intent's phrase, one rule per intent and per slot. With it the offline
 * recogniser hears only what the demo understands, and hears it far better
 * than with the general language model.
 */
import { DEMO_INTENT_NAMES, DEMO_PHRASES, DEMO_SLOTS } from './demo-phrases.js';
import { parsePhrase, toJsgf } from './phrase-expression.js';

const slotRule = (name: string): string => `slot_${name}`;

let grammar: string | undefined;

/**
 * The JSGF grammar (V1.0, grammar `prx_demo`, public rule `<utterance>`) of
 * every phrase of every intent of the demo.
 *
 * @example
 * createPocketsphinxAsr().open({ sampleRate: 16000, language: 'en-US', options: { grammar: demoGrammar() } });
 */
export function demoGrammar(): string {
  if (grammar !== undefined) return grammar;
  const intentRule = (intent: string): string => `intent_${intent}`;
  const lines = [
    '#JSGF V1.0;',
    'grammar prx_demo;',
    `public <utterance> = ${DEMO_INTENT_NAMES.map((intent) => `<${intentRule(intent)}>`).join(' | ')};`,
    ...DEMO_INTENT_NAMES.map(
      (intent) =>
        `<${intentRule(intent)}> = ${DEMO_PHRASES[intent]
          .map((phrase) => toJsgf(parsePhrase(phrase), slotRule))
          .join(' | ')};`,
    ),
    ...Object.entries(DEMO_SLOTS).map(
      ([name, slot]) => `<${slotRule(name)}> = ${toJsgf(parsePhrase(slot.expression), slotRule)};`,
    ),
  ];
  grammar = `${lines.join('\n')}\n`;
  return grammar;
}
