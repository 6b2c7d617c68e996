import { describe, expect, it } from 'vitest';
import { vonageConnectNcco } from './ncco.js';

describe('Vonage NCCO', () => {
  it('connects the call to a WebSocket endpoint with its content type and headers', () => {
    expect(
      vonageConnectNcco({
        uri: 'wss://voice.example.com/telephony/vonage/stream?token=t',
        contentType: 'audio/l16;rate=16000',
        headers: { session_id: 's' },
      }),
    ).toEqual([
      {
        action: 'connect',
        endpoint: [
          {
            type: 'websocket',
            uri: 'wss://voice.example.com/telephony/vonage/stream?token=t',
            'content-type': 'audio/l16;rate=16000',
            headers: { session_id: 's' },
          },
        ],
      },
    ]);
    expect(() =>
      vonageConnectNcco({ uri: 'https://x.example', contentType: 'audio/l16;rate=8000' }),
    ).toThrow(/wss/);
  });
});
