import { describe, expect, it } from 'vitest';
import { findPii, hashContent, redact, redactValue, REDACTION_LEVELS } from './redact.js';
import type { RedactionLevel } from './redact.js';
import { VoiceError } from './voice-error.js';

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

// [input, level, expected output]
const CASES: [string, RedactionLevel, string][] = [
  // email
  ['write to jane.doe+calls@example.co.uk today', 'basic', 'write to [EMAIL] today'],
  ['Mail: Jane.Doe@Example.COM.', 'basic', 'Mail: [EMAIL].'],
  ['<ops@prx-voice.io>, sales@prx-voice.io', 'basic', '<[EMAIL]>, [EMAIL]'],
  [
    'not an address: a@b, @handle, x@localhost',
    'basic',
    'not an address: a@b, @handle, x@localhost',
  ],
  // phone, positive
  ['E.164 +14155552671 here', 'basic', 'E.164 [PHONE] here'],
  ['call +1 415 555 2671.', 'basic', 'call [PHONE].'],
  ['call (415) 555-2671 now', 'basic', 'call [PHONE] now'],
  ['call 415-555-2671', 'basic', 'call [PHONE]'],
  ['call 415.555.2671', 'basic', 'call [PHONE]'],
  ['call 1-415-555-2671', 'basic', 'call [PHONE]'],
  ['London +44 20 7946 0958', 'basic', 'London [PHONE]'],
  ['London +44 (0)20 7946 0958', 'basic', 'London [PHONE]'],
  ['Berlin +49 30 901820', 'basic', 'Berlin [PHONE]'],
  // phone, negative
  ['on 2026-11-21 at 12:30:45', 'strict', 'on 2026-11-21 at 12:30:45'],
  ['pi is 3.14159, build 1.2.3', 'strict', 'pi is 3.14159, build 1.2.3'],
  ['42 apples cost 1500 and +1500 more', 'basic', '42 apples cost 1500 and +1500 more'],
  ['ratio +3.14159 and +1.2.3', 'basic', 'ratio +3.14159 and +1.2.3'],
  ['order 4155552671x', 'basic', 'order 4155552671x'],
  ['unix 1732200000 ms 1732200000000', 'basic', 'unix 1732200000 ms 1732200000000'],
  // card
  ['card 4111 1111 1111 1111 ok', 'basic', 'card [CARD] ok'],
  ['card 5500-0000-0000-0004', 'basic', 'card [CARD]'],
  ['amex 378282246310005', 'basic', 'amex [CARD]'],
  [
    'visa 4012888888881881 then 2026-11-21 4111111111111111',
    'basic',
    'visa [CARD] then 2026-11-21 [CARD]',
  ],
  ['fails Luhn 4111 1111 1111 1112', 'basic', 'fails Luhn 4111 1111 1111 1112'],
  ['fails Luhn 5500000000000005', 'basic', 'fails Luhn 5500000000000005'],
  ['20 digits 41111111111111111111', 'basic', '20 digits 41111111111111111111'],
  ['card then cvv 4111 1111 1111 1111 123', 'basic', 'card then cvv [CARD] 123'],
  ['cards 4111111111111111,5500000000000004', 'basic', 'cards [CARD],[CARD]'],
  ['csv 4111111111111111,123', 'basic', 'csv [CARD],123'],
  // digits (strict only)
  ['ssn 123-45-6789', 'basic', 'ssn 123-45-6789'],
  ['ssn 123-45-6789', 'strict', 'ssn [DIGITS]'],
  ['account 12345678 and ACC-7654321', 'strict', 'account [DIGITS] and ACC-[DIGITS]'],
  ['spoken 1 2 3 4 5 6 7 8', 'strict', 'spoken [DIGITS]'],
  ['short 123456 and 12 34 56', 'strict', 'short 123456 and 12 34 56'],
  ['fails Luhn 4111 1111 1111 1112', 'strict', 'fails Luhn [DIGITS]'],
  [
    'price $1500000, 1234567.89 and 1,234,567',
    'strict',
    'price $1500000, 1234567.89 and 1,234,567',
  ],
  [
    'dates 2026-11-21, 21-11-2026 and 2026-11-21T12:30:45Z',
    'strict',
    'dates 2026-11-21, 21-11-2026 and 2026-11-21T12:30:45Z',
  ],
  [
    'ids sess_01J9Z3K4567890 550e8400-e29b-41d4-a716-446655440000',
    'strict',
    'ids sess_01J9Z3K4567890 550e8400-e29b-41d4-a716-446655440000',
  ],
  [
    'uuid 12345678-1234-1234-1234-123456789012',
    'strict',
    'uuid 12345678-1234-1234-1234-123456789012',
  ],
  ['room 1234567 8am', 'strict', 'room [DIGITS] 8am'],
  ['lat 37.7749295 lon -122.4194155', 'strict', 'lat 37.7749295 lon -122.4194155'],
  [
    'count 1234567 55084001-e29b-41d4-a716-446655440000',
    'strict',
    'count [DIGITS] 55084001-e29b-41d4-a716-446655440000',
  ],
  // bearer, jwt, api keys
  ['Authorization: Bearer abc123.DEF_456-ghi', 'basic', 'Authorization: Bearer [TOKEN]'],
  ['authorization: bearer  XyZ0987654321abc=', 'basic', 'authorization: bearer  [TOKEN]'],
  [
    'the bearer of bad news, Bearer token auth',
    'basic',
    'the bearer of bad news, Bearer token auth',
  ],
  [`id_token=${JWT}&x=1`, 'basic', 'id_token=[JWT]&x=1'],
  ['key pk_live_51H8abcdefGHIJKL012345', 'basic', 'key [API_KEY]'],
  ['short pk_abc123 is not a key', 'basic', 'short pk_abc123 is not a key'],
  [
    'sk_test_4eC39HqLyjWDarjtT1zdp7dc and sk-proj-Ab3dEf6hIj9kLmNoPqRsTuV',
    'basic',
    '[API_KEY] and [API_KEY]',
  ],
  [
    'gh ghp_abcdefghijklmnopqrstuvwxyz0123456789 aws AKIAIOSFODNN7EXAMPLE',
    'basic',
    'gh [API_KEY] aws [API_KEY]',
  ],
  ['task-abcdefghijklmnopqrstuvwxyz is fine', 'basic', 'task-abcdefghijklmnopqrstuvwxyz is fine'],
  // ipv4 (strict only)
  ['from 192.168.1.20 and 10.0.0.1.', 'basic', 'from 192.168.1.20 and 10.0.0.1.'],
  ['from 192.168.1.20 and 10.0.0.1.', 'strict', 'from [IP] and [IP].'],
  ['not ips 256.1.1.1 1.2.3 1.2.3.4.5', 'strict', 'not ips 256.1.1.1 1.2.3 1.2.3.4.5'],
  // none
  [
    'jane@example.com 4111 1111 1111 1111 Bearer abc123XYZ',
    'none',
    'jane@example.com 4111 1111 1111 1111 Bearer abc123XYZ',
  ],
  // mixed
  ['', 'strict', ''],
  [
    'Caller jane@example.com (415) 555-2671 paid with 4111-1111-1111-1111 from 10.1.2.3',
    'strict',
    'Caller [EMAIL] [PHONE] paid with [CARD] from [IP]',
  ],
];

describe('redact (mask mode)', () => {
  it.each(CASES)('%j at %s', (input, level, expected) => {
    expect(redact(input, { level })).toBe(expected);
  });

  it('defaults to the basic level', () => {
    expect(redact('ssn 123-45-6789 mail a@b.io')).toBe('ssn 123-45-6789 mail [EMAIL]');
  });

  it('never leaves any part of a detected value in the output', () => {
    for (const [input, level] of CASES) {
      const out = redact(input, { level });
      for (const f of findPii(input, { level })) {
        expect(out).not.toContain(input.slice(f.start, f.end));
      }
    }
  });

  it('is idempotent, in both modes', () => {
    for (const [input, level] of CASES) {
      const masked = redact(input, { level });
      expect(redact(masked, { level })).toBe(masked);
      const hashed = redact(input, { level, mode: 'hash', salt: 'pepper' });
      expect(redact(hashed, { level, mode: 'hash', salt: 'pepper' })).toBe(hashed);
    }
  });
});

describe('findPii', () => {
  it('reports sorted, non-overlapping spans with their kinds', () => {
    const text = 'a@b.io 415-555-2671 4111111111111111';
    expect(findPii(text)).toEqual([
      { kind: 'email', start: 0, end: 6 },
      { kind: 'phone', start: 7, end: 19 },
      { kind: 'card', start: 20, end: 36 },
    ]);
  });

  it('reports a JWT inside a Bearer header once, as the token after the word', () => {
    const text = `Authorization: Bearer ${JWT}`;
    expect(findPii(text)).toEqual([{ kind: 'bearer', start: 22, end: text.length }]);
    expect(redact(text)).toBe('Authorization: Bearer [TOKEN]');
  });

  it('reports a card once, not also as digits or a phone', () => {
    expect(findPii('4111 1111 1111 1111', { level: 'strict' })).toEqual([
      { kind: 'card', start: 0, end: 19 },
    ]);
    expect(findPii('415-555-2671', { level: 'strict' })).toEqual([
      { kind: 'phone', start: 0, end: 12 },
    ]);
  });

  it('lets an e-mail swallow the phone number in its local part', () => {
    expect(findPii('+14155552671@sms.example.com')).toEqual([{ kind: 'email', start: 0, end: 28 }]);
  });

  it('covers the whole cluster when spans overlap partially', () => {
    // strict: the card and the digit run around it become one finding, named card
    expect(findPii('4111 1111 1111 1111 123', { level: 'strict' })).toEqual([
      { kind: 'card', start: 0, end: 23 },
    ]);
  });

  it('finds nothing at level none or in empty text', () => {
    expect(findPii('a@b.io', { level: 'none' })).toEqual([]);
    expect(findPii('', { level: 'strict' })).toEqual([]);
  });

  it('knows the three levels', () => {
    expect(REDACTION_LEVELS).toEqual(['none', 'basic', 'strict']);
  });
});

describe('redact (hash mode)', () => {
  const hash = (text: string, salt = 'salt-1', level: RedactionLevel = 'strict'): string =>
    redact(text, { mode: 'hash', salt, level });

  it('replaces findings by kind and 12 hex characters', () => {
    expect(hash('mail jane@example.com')).toMatch(/^mail \[EMAIL:[0-9a-f]{12}\]$/);
    expect(hash('Bearer abc123XYZ456')).toMatch(/^Bearer \[TOKEN:[0-9a-f]{12}\]$/);
    expect(hash('ssn 123-45-6789')).toMatch(/^ssn \[DIGITS:[0-9a-f]{12}\]$/);
  });

  it('is stable for one value and salt, and differs across salts and values', () => {
    expect(hash('jane@example.com')).toBe(hash('jane@example.com'));
    expect(hash('jane@example.com')).not.toBe(hash('jane@example.com', 'salt-2'));
    expect(hash('jane@example.com')).not.toBe(hash('john@example.com'));
  });

  it('hashes formatting variants of one value alike', () => {
    const phones = [
      '+14155552671',
      '+1 415 555 2671',
      '(415) 555-2671',
      '415-555-2671',
      '415.555.2671',
      '1-415-555-2671',
    ];
    expect(new Set(phones.map((p) => hash(p))).size).toBe(1);
    expect(hash('+44 20 7946 0958')).toBe(hash('+44 (0)20 7946 0958'));
    expect(hash('Jane.Doe@Example.COM')).toBe(hash('jane.doe@example.com'));
    expect(hash('4111 1111 1111 1111')).toBe(hash('4111-1111-1111-1111'));
    expect(hash('4111 1111 1111 1111')).toBe(hash('4111111111111111'));
    // the hash is of the card, not of the digits glued to it by overlap
    expect(hash('4111 1111 1111 1111 123')).toBe(hash('4111111111111111'));
  });

  it('keys the hash by kind too', () => {
    const digits = hash('4155552671').replace(/^\[DIGITS:/, '');
    const phone = hash('415-555-2671').replace(/^\[PHONE:/, '');
    expect(digits).not.toBe(phone);
  });

  it('never contains the original value', () => {
    const text = 'jane@example.com +14155552671 4111111111111111 pk_live_51H8abcdefGHIJKL012345';
    const out = hash(text);
    for (const part of ['jane', 'example', '4155552671', '41111111', 'pk_live', '51H8abcdef']) {
      expect(out).not.toContain(part);
    }
  });

  it('requires a non-empty salt, and valid options', () => {
    const expectInvalid = (fn: () => unknown): void => {
      try {
        fn();
        expect.unreachable('should have thrown');
      } catch (error) {
        expect(VoiceError.is(error)).toBe(true);
        expect((error as VoiceError).code).toBe('VALIDATION_FAILED');
      }
    };
    expectInvalid(() => redact('a@b.io', { mode: 'hash' }));
    expectInvalid(() => redact('a@b.io', { mode: 'hash', salt: '' }));
    expectInvalid(() => redact('nothing here', { mode: 'hash', level: 'none' }));
    expectInvalid(() => redactValue({ a: 1 }, { mode: 'hash' }));
    expectInvalid(() => hashContent('transcript', ''));
    expectInvalid(() => redact('x', { level: 'loose' as RedactionLevel }));
    expectInvalid(() => redact('x', { mode: 'blur' as 'mask' }));
  });
});

describe('hashContent', () => {
  it('is an HMAC-SHA256 of the whole text, stable per salt', () => {
    const h = hashContent('my card is 4111 1111 1111 1111', 'salt-1');
    expect(h).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(hashContent('my card is 4111 1111 1111 1111', 'salt-1')).toBe(h);
    expect(hashContent('my card is 4111 1111 1111 1111', 'salt-2')).not.toBe(h);
    expect(hashContent('my card is 4111 1111 1111 1112', 'salt-1')).not.toBe(h);
    // HMAC-SHA256(key "key", "The quick brown fox jumps over the lazy dog")
    expect(hashContent('The quick brown fox jumps over the lazy dog', 'key')).toBe(
      'hmac-sha256:f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
  });
});

describe('redactValue', () => {
  it('redacts strings deeply and replaces sensitive keys whatever they hold', () => {
    const input = {
      msg: 'caller jane@example.com',
      n: 42,
      ok: true,
      none: null,
      password: 'hunter2',
      headers: { Authorization: 'Bearer abc123XYZ', 'set-cookie': ['a=1', 'b=2'], accept: 'json' },
      auth: { apiKey: { nested: 1 }, api_key: 7, client_secret: null, refreshToken: 'r' },
      turns: [{ text: 'my number is 415-555-2671' }, 'card 4111 1111 1111 1111', 3],
    };
    expect(redactValue(input)).toEqual({
      msg: 'caller [EMAIL]',
      n: 42,
      ok: true,
      none: null,
      password: '[REDACTED]',
      headers: { Authorization: '[REDACTED]', 'set-cookie': '[REDACTED]', accept: 'json' },
      auth: {
        apiKey: '[REDACTED]',
        api_key: '[REDACTED]',
        client_secret: '[REDACTED]',
        refreshToken: '[REDACTED]',
      },
      turns: [{ text: 'my number is [PHONE]' }, 'card [CARD]', 3],
    });
    expect(input.password).toBe('hunter2'); // the input is not touched
  });

  it('replaces cycles, keeps shared references, converts dates and binary', () => {
    const shared = { email: 'a@b.io' };
    const root: Record<string, unknown> = {
      when: new Date('2026-11-21T12:30:45.000Z'),
      bad: new Date(Number.NaN),
      audio: Buffer.from([1, 2, 3]),
      pcm: new Int16Array(4),
      raw: new ArrayBuffer(5),
      left: shared,
      right: shared,
      list: [] as unknown[],
    };
    root.self = root;
    (root.list as unknown[]).push(root, { deeper: { back: root.list } });
    const out = redactValue(root, { level: 'strict' }) as Record<string, unknown>;
    expect(out).toEqual({
      when: '2026-11-21T12:30:45.000Z',
      bad: 'Invalid Date',
      audio: '[Binary 3 bytes]',
      pcm: '[Binary 8 bytes]',
      raw: '[Binary 5 bytes]',
      left: { email: '[EMAIL]' },
      right: { email: '[EMAIL]' },
      list: ['[Circular]', { deeper: { back: '[Circular]' } }],
      self: '[Circular]',
    });
    expect(out.left).toBe(out.right);
  });

  it('flattens Maps, Sets, errors and toJSON objects', () => {
    const err = new VoiceError('TOOL_FAILED', {
      message: 'tool saw a@b.io',
      cause: new Error('token=1'),
    });
    const out = redactValue(
      {
        m: new Map<unknown, unknown>([
          ['ip', '10.0.0.1'],
          ['token', 'x'],
          [1, 'a@b.io'],
        ]),
        s: new Set(['a@b.io', 1]),
        err,
        url: new URL('https://example.com/u/a@b.io'),
      },
      { level: 'strict' },
    ) as Record<string, Record<string, unknown>>;
    expect(out.m).toEqual({ ip: '[IP]', token: '[REDACTED]', 1: '[EMAIL]' });
    expect(out.s).toEqual(['[EMAIL]', 1]);
    expect(out.err).toMatchObject({
      name: 'VoiceError',
      message: 'tool saw [EMAIL]',
      code: 'TOOL_FAILED',
      cause: { name: 'Error', message: 'token=1' },
    });
    expect(String(out.err?.stack)).not.toContain('a@b.io');
    expect(out.url).toBe('https://example.com/u/[EMAIL]');
  });

  it('keeps sensitive keys redacted at level none, and leaves the rest', () => {
    expect(redactValue({ password: 'p', note: 'a@b.io' }, { level: 'none' })).toEqual({
      password: '[REDACTED]',
      note: 'a@b.io',
    });
  });

  it('matches sensitive keys as whole words in any case style, not token counts', () => {
    const out = redactValue({
      accessToken: 'a',
      'x-api-key': 'b',
      Authorization: 'c',
      client_secret: 'd',
      apiKey: 'e',
      Cookie: 'f',
      max_tokens: 256,
      prompt_tokens: 12,
      passenger: 'Ann',
      bypass: 'no',
      tokenizer: 'bpe',
    });
    expect(out).toEqual({
      accessToken: '[REDACTED]',
      'x-api-key': '[REDACTED]',
      Authorization: '[REDACTED]',
      client_secret: '[REDACTED]',
      apiKey: '[REDACTED]',
      Cookie: '[REDACTED]',
      max_tokens: 256,
      prompt_tokens: 12,
      passenger: 'Ann',
      bypass: 'no',
      tokenizer: 'bpe',
    });
  });

  it('hashes strings in hash mode and takes a custom key pattern', () => {
    const out = redactValue(
      { note: 'a@b.io', max_tokens: 256, pin: 1234 },
      { mode: 'hash', salt: 's', sensitiveKey: /^pin$/ },
    );
    expect(out).toEqual({
      note: redact('a@b.io', { mode: 'hash', salt: 's' }),
      max_tokens: 256,
      pin: '[REDACTED]',
    });
  });

  it('redacts a top-level string and passes other primitives through', () => {
    expect(redactValue('a@b.io')).toBe('[EMAIL]');
    expect(redactValue(7)).toBe(7);
    expect(redactValue(undefined)).toBeUndefined();
  });
});

describe('performance', () => {
  it('handles a 200 KB adversarial string of digits, dots and @s', () => {
    let text = '';
    let x = 7;
    const alphabet = '0123456789.@';
    while (text.length < 200_000) {
      x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
      text += alphabet[x % alphabet.length] ?? '';
    }
    // no TLD anywhere, runs too short or broken by dots: nothing at basic
    expect(redact(text)).toBe(text);
    expect(redact(`${'1.1@'.repeat(50_000)} jane@example.com`)).toBe(
      `${'1.1@'.repeat(50_000)} [EMAIL]`,
    );
    expect(redact('a@' + 'a.'.repeat(100_000))).toBe('a@' + 'a.'.repeat(100_000));
    expect(redact(`${'a'.repeat(200_000)}@`)).toBe(`${'a'.repeat(200_000)}@`);
    expect(redact('1'.repeat(200_000), { level: 'strict' })).toBe('[DIGITS]');
    expect(redact('+1 '.repeat(70_000))).toBe('+1 '.repeat(70_000));
    expect(redact(`Bearer${' '.repeat(200_000)}x`)).toBe(`Bearer${' '.repeat(200_000)}x`);
  });
});
