import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createPlivoSigner } from '../testing/plivo-client.js';
import { plivoParams, plivoSignatureBase, verifyPlivoSignature } from './signature.js';

const TOKEN = 'MzYxNTE0ZWQ2ZjYzYjg5ZjE5YjQ3YjYzZDQ0MmQx';
const URL_ = 'https://voice.example.com/telephony/plivo/voice?b=2&a=1';
const BODY = 'To=%2B14155550100&From=%2B14155550111&CallUUID=abc-123&Direction=inbound';

describe('Plivo V3 signature', () => {
  it('signs the documented base: sorted query, ".", sorted form params without separators', () => {
    const base = plivoSignatureBase('POST', URL_, plivoParams(new URLSearchParams(BODY)));
    expect(base).toBe(
      'https://voice.example.com/telephony/plivo/voice?a=1&b=2.CallUUIDabc-123DirectioninboundFrom+14155550111To+14155550100',
    );
    expect(
      plivoSignatureBase('POST', 'https://h.example/p', plivoParams(new URLSearchParams('x=1'))),
    ).toBe('https://h.example/p?x1');
    expect(plivoSignatureBase('GET', 'https://h.example/p?z=1&y=2', new Map())).toBe(
      'https://h.example/p?y=2&z=1',
    );
    // By hand: HMAC-SHA256(token, base + "." + nonce), base64.
    const nonce = '05429567804466091622';
    const expected = createHmac('sha256', TOKEN).update(`${base}.${nonce}`).digest('base64');
    const headers = createPlivoSigner(TOKEN).headers('POST', URL_, BODY, nonce);
    expect(headers['x-plivo-signature-v3']).toBe(expected);
  });

  it('accepts a matching signature (also one of several) and refuses the rest', () => {
    const headers = createPlivoSigner(TOKEN).headers('POST', URL_, BODY);
    const check = (signature: string | undefined, nonce: string | undefined, body = BODY) =>
      verifyPlivoSignature({
        authToken: TOKEN,
        method: 'POST',
        url: URL_,
        form: plivoParams(new URLSearchParams(body)),
        signature,
        nonce,
      });
    const signature = headers['x-plivo-signature-v3'];
    const nonce = headers['x-plivo-signature-v3-nonce'];
    expect(check(signature, nonce)).toEqual({ kind: 'valid' });
    expect(check(`bogus, ${signature ?? ''}`, nonce)).toEqual({ kind: 'valid' });
    expect(check(signature, 'other-nonce')).toEqual({ kind: 'invalid', reason: 'mismatch' });
    expect(check(signature, nonce, `${BODY}&To=%2B15550000000`)).toEqual({
      kind: 'invalid',
      reason: 'mismatch',
    });
    expect(check(undefined, nonce)).toEqual({ kind: 'invalid', reason: 'missing' });
    expect(check(signature, undefined)).toEqual({ kind: 'invalid', reason: 'missing' });
    const forged = createPlivoSigner('another-token').headers('POST', URL_, BODY, nonce);
    expect(check(forged['x-plivo-signature-v3'], nonce)).toEqual({
      kind: 'invalid',
      reason: 'mismatch',
    });
  });
});
