/** The shape of a PRX Voice CloudEvent in structured JSON mode. */
import type { EventId, RunId, SessionId, Severity, TenantId, TurnId } from '@prx-voice/types';
import type { EventDataMap } from './data-schemas.js';
import type { EventType } from './event-types.js';

/**
 * A CloudEvent 1.0 of type `T`, as sent in structured JSON mode and stored in
 * the log: the context attributes of `shared/PROTOCOL.md`, the `prx*`
 * extensions and the typed `data`. Optional attributes are absent, never `undefined`.
 */
export interface VoiceEvent<T extends EventType = EventType> {
  /** Always `1.0`. */
  readonly specversion: '1.0';
  /** Unique `evt_…` ID. */
  readonly id: EventId;
  /** `/prx-voice/{instance}/sessions/{session_id}`. */
  readonly source: string;
  readonly type: T;
  /** The session ID. */
  readonly subject: SessionId;
  /** RFC 3339 UTC timestamp with milliseconds. */
  readonly time: string;
  /** Always `application/json`. */
  readonly datacontenttype: 'application/json';
  readonly prxtenantid: TenantId;
  readonly prxsessionid: SessionId;
  /** Per-session sequence number: 1, 2, 3, … without gaps. */
  readonly prxseq: number;
  readonly prxturnid?: TurnId;
  readonly prxrunid?: RunId;
  readonly prxseverity: Severity;
  /** W3C trace context of the span that emitted it. */
  readonly traceparent?: string;
  readonly data: EventDataMap[T];
}

/** Any protocol event, discriminated on `type` so a `switch` narrows `data`. */
export type AnyVoiceEvent = { [K in EventType]: VoiceEvent<K> }[EventType];

/** An event whose envelope was validated but whose type may be unknown to this version. */
export interface VoiceEventEnvelope extends Omit<VoiceEvent, 'type' | 'data'> {
  readonly type: string;
  readonly data: unknown;
}
