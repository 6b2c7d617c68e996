import { describe, expect, it } from 'vitest';
import { backchannelsFor, createBackchannelSet } from './backchannel.js';

describe('backchannels', () => {
  const en = createBackchannelSet(backchannelsFor('en-US'));

  it.each(['uh huh', 'Yeah.', 'mm-hmm', 'okay, got it', 'I see', 'right right', 'sure'])(
    '%j is an acknowledgement',
    (text) => {
      expect(en.isBackchannel(text)).toBe(true);
    },
  );

  it.each(['no', 'hold on', 'wait a second', 'yeah but I meant Tuesday', 'stop'])(
    '%j is not',
    (text) => {
      expect(en.isBackchannel(text)).toBe(false);
    },
  );

  it('tells a partial that may still become one from one that cannot', () => {
    expect(en.mayBeBackchannel('I')).toBe(true); // "I see"
    expect(en.mayBeBackchannel('I meant')).toBe(false);
    expect(en.mayBeBackchannel('makes')).toBe(true); // "makes sense"
    expect(en.mayBeBackchannel('hold')).toBe(false);
    expect(en.mayBeBackchannel('')).toBe(true);
  });

  it('takes phrases by language, configured lists replacing the built-in ones', () => {
    expect(backchannelsFor('de-CH')).toContain('genau');
    expect(backchannelsFor('xx-YY')).toContain('uh huh'); // unknown: English
    const custom = createBackchannelSet(backchannelsFor('en-GB', { en: ['cheers', 'lovely'] }));
    expect(custom.isBackchannel('lovely')).toBe(true);
    expect(custom.isBackchannel('yeah')).toBe(false);
  });
});
