/**
 * `@prx-voice/transport` — PRX Voice's wire protocols turned into internal frames
 * and back: the session WebSocket of the public protocol (audio in negotiated
 * formats both ways, JSON client frames, CloudEvents out, close codes) and Twilio
 * Media Streams (signature check, TwiML, µ-law 8 kHz media, marks, clear).
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
export { twimlConnectStream } from './twilio/twiml.js';
export type { TwimlConnectStreamOptions } from './twilio/twiml.js';
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
export { DEFAULT_TWILIO_STREAM_LIMITS, createTwilioMediaStream } from './twilio/media-stream.js';
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
