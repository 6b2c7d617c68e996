/**
 * `@prx-voice/transport` — PRX Voice's wire protocols turned into internal frames
 * and back: the session WebSocket of the public protocol (audio in negotiated
 * formats both ways, JSON client frames, CloudEvents out, close codes) and one
 * telephony interface (a carrier protocol is only its wire format; marks, clear and
 * audio conversion are shared) with Twilio Media Streams (signature check, TwiML, µ-law
 * 8 kHz) and Telnyx media streaming (Ed25519 webhook signatures, TeXML, PCMU/PCMA 8 kHz).
 * The server wires a socket to a session actor through these; nothing here paces
 * or buffers audio (the session's pacer does).
 *
 * @example
 * import { CLOSE_CODES, createSessionSocket } from '@prx-voice/transport';
 *
 * const conn = createSessionSocket({
 *   socket: ws, clock, engine: { inputRate: 16000, outputRate: 24000 },
 *   handlers: {
 *     onAudio: (samples) => actor.pushAudio(samples),
 *     onText: (text) => actor.dispatch({ type: 'text_input', text }),
 *     onInterrupt: () => actor.dispatch({ type: 'interrupt' }),
 *     onDtmf: (digits) => actor.dtmf(digits, 'websocket'),
 *     onPlaybackPosition: (segmentId, playedMs) => actor.playbackPosition(segmentId, playedMs),
 *     onEnd: () => actor.dispatch({ type: 'end' }),
 *     onPing: (id) => emitter.emit('prx.voice.session.pong', id === undefined ? {} : { ping_id: id }),
 *     onUpdate: (update) => applyFormats(update),
 *     onProtocolError: (err) => emitter.emit('prx.voice.session.error', err.toJSON()),
 *   },
 * });
 * ws.on('message', (data, isBinary) => conn.receive(data as Buffer, isBinary));
 * if (!authorized) conn.close(CLOSE_CODES.forbidden, 'forbidden');
 *
 * @packageDocumentation
 */
export { CLOSE_CODES } from './socket.js';
export type { CloseCode, WireSocket } from './socket.js';
export {
  DEFAULT_INPUT_FORMAT,
  DEFAULT_OUTPUT_FORMAT,
  WIRE_ENCODINGS,
  WIRE_SAMPLE_RATES,
  audioFormatJson,
  audioFormatSchema,
  bytesPerSample,
  createInboundConverter,
  createOutboundConverter,
} from './audio-format.js';
export type {
  InboundConverter,
  OutboundConverter,
  WireAudioFormat,
  WireAudioFormatJson,
  WireEncoding,
} from './audio-format.js';
export {
  CLIENT_FRAME_TYPES,
  MAX_DTMF_FRAME_DIGITS,
  MAX_INPUT_TEXT_LENGTH,
  MAX_OUTPUT_FRAME_MS,
  MAX_SYSTEM_PROMPT_LENGTH,
  MIN_OUTPUT_FRAME_MS,
  parseClientFrame,
} from './client-frames.js';
export type {
  ClientFrame,
  ClientFrameResult,
  ClientFrameType,
  SessionUpdate,
} from './client-frames.js';
export type { FrameIssue } from './validation.js';
export { createClientPlayout } from './playout.js';
export type { ClientPlayout } from './playout.js';
export { DEFAULT_SESSION_SOCKET_LIMITS, createSessionSocket } from './session-socket.js';
export type {
  SessionSocket,
  SessionSocketFormats,
  SessionSocketHandlers,
  SessionSocketLimits,
  SessionSocketOptions,
} from './session-socket.js';
export { twilioSignature, verifyTwilioSignature } from './twilio/signature.js';
export type { TwilioParams, VerifyTwilioSignatureOptions } from './twilio/signature.js';
export { twimlConnectStream, twimlDial } from './twilio/twiml.js';
export type {
  TwimlConnectStreamOptions,
  TwimlDialOptions,
  TwimlDialTarget,
} from './twilio/twiml.js';
export { TWILIO_API_BASE_URL, updateTwilioCall } from './twilio/call-update.js';
export type { TwilioCallResource, UpdateTwilioCallOptions } from './twilio/call-update.js';
export { TWILIO_EVENTS, parseTwilioMessage } from './twilio/messages.js';
export type {
  TwilioEvent,
  TwilioInboundMessage,
  TwilioOutboundClear,
  TwilioOutboundMark,
  TwilioOutboundMedia,
  TwilioOutboundMessage,
  TwilioParseResult,
} from './twilio/messages.js';
export {
  DEFAULT_TWILIO_STREAM_LIMITS,
  createTwilioMediaStream,
  twilioProtocol,
} from './twilio/media-stream.js';
export type {
  TwilioMarkInfo,
  TwilioMediaStream,
  TwilioMediaStreamHandlers,
  TwilioMediaStreamOptions,
  TwilioStartInfo,
  TwilioStreamLimits,
  TwilioStreamState,
  TwilioStreamStats,
} from './twilio/media-stream.js';
export { DEFAULT_RTVI_SOCKET_LIMITS, createRtviSocket } from './rtvi/rtvi-socket.js';
export type {
  RtviSocket,
  RtviSocketHandlers,
  RtviSocketLimits,
  RtviSocketOptions,
} from './rtvi/rtvi-socket.js';
export {
  RTVI_LABEL,
  RTVI_PROTOCOL_VERSION,
  RTVI_UNSUPPORTED_TYPES,
  parseRtviMessage,
  rtviMessage,
} from './rtvi/messages.js';
export type { RtviClientMessage, RtviMessage, RtviParseResult } from './rtvi/messages.js';
export { createRtviEventMapper } from './rtvi/event-mapping.js';
export type { RtviEventMapper } from './rtvi/event-mapping.js';
export { decodePipecatFrame, encodeAudioFrame, encodeMessageFrame } from './rtvi/frames.js';
export type { PipecatFrame } from './rtvi/frames.js';
export {
  CARRIER_CHUNK_MS,
  carrierChunkSamples,
  carrierPayloadBytes,
} from './telephony/carrier-audio.js';
export type {
  CarrierAudioFormat,
  CarrierChunking,
  MediaEnvelope,
} from './telephony/carrier-audio.js';
export { parseEventMessage } from './telephony/carrier-protocol.js';
export type {
  AnnouncedMediaFormat,
  CarrierMessage,
  CarrierParseResult,
  CarrierProtocol,
  EventParseResult,
  EventSchemas,
} from './telephony/carrier-protocol.js';
export {
  DEFAULT_CARRIER_STREAM_LIMITS,
  createCarrierMediaStream,
} from './telephony/carrier-stream.js';
export type {
  CarrierMarkInfo,
  CarrierMediaStream,
  CarrierMediaStreamHandlers,
  CarrierMediaStreamOptions,
  CarrierStreamLimits,
  CarrierStreamState,
  CarrierStreamStats,
} from './telephony/carrier-stream.js';
export { TELNYX_EVENTS, parseTelnyxMessage } from './telnyx/messages.js';
export type {
  TelnyxEvent,
  TelnyxInboundMessage,
  TelnyxOutboundMessage,
} from './telnyx/messages.js';
export { TELNYX_CODECS, createTelnyxMediaStream, telnyxProtocol } from './telnyx/media-stream.js';
export type {
  TelnyxCodec,
  TelnyxMediaStream,
  TelnyxMediaStreamOptions,
  TelnyxStartInfo,
} from './telnyx/media-stream.js';
export {
  TELNYX_SIGNATURE_HEADER,
  TELNYX_SIGNATURE_TOLERANCE_S,
  TELNYX_TIMESTAMP_HEADER,
  isTelnyxPublicKey,
  telnyxPublicKey,
  verifyTelnyxSignature,
} from './telnyx/signature.js';
export type { TelnyxSignatureResult, VerifyTelnyxSignatureOptions } from './telnyx/signature.js';
export { texmlConnectStream } from './telnyx/texml.js';
export type { TexmlConnectStreamOptions } from './telnyx/texml.js';
export { PLIVO_CONTENT_TYPES, PLIVO_EVENTS, parsePlivoMessage } from './plivo/messages.js';
export type {
  PlivoContentType,
  PlivoEvent,
  PlivoInboundMessage,
  PlivoOutboundMessage,
} from './plivo/messages.js';
export {
  createPlivoMediaStream,
  parsePlivoExtraHeaders,
  plivoAudioFormat,
  plivoProtocol,
} from './plivo/media-stream.js';
export type {
  PlivoMediaStream,
  PlivoMediaStreamOptions,
  PlivoStartInfo,
} from './plivo/media-stream.js';
export {
  PLIVO_NONCE_HEADER,
  PLIVO_SIGNATURE_HEADER,
  plivoParams,
  plivoSignature,
  plivoSignatureBase,
  verifyPlivoSignature,
} from './plivo/signature.js';
export type {
  PlivoParams,
  PlivoSignatureResult,
  VerifyPlivoSignatureOptions,
} from './plivo/signature.js';
export { plivoXmlStream } from './plivo/xml.js';
export type { PlivoXmlStreamOptions } from './plivo/xml.js';
export {
  PLIVO_API_BASE_URL,
  cancelPlivoCall,
  createPlivoCall,
  hangUpPlivoCall,
} from './plivo/calls.js';
export type { CreatePlivoCallOptions, PlivoCallRequest, PlivoRestOptions } from './plivo/calls.js';
export { VONAGE_EVENTS, parseVonageMessage } from './vonage/messages.js';
export type {
  VonageEvent,
  VonageInboundMessage,
  VonageOutboundMessage,
} from './vonage/messages.js';
export {
  VONAGE_CONTENT_TYPES,
  VONAGE_STREAM_ID,
  createVonageMediaStream,
  vonageProtocol,
} from './vonage/media-stream.js';
export type {
  VonageContentType,
  VonageMediaStream,
  VonageMediaStreamOptions,
  VonageStartInfo,
} from './vonage/media-stream.js';
export {
  VONAGE_SIGNATURE_TOLERANCE_S,
  verifyVonageSignature,
  vonagePayloadHash,
} from './vonage/signature.js';
export type { VerifyVonageSignatureOptions, VonageSignatureResult } from './vonage/signature.js';
export { vonageConnectNcco } from './vonage/ncco.js';
export type { VonageConnectAction, VonageConnectNccoOptions } from './vonage/ncco.js';
export {
  VONAGE_API_BASE_URL,
  VONAGE_JWT_TTL_S,
  createVonageCall,
  hangUpVonageCall,
  vonageApplicationJwt,
} from './vonage/calls.js';
export type { CreateVonageCallOptions, VonageCall, VonageRestOptions } from './vonage/calls.js';
export type { CarrierRestCommon } from './telephony/carrier-rest.js';
export {
  REALTIME_CLIENT_EVENT_TYPES,
  parseClientEvent as parseRealtimeClientEvent,
} from './openai-realtime/client-events.js';
export type {
  ClientEventResult as RealtimeClientEventResult,
  RealtimeAudioFormatInput,
  RealtimeClientEvent,
  RealtimeErrorBody,
  RealtimeFunctionTool,
  RealtimeSessionPatch,
} from './openai-realtime/client-events.js';
export {
  REALTIME_DEFAULT_FORMAT,
  createRealtimeAudioCodec,
  normalizeRealtimeFormat,
} from './openai-realtime/realtime-audio.js';
export type { RealtimeAudioCodec, RealtimeAudioFormat } from './openai-realtime/realtime-audio.js';
export type {
  EngineTurnDetection,
  RealtimeSessionState,
} from './openai-realtime/session-config.js';
export { createRealtimeConnection } from './openai-realtime/connection.js';
export type {
  RealtimeConnection,
  RealtimeConnectionHandlers,
  RealtimeConnectionOptions,
} from './openai-realtime/connection.js';
export { EXOTEL_EVENTS, parseExotelMessage } from './exotel/messages.js';
export type {
  ExotelEvent,
  ExotelInboundMessage,
  ExotelOutboundMessage,
} from './exotel/messages.js';
export {
  EXOTEL_CHUNKING,
  EXOTEL_SAMPLE_RATES,
  createExotelMediaStream,
  exotelProtocol,
} from './exotel/media-stream.js';
export type {
  ExotelMediaStream,
  ExotelMediaStreamOptions,
  ExotelStartInfo,
} from './exotel/media-stream.js';
export { createIpAllowList, verifyExotelBasicAuth } from './exotel/auth.js';
export {
  EXOTEL_API_BASE_URL,
  EXOTEL_STATUS_CALLBACK_EVENTS,
  createExotelCall,
} from './exotel/calls.js';
export type { CreateExotelCallOptions, ExotelCall, ExotelRestOptions } from './exotel/calls.js';
export type { IpAllowList } from './exotel/auth.js';
export {
  TWILIO_STATUS_CALLBACK_EVENTS,
  createTwilioCall,
  hangUpTwilioCall,
} from './twilio/calls.js';
export type { CreateTwilioCallOptions, HangUpTwilioCallOptions } from './twilio/calls.js';
export type { TwilioRestOptions } from './twilio/rest.js';
export { TELNYX_API_BASE_URL, createTelnyxCall, hangUpTelnyxCall } from './telnyx/calls.js';
export type { CreateTelnyxCallOptions, TelnyxCall, TelnyxRestOptions } from './telnyx/calls.js';
export { createWebrtcPeer } from './webrtc/load-peer.js';
export type {
  WebrtcCloseReason,
  WebrtcIceCandidate,
  WebrtcPeer,
  WebrtcPeerOptions,
  WebrtcPeerStats,
} from './webrtc/peer.js';
export { MAX_SDP_LENGTH, parseOffer as parseWebrtcOffer } from './webrtc/sdp.js';
export type { OfferSummary as WebrtcOfferSummary } from './webrtc/sdp.js';
export { createJitterBuffer } from './webrtc/jitter-buffer.js';
export type {
  JitterBuffer,
  JitterBufferOptions,
  JitterRelease,
  JitterStats,
} from './webrtc/jitter-buffer.js';
export {
  OPUS_FRAME_SAMPLES,
  OPUS_RATE,
  createOpusReceiver,
  createOpusSender,
} from './webrtc/opus-audio.js';
export type { OpusReceiver, OpusSender } from './webrtc/opus-audio.js';
