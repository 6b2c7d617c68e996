/**
 * What the turn-taking bench's callers say and what noises they make: the texts
 * handed to espeak-ng and the sox recipes, one list per clip kind. Voices and
 * speaking rates rotate over the lists so every kind hears several speakers.
 */

/** espeak-ng voices (language + variant) the clips rotate through. */
export const VOICES = ['en-us', 'en-gb', 'en+f3', 'en+m3', 'en-us+f2', 'en-gb-scotland'] as const;

/** espeak-ng speaking rates, words per minute. */
export const RATES = [140, 175, 210] as const;

/** Complete requests: one turn each, with these words. */
export const SENTENCES: readonly string[] = [
  'Please move my appointment to Friday morning.',
  'Can you tell me when the pharmacy closes tonight?',
  'I would like two large pizzas delivered to my office.',
  'My package was supposed to arrive yesterday afternoon.',
  'Transfer fifty dollars from checking into my savings account.',
  'What will the weather be like in Boston tomorrow?',
];

/** One- or two-word answers that must still be heard. */
export const SHORTS: readonly string[] = [
  'Yes.',
  'Twelve.',
  'Cancel it.',
  'No thanks.',
  'Tomorrow.',
  'Seventeen.',
];

/**
 * Requests said in two breaths, the first unfinished: one turn with both
 * halves, never an answer to the first. `pauseMs` is the silence between the
 * end of the first half's speech and the start of the second's.
 */
export const HESITATIONS: readonly {
  readonly first: string;
  readonly second: string;
  readonly pauseMs: number;
}[] = [
  { first: 'I need a taxi to the', second: 'central station please', pauseMs: 600 },
  { first: 'My number is five five five', second: 'two one nine eight', pauseMs: 800 },
  { first: 'Could you send the invoice to', second: 'my work email instead', pauseMs: 500 },
  { first: 'I was hoping to speak with', second: 'somebody from billing', pauseMs: 1000 },
  { first: 'The delivery address is forty two', second: 'Maple Street, flat six', pauseMs: 700 },
  { first: 'It was on the', second: 'fourteenth of March, I think', pauseMs: 900 },
];

/** Real interruptions, said while the bot is talking: the bot must stop. */
export const BARGE_INS: readonly string[] = [
  "No, stop, that's the wrong account.",
  'Hold on, I meant Tuesday.',
  'Sorry, can you repeat the last part?',
  'Wait, that is not what I asked for.',
  'Actually, cancel the whole order.',
  'Excuse me, I need to talk to a person.',
];

/** Acknowledgements said over the bot: it must keep talking. */
export const BACKCHANNELS: readonly string[] = [
  'uh huh',
  'yep',
  'mm hmm',
  'sure',
  'I see',
  'got it',
  'alright',
  'makes sense',
];

/**
 * Non-speech over the bot, 300–1500 ms: sox arguments after
 * `sox -n -r 16000 -c 1 … out.raw` (a `-c N` source for chords is given as `channels`).
 */
export const NOISES: readonly {
  readonly name: string;
  readonly channels?: number;
  readonly effects: readonly string[];
}[] = [
  {
    name: 'cough',
    effects: [
      ...['synth', '0.16', 'brownnoise', 'lowpass', '2500', 'fade', 'q', '0.005', '0.16', '0.13'],
      ...['pad', '0', '0.12', 'repeat', '1'],
    ],
  },
  {
    name: 'keyboard',
    effects: [
      ...['synth', '0.006', 'whitenoise', 'gain', '-6', 'highpass', '1500'],
      ...['fade', 'q', '0.001', '0.006', '0.005', 'pad', '0', '0.09', 'repeat', '9'],
    ],
  },
  { name: 'rumble', effects: ['synth', '1.2', 'brownnoise', 'lowpass', '180', 'fade', '0.1'] },
  {
    name: 'fan',
    effects: ['synth', '1.5', 'pinknoise', 'highpass', '120', 'lowpass', '3000', 'fade', '0.15'],
  },
  { name: 'beep', effects: ['synth', '0.4', 'sine', '1000', 'fade', '0.01', '0.4', '0.01'] },
  {
    name: 'music',
    channels: 3,
    effects: [
      ...['synth', '1.3', 'sine', '261.63', 'sine', '329.63', 'sine', '392'],
      ...['remix', '-', 'tremolo', '4', '40', 'fade', 'q', '0.05', '1.3', '0.2'],
    ],
  },
  { name: 'hum', effects: ['synth', '1.0', 'sine', '50', 'fade', '0.05', '1.0', '0.05'] },
  {
    name: 'knock',
    effects: [
      ...['synth', '0.05', 'brownnoise', 'lowpass', '500', 'fade', 'q', '0.002', '0.05', '0.045'],
      ...['pad', '0', '0.2', 'repeat', '2'],
    ],
  },
];

/**
 * What the bot is asked to say before an overlap clip (via `input.text`; the mock
 * agent answers `You said: …`, the mock TTS plays 50 ms per character: about 11 s).
 */
export const BOT_PROMPT =
  'Your order of three items has been confirmed and will be shipped from our warehouse in Denver on Monday, ' +
  'with a tracking number sent to your email address.';
