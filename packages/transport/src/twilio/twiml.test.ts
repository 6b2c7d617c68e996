import { describe, expect, it } from 'vitest';
import { VoiceError } from '@prx-voice/types';
import { escapeXml, twimlConnectStream } from './twiml.js';

describe('twimlConnectStream', () => {
  it('connects the call to a bidirectional stream with parameters', () => {
    expect(
      twimlConnectStream({
        streamUrl: 'wss://voice.example.com/telephony/twilio/stream',
        parameters: { session_id: 'ses_01', token: 'a.b.c' },
      }),
    ).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Connect>' +
        '<Stream url="wss://voice.example.com/telephony/twilio/stream">' +
        '<Parameter name="session_id" value="ses_01"/><Parameter name="token" value="a.b.c"/>' +
        '</Stream></Connect></Response>',
    );
  });

  it('writes an empty Stream without parameters', () => {
    expect(twimlConnectStream({ streamUrl: 'wss://h.example/s' })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="wss://h.example/s"/></Connect></Response>',
    );
  });

  it('escapes every attribute', () => {
    const xml = twimlConnectStream({
      streamUrl: 'wss://h.example/s?a=1&b="2"',
      parameters: { 'x"<y>': `O'Brien & <Co>` },
    });
    expect(xml).toContain('url="wss://h.example/s?a=1&amp;b=&quot;2&quot;"');
    expect(xml).toContain(
      '<Parameter name="x&quot;&lt;y&gt;" value="O&apos;Brien &amp; &lt;Co&gt;"/>',
    );
  });

  it('refuses a URL that is not wss:// and text XML cannot carry', () => {
    for (const streamUrl of ['ws://h.example/s', 'https://h.example/s', 'wss://', '/stream']) {
      expect(() => twimlConnectStream({ streamUrl })).toThrow(VoiceError);
    }
    expect(() => escapeXml('a\u0001b')).toThrow(/control character/);
  });
});
