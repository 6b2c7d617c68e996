/**
 * `@prx-voice/event` — PRX Voice's CloudEvents 1.0: the protocol's event
 * types with a zod schema per payload, the envelope builder and parser,
 * per-session gap-free sequencing, a live bus whose slow subscribers are cut
 * off with a gap marker, the durable per-session log, and replay.
 *
 * @example
 * import { createEventBus, createEventLog, createSessionEmitter } from '@prx-voice/event';
 * const bus = createEventBus();
 * const log = createEventLog({ repos, clock, onError: (err) => logger.warn({ err }) });
 * const emitter = createSessionEmitter({
 *   tenantId, sessionId, instanceId, clock, ids, sink: [bus.publish, log.append],
 * });
 * emitter.emit('prx.voice.asr.transcript_final', { text: 'hello', start_ms: 0, end_ms: 640 }, { turnId });
 */
export {
  EVENT_FAMILIES,
  EVENT_TYPES,
  EVENT_TYPE_PREFIX,
  eventFamily,
  isEventType,
} from './event-types.js';
export type { EventFamily, EventType } from './event-types.js';
export { EVENT_DATA_SCHEMAS, dataSchemaOf } from './data-schemas.js';
export type { EventData, EventDataMap } from './data-schemas.js';
export { ADAPTER_STATES } from './schemas/adapter.js';
export { FINISH_REASONS } from './schemas/agent.js';
export { QUOTA_ACTIONS } from './schemas/governance.js';
export {
  E164_PATTERN,
  HANDOFF_FAILURE_REASONS,
  HANDOFF_TRIGGERS,
  SIP_URI_PATTERN,
  handoffTargetSchema,
  phoneHandoffTargetSchema,
  sipHandoffTargetSchema,
} from './schemas/handoff.js';
export { ANSWERED_BY, callStatusSchema } from './schemas/call.js';
export { INTERRUPT_REASONS } from './schemas/interrupt.js';
export { AUDIO_DROP_REASONS, DTMF_COMPLETIONS, DTMF_SOURCES } from './schemas/media.js';
export { FLOW_TRANSITION_REASONS } from './schemas/flow.js';
export { TTS_STOP_REASONS } from './schemas/tts.js';
export { DEFAULT_SEVERITIES, defaultSeverity } from './severity.js';
export { isTraceparent, traceparentProblem } from './traceparent.js';
export { eventSource, parseEventSource } from './event-source.js';
export type { AnyVoiceEvent, VoiceEvent, VoiceEventEnvelope } from './voice-event.js';
export { buildEvent } from './build-event.js';
export type { BuildEventInput } from './build-event.js';
export { parseEnvelope, parseEvent } from './parse-event.js';
export { createSessionEmitter } from './session-emitter.js';
export type {
  EmitOptions,
  EventSink,
  SessionEmitter,
  SessionEmitterOptions,
} from './session-emitter.js';
export { DEFAULT_QUEUE_LIMIT, createEventBus } from './event-bus.js';
export type {
  EventBus,
  EventBusOptions,
  ListenOptions,
  Listener,
  SubscribeOptions,
} from './event-bus.js';
export { isGapMarker } from './subscription.js';
export type { BusItem, GapMarker, Subscription, SubscriptionFilter } from './subscription.js';
export { createEventLog, eventToRow } from './event-log.js';
export {
  ERASED_ATTRIBUTE,
  SUBJECT_CONTENT_FIELDS,
  TRANSCRIPT_FIELDS,
  erasedFields,
  subjectContentFields,
} from './subject-content.js';
export type {
  EventLog,
  EventLogCodec,
  EventLogFailure,
  EventLogOptions,
  EventLogRepositories,
  ReadAfterOptions,
} from './event-log.js';
export { createInputRecorder, recordedInputs, replay } from './replay.js';
export type {
  InputRecorder,
  InputRecorderOptions,
  RecordedInput,
  RecordedInputsOptions,
  Reducer,
  ReplayStep,
} from './replay.js';
