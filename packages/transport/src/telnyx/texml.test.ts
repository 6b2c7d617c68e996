import { describe, expect, it } from 'vitest';
import { texmlConnectStream } from './texml.js';

describe('TeXML connecting the call to a bidirectional stream', () => {
  it('opens an rtp-mode stream in the codec both ways, with escaped parameters', () => {
    const xml = texmlConnectStream({
      streamUrl: 'wss://voice.example.com/telephony/telnyx/stream',
      codec: 'PCMA',
      parameters: { session_id: 'ses_1', stream_token: 'a&b"c' },
    });
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Connect>' +
        '<Stream url="wss://voice.example.com/telephony/telnyx/stream" track="inbound_track" codec="PCMA" bidirectionalMode="rtp" bidirectionalCodec="PCMA" bidirectionalSamplingRate="8000">' +
        '<Parameter name="session_id" value="ses_1"/><Parameter name="stream_token" value="a&amp;b&quot;c"/>' +
        '</Stream></Connect></Response>',
    );
  });

  it('refuses a URL that is not a WebSocket URL', () => {
    expect(() => texmlConnectStream({ streamUrl: 'https://x.example', codec: 'PCMU' })).toThrow(
      /wss:\/\//,
    );
  });
});
