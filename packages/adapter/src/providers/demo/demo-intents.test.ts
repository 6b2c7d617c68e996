import { describe, expect, it } from 'vitest';
import { matchDemoIntent, normaliseUtterance, parseSpokenTime } from './demo-intents.js';

describe('normaliseUtterance', () => {
  it('writes text as the recogniser would: lower-case words, numbers and times spelled out', () => {
    expect(normaliseUtterance('Is there a table for 4 on Friday at 7:30pm?')).toBe(
      'is there a table for four on friday at seven thirty p m',
    );
    expect(normaliseUtterance("I'd like a table at 19:00, please!")).toBe(
      'i would like a table at seven p m please',
    );
    expect(normaliseUtterance('At 9 a.m.')).toBe('at nine a m');
    // `am` is the time of day only after a number.
    expect(normaliseUtterance('I am Bob')).toBe('i am bob');
  });
});

describe('parseSpokenTime', () => {
  it('reads spoken times, evening by default for a restaurant', () => {
    expect(parseSpokenTime('at seven')).toBe('19:00');
    expect(parseSpokenTime('at seven thirty')).toBe('19:30');
    expect(parseSpokenTime('at half past eight')).toBe('20:30');
    expect(parseSpokenTime('at quarter past one p m')).toBe('13:15');
    expect(parseSpokenTime('at eleven')).toBe('11:00');
    expect(parseSpokenTime('at twelve')).toBe('12:00');
    expect(parseSpokenTime('at noon')).toBe('12:00');
    expect(parseSpokenTime('at nine a m')).toBe('09:00');
    expect(parseSpokenTime("at six o'clock in the evening")).toBe('18:00');
  });
});

describe('matchDemoIntent', () => {
  it.each([
    ['Hello!', 'greeting', {}],
    ['good evening', 'greeting', {}],
    ['When are you open?', 'hours', {}],
    ['are you open on monday', 'hours', { day: 'monday' }],
    ['What time do you close', 'hours', {}],
    [
      'Is there a table for 4 on Friday at 7:30pm?',
      'availability',
      { party_size: 4, day: 'friday', time: '19:30' },
    ],
    ['do you have a table for two tomorrow', 'availability', { party_size: 2, day: 'tomorrow' }],
    ["hi, I'd like a table for 6 at 19:00", 'availability', { party_size: 6, time: '19:00' }],
    [
      'Book a table for two on Sunday at 1pm for Bob',
      'book',
      { party_size: 2, day: 'sunday', time: '13:00', name: 'Bob' },
    ],
    ['book it for sarah', 'book', { name: 'Sarah' }],
    ['my name is alice', 'give_name', { name: 'Alice' }],
    ['My name is Zebulon', 'give_name', { name: 'Zebulon' }],
    ['it is for henry', 'give_name', { name: 'Henry' }],
    ['for four people on saturday', 'details', { party_size: 4, day: 'saturday' }],
    ['at half past seven', 'details', { time: '19:30' }],
    ['on friday', 'details', { day: 'friday' }],
    ['yes please', 'yes', {}],
    ['cancel my booking', 'cancel', {}],
    ['no thanks', 'cancel', {}],
    ['thank you very much', 'goodbye', {}],
    ['bye', 'goodbye', {}],
    ['what can you do', 'help', {}],
  ] as const)('"%s" is %s %o', (text, intent, slots) => {
    const match = matchDemoIntent(text);
    expect(match.intent).toBe(intent);
    expect(match.slots).toEqual(slots);
  });

  it('takes any one word as a name only after "my name is", never a word of its own', () => {
    expect(matchDemoIntent('I am looking for a table for two')).toMatchObject({
      intent: 'availability',
      slots: { party_size: 2 },
    });
    expect(matchDemoIntent('my name is friday').intent).not.toBe('give_name');
  });

  it('matches whole words only, and calls anything else unknown', () => {
    expect(matchDemoIntent('history of the hinterland').intent).toBe('unknown');
    expect(matchDemoIntent('can you sing').intent).toBe('unknown');
    expect(matchDemoIntent('').intent).toBe('unknown');
  });
});
