/**
 * Building a protocol CloudEvent: the envelope checked here, the data against its schema
 * unless the caller trusts its own typed code (`checkData: false`, what a server does in
 * production: the edges that take events from outside check them with `parseEvent`).
 * The `cloudevents` package's own validation (a JSON-schema run per event, about half of an
 * event's cost) is left to those edges and to the tests, which hold every event type's event
 * to it: the envelope is built here from checked values and fixed attribute names, so it
 * cannot fail here.
 */
import type { z } from 'zod';
import { SEVERITIES, idProblem, isSeverity } from '@prx-voice/types';
import type {
  EventId,
  IdKind,
  RunId,
  SessionId,
  Severity,
  TenantId,
  TurnId,
} from '@prx-voice/types';
import { EVENT_DATA_SCHEMAS } from './data-schemas.js';
import type { EventDataMap } from './data-schemas.js';
import { eventSource } from './event-source.js';
import { isEventType } from './event-types.js';
import type { EventType } from './event-types.js';
import { DEFAULT_SEVERITIES } from './severity.js';
import { traceparentProblem } from './traceparent.js';
import { validationError, zodIssues } from './validation.js';
import type { ValidationIssue } from '@prx-voice/types';
import type { VoiceEvent } from './voice-event.js';

/** Everything an event is made of; time and ID are given, never read from the environment. */
export interface BuildEventInput<T extends EventType> {
  readonly type: T;
  readonly data: EventDataMap[T];
  /** The event's `evt_…` ID (from an injected `IdGenerator`). */
  readonly id: EventId;
  /** When it happened, epoch milliseconds (from an injected `Clock`). */
  readonly time: number;
  /** The emitting instance, part of `source`. */
  readonly instanceId: string;
  readonly tenantId: TenantId;
  readonly sessionId: SessionId;
  /** Per-session sequence number, from 1. */
  readonly seq: number;
  readonly turnId?: TurnId | undefined;
  readonly runId?: RunId | undefined;
  /** Defaults to the type's {@link DEFAULT_SEVERITIES} entry. */
  readonly severity?: Severity | undefined;
  /** W3C `traceparent`; validated. */
  readonly traceparent?: string | undefined;
  /**
   * Whether `data` is checked (default true): against its type's schema, for fields the
   * schema does not have (an error, where the schema alone would drop them silently), and
   * then frozen, so code that changes it after the event is built fails where it runs.
   * Checked or not, the event carries `data` itself: what a check passes is what an
   * unchecked build emits.
   */
  readonly checkData?: boolean | undefined;
}

function checkId(issues: ValidationIssue[], path: string, kind: IdKind, value: unknown): void {
  const problem = idProblem(kind, value);
  if (problem !== undefined) issues.push({ path, message: problem });
}

function envelopeIssues<T extends EventType>(input: BuildEventInput<T>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (!isEventType(input.type)) {
    issues.push({ path: 'type', message: `unknown event type "${String(input.type)}"` });
  }
  checkId(issues, 'id', 'event', input.id);
  checkId(issues, 'prxtenantid', 'tenant', input.tenantId);
  checkId(issues, 'prxsessionid', 'session', input.sessionId);
  if (input.turnId !== undefined) checkId(issues, 'prxturnid', 'turn', input.turnId);
  if (input.runId !== undefined) checkId(issues, 'prxrunid', 'run', input.runId);
  if (!Number.isSafeInteger(input.seq) || input.seq < 1) {
    issues.push({ path: 'prxseq', message: `expected an integer from 1, got ${input.seq}` });
  }
  if (!Number.isFinite(input.time) || Number.isNaN(new Date(input.time).getTime())) {
    issues.push({ path: 'time', message: `expected epoch milliseconds, got ${input.time}` });
  }
  if (input.severity !== undefined && !isSeverity(input.severity)) {
    issues.push({
      path: 'prxseverity',
      message: `expected one of ${SEVERITIES.join('|')}, got ${String(input.severity)}`,
    });
  }
  if (input.traceparent !== undefined) {
    const problem = traceparentProblem(input.traceparent);
    if (problem !== undefined) issues.push({ path: 'traceparent', message: problem });
  }
  return issues;
}

/**
 * Builds a structured-mode CloudEvent JSON object exactly per the protocol,
 * validating the envelope and (unless `checkData` is false) the `data` against its type's
 * schema (a valid
 * CloudEvent by construction: see the module's note). The result is frozen, plain (it
 * round-trips through `JSON.stringify` and `new CloudEvent(JSON.parse(…))`)
 * and has no `undefined` attributes. Throws `VALIDATION_FAILED` naming every problem.
 *
 * @example
 * const event = buildEvent({
 *   type: 'prx.voice.asr.transcript_final',
 *   data: { text: 'hello', start_ms: 120, end_ms: 740 },
 *   id: ids.next('event'), time: clock.now(), instanceId: 'node-1',
 *   tenantId, sessionId, seq: 7, turnId,
 * });
 */
export function buildEvent<T extends EventType>(input: BuildEventInput<T>): VoiceEvent<T> {
  const issues = envelopeIssues(input);
  const what = `invalid ${input.type} event`;
  if (issues.length > 0) throw validationError(what, issues, { type: input.type });
  if (input.checkData !== false) checkData(input.type, input.data, what);
  const event: Record<string, unknown> = {
    specversion: '1.0',
    id: input.id,
    source: eventSource(input.instanceId, input.sessionId),
    type: input.type,
    subject: input.sessionId,
    time: new Date(input.time).toISOString(),
    datacontenttype: 'application/json',
    prxtenantid: input.tenantId,
    prxsessionid: input.sessionId,
    prxseq: input.seq,
  };
  if (input.turnId !== undefined) event['prxturnid'] = input.turnId;
  if (input.runId !== undefined) event['prxrunid'] = input.runId;
  event['prxseverity'] = input.severity ?? DEFAULT_SEVERITIES[input.type];
  if (input.traceparent !== undefined) event['traceparent'] = input.traceparent;
  event['data'] = input.data;
  return Object.freeze(event) as unknown as VoiceEvent<T>;
}

/** Checks an event's data against its type's schema and for fields it lacks; then freezes it. */
function checkData(type: EventType, data: unknown, what: string): void {
  const schema: z.ZodType = EVENT_DATA_SCHEMAS[type];
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw validationError(what, zodIssues(parsed.error, 'data'), { type });
  const stray: ValidationIssue[] = [];
  strayFields(data, parsed.data, 'data', stray);
  if (stray.length > 0) throw validationError(what, stray, { type });
  deepFreeze(data);
}

/**
 * The fields of `given` that the schema's output `kept` lacks (zod drops what a schema does
 * not name): each one an issue at its path. A field whose value is `undefined` is absent.
 */
function strayFields(given: unknown, kept: unknown, path: string, out: ValidationIssue[]): void {
  if (typeof given !== 'object' || given === null) return;
  if (typeof kept !== 'object' || kept === null) return;
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const at = `${path}.${key}`;
    if (!Object.hasOwn(kept, key)) out.push({ path: at, message: 'not a field of the schema' });
    else strayFields(value, (kept as Record<string, unknown>)[key], at, out);
  }
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const inner of Object.values(value)) deepFreeze(inner);
}

/** The first line of a `cloudevents` ValidationError (its message lists the schema errors after it). */
export function cloudEventsMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return `cloudevents: ${message.replace(/\s+/g, ' ').trim()}`;
}
