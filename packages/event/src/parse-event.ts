/** Validating incoming CloudEvents: envelope, protocol attributes and, for known types, `data`. */
import { CloudEvent } from 'cloudevents';
import { z } from 'zod';
import { SEVERITIES } from '@prx-voice/types';
import { cloudEventsMessage } from './build-event.js';
import { EVENT_DATA_SCHEMAS } from './data-schemas.js';
import { parseEventSource } from './event-source.js';
import { erasedFields, subjectContentFields } from './subject-content.js';
import { isEventType } from './event-types.js';
import { idSchema } from './schemas/common.js';
import { traceparentProblem } from './traceparent.js';
import { validationError, zodIssues } from './validation.js';
import type { ValidationIssue } from '@prx-voice/types';
import type { AnyVoiceEvent, VoiceEventEnvelope } from './voice-event.js';

const envelopeSchema = z
  .looseObject({
    specversion: z.literal('1.0'),
    id: idSchema('event'),
    source: z.string().min(1),
    type: z.string().min(1),
    subject: idSchema('session'),
    time: z.iso.datetime({ offset: true }),
    datacontenttype: z.literal('application/json'),
    prxtenantid: idSchema('tenant'),
    prxsessionid: idSchema('session'),
    prxseq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    prxturnid: idSchema('turn').optional(),
    prxrunid: idSchema('run').optional(),
    prxseverity: z.enum(SEVERITIES),
    traceparent: z
      .custom<string>((v) => traceparentProblem(v) === undefined, {
        error: (issue) => traceparentProblem(issue.input) ?? 'invalid traceparent',
      })
      .optional(),
    data: z.unknown(),
  })
  .superRefine((e, ctx) => {
    if (e.subject !== e.prxsessionid) {
      ctx.addIssue({ code: 'custom', path: ['subject'], message: 'must equal prxsessionid' });
    }
    const source = parseEventSource(e.source);
    if (source === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['source'],
        message: `"${e.source.slice(0, 120)}" is not /prx-voice/{instance}/sessions/{session_id}`,
      });
    } else if (source.sessionId !== e.prxsessionid) {
      ctx.addIssue({ code: 'custom', path: ['source'], message: 'names another session' });
    }
  });

function toObject(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input) as unknown;
  } catch (err) {
    throw validationError(
      'invalid CloudEvent',
      [{ path: '(root)', message: 'not valid JSON' }],
      {
        reason: 'malformed_json',
      },
      err,
    );
  }
}

function checkEnvelope(input: unknown): VoiceEventEnvelope {
  const value = toObject(input);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw validationError('invalid CloudEvent', [
      {
        path: '(root)',
        message: `expected a JSON object, got ${Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value}`,
      },
    ]);
  }
  const type = (value as { type?: unknown }).type;
  const what = `invalid ${typeof type === 'string' ? type : 'CloudEvent'} event`;
  const envelope = envelopeSchema.safeParse(value);
  if (!envelope.success) throw validationError(what, zodIssues(envelope.error), { type });
  try {
    new CloudEvent(value).validate();
  } catch (err) {
    throw validationError(
      what,
      [{ path: '(root)', message: cloudEventsMessage(err) }],
      { type },
      err,
    );
  }
  // A copy without undefined-valued keys (a `CloudEvent` instance carries some).
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined),
  ) as unknown as VoiceEventEnvelope;
}

function checkData(envelope: VoiceEventEnvelope): ValidationIssue[] {
  if (!isEventType(envelope.type)) return [];
  const schema: z.ZodType = EVENT_DATA_SCHEMAS[envelope.type];
  const parsed = schema.safeParse(envelope.data);
  if (parsed.success) return [];
  // A subject's content erased with its key is served as null, named in `prxerased`.
  const content = subjectContentFields(envelope.type);
  const erased = erasedFields(envelope as unknown as Record<string, unknown>).filter((f) =>
    content.includes(f),
  );
  const issues =
    erased.length === 0
      ? parsed.error.issues
      : parsed.error.issues.filter((issue) => {
          const path = issue.path.map(String).join('.');
          return !erased.some((f) => path === f || path.startsWith(`${f}.`));
        });
  return issues.length === 0 ? [] : zodIssues({ issues }, 'data');
}

/**
 * Validates an incoming PRX Voice CloudEvent (a JSON string or the parsed
 * object): the `cloudevents` envelope, every protocol attribute and
 * extension, and `data` against its type's schema. Returns a shallow copy of
 * it as it came (extra extensions and extra data fields are kept). Throws
 * `VALIDATION_FAILED` naming every problem, including an unknown `type`.
 *
 * @example
 * const event = parseEvent(frame);
 * if (event.type === 'prx.voice.asr.transcript_final') console.log(event.data.text);
 */
export function parseEvent(input: unknown): AnyVoiceEvent {
  const envelope = checkEnvelope(input);
  if (!isEventType(envelope.type)) {
    throw validationError(
      `invalid ${envelope.type} event`,
      [{ path: 'type', message: `unknown event type "${envelope.type.slice(0, 120)}"` }],
      { type: envelope.type },
    );
  }
  const issues = checkData(envelope);
  if (issues.length > 0) {
    throw validationError(`invalid ${envelope.type} event`, issues, { type: envelope.type });
  }
  return envelope as AnyVoiceEvent;
}

/**
 * Like {@link parseEvent}, but accepts types this version does not know
 * (their `data` is left unchecked), for forward-compatible relays.
 */
export function parseEnvelope(input: unknown): VoiceEventEnvelope {
  const envelope = checkEnvelope(input);
  const issues = checkData(envelope);
  if (issues.length > 0) {
    throw validationError(`invalid ${envelope.type} event`, issues, { type: envelope.type });
  }
  return envelope;
}
