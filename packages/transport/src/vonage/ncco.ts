/** The NCCO that answers Vonage's answer webhook by connecting the call to our WebSocket. */
import { VoiceError } from '@prx-voice/types';
import type { VonageContentType } from './media-stream.js';

/** Options of {@link vonageConnectNcco}. */
export interface VonageConnectNccoOptions {
  /** The WebSocket URL (`wss://`, or `ws://` for a local test), query included. */
  readonly uri: string;
  /** The audio format both ways. */
  readonly contentType: VonageContentType;
  /** `headers`, echoed in the socket's `websocket:connected` message. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** One NCCO action connecting the call to a WebSocket endpoint. */
export interface VonageConnectAction {
  readonly action: 'connect';
  readonly endpoint: readonly [
    {
      readonly type: 'websocket';
      readonly uri: string;
      readonly 'content-type': VonageContentType;
      readonly headers: Readonly<Record<string, string>>;
    },
  ];
}

/**
 * Builds `[{ action: 'connect', endpoint: [{ type: 'websocket', uri, 'content-type', headers }] }]`.
 * Throws `VALIDATION_FAILED` for a URI that is not `ws(s)://`.
 *
 * @example
 * return c.json(vonageConnectNcco({ uri: 'wss://voice.example.com/telephony/vonage/stream?token=…', contentType: 'audio/l16;rate=16000' }));
 */
export function vonageConnectNcco(options: VonageConnectNccoOptions): [VonageConnectAction] {
  if (!/^wss?:\/\/[^\s/?#]+/i.test(options.uri)) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `The WebSocket URI ${JSON.stringify(options.uri)} is invalid; Vonage needs an absolute wss:// URI.`,
      details: { field: 'uri', value: options.uri },
    });
  }
  return [
    {
      action: 'connect',
      endpoint: [
        {
          type: 'websocket',
          uri: options.uri,
          'content-type': options.contentType,
          headers: { ...options.headers },
        },
      ],
    },
  ];
}
