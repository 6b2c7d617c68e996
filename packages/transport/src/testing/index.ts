/**
 * `@prx-voice/transport/testing` — test helpers: a recording fake socket, a
 * scripted Twilio Media Streams client and a local server speaking Twilio's call-update API,
 * a scripted Telnyx media-streaming client with a webhook signer, scripted Plivo and Vonage
 * clients with their signers, the carriers' playback buffer, and a local server speaking
 * the carriers' call-control REST APIs (Twilio, Telnyx, Plivo, Vonage) for outbound calls.
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
export { startTwilioApiServer } from './twilio-api.js';
export type { TwilioApiFault, TwilioApiRequest, TwilioApiServer } from './twilio-api.js';
export type { FakeSocket } from './fake-socket.js';
export {
  createTwilioClientScript,
  decodeTwilioOutboundAudio,
  parseTwilioOutbound,
} from './twilio-client.js';
export type { TwilioClientScript, TwilioClientScriptOptions } from './twilio-client.js';
export { createCarrierPlayback } from './carrier-playback.js';
export type { CarrierPlayback } from './carrier-playback.js';
export {
  createTelnyxClientScript,
  createTelnyxSigner,
  decodeTelnyxOutboundAudio,
  parseTelnyxOutbound,
} from './telnyx-client.js';
export type {
  TelnyxClientScript,
  TelnyxClientScriptOptions,
  TelnyxSigner,
} from './telnyx-client.js';
export {
  createPlivoClientScript,
  createPlivoSigner,
  decodePlivoOutboundAudio,
  parsePlivoOutbound,
} from './plivo-client.js';
export type { PlivoClientScript, PlivoClientScriptOptions, PlivoSigner } from './plivo-client.js';
export { createVonageClientScript, createVonageSigner } from './vonage-client.js';
export type {
  VonageClientScript,
  VonageClientScriptOptions,
  VonageOutbound,
  VonageSigner,
} from './vonage-client.js';
export {
  createExotelClientScript,
  decodeExotelOutboundAudio,
  exotelPayloadProblem,
  parseExotelOutbound,
} from './exotel-client.js';
export type { ExotelClientScript, ExotelClientScriptOptions } from './exotel-client.js';
export { startExotelApiServer } from './exotel-api.js';
export type {
  ExotelApiServer,
  ExotelApiServerOptions,
  ExotelStreamSocket,
  FakeExotelCall,
} from './exotel-api.js';
export { startCarrierApiServer } from './carrier-api.js';
export type {
  CarrierApiFault,
  CarrierApiRequest,
  CarrierApiServer,
  CarrierApiServerOptions,
  CarrierStreamSocket,
  FakeCarrierCall,
} from './carrier-api.js';
export type { FakeCarrierApi, FakeCarrierRequest, FakeCarrierTools } from './fake-carrier.js';
export { createPlivoApi } from './plivo-api.js';
export type { PlivoApiOptions } from './plivo-api.js';
export { createVonageApi } from './vonage-api.js';
export type { VonageApiOptions } from './vonage-api.js';
