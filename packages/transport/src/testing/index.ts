/**
 * `@prx-voice/transport/testing` — test helpers: a recording fake socket and a
 * scripted Twilio Media Streams client.
 *
 * @example
 * import { createFakeSocket, createTwilioClientScript, parseTwilioOutbound } from '@prx-voice/transport/testing';
 * const socket = createFakeSocket();
 * const twilio = createTwilioClientScript({ customParameters: { session_id: 'ses_1' } });
 * stream.receive(twilio.connected());
 * stream.receive(twilio.start());
 * const sent = socket.texts().map(parseTwilioOutbound);
 */
export { createFakeSocket } from './fake-socket.js';
export type { FakeSocket } from './fake-socket.js';
export {
  createTwilioClientScript,
  decodeTwilioOutboundAudio,
  parseTwilioOutbound,
} from './twilio-client.js';
export type { TwilioClientScript, TwilioClientScriptOptions } from './twilio-client.js';
