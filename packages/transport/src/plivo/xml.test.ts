import { describe, expect, it } from 'vitest';
import { plivoXmlStream } from './xml.js';

describe('Plivo XML', () => {
  it('answers a bidirectional stream that keeps the call alive, escaping the URL', () => {
    expect(
      plivoXmlStream({
        streamUrl: 'wss://voice.example.com/telephony/plivo/stream?session_id=s&token=a<b',
        contentType: 'audio/x-mulaw;rate=8000',
        extraHeaders: { session_id: 's' },
      }),
    ).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Stream bidirectional="true" keepCallAlive="true" audioTrack="inbound" contentType="audio/x-mulaw;rate=8000" extraHeaders="session_id=s">wss://voice.example.com/telephony/plivo/stream?session_id=s&amp;token=a&lt;b</Stream></Response>',
    );
  });

  it('refuses a URL that is not a WebSocket URL, and a header that breaks the list', () => {
    expect(() =>
      plivoXmlStream({ streamUrl: 'https://x.example', contentType: 'audio/x-l16;rate=8000' }),
    ).toThrow(/wss/);
    expect(() =>
      plivoXmlStream({
        streamUrl: 'wss://x.example',
        contentType: 'audio/x-l16;rate=8000',
        extraHeaders: { a: 'b;c' },
      }),
    ).toThrow(/extra header/);
  });
});
