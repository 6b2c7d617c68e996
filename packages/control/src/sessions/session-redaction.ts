/**
 * A tenant's redaction policy applied to what a session says: `settings.redaction` of
 * the tenant (`none`, `basic`, `strict`), else `audit.redaction`. Above `none`, the
 * transcript-bearing fields of the session's events are redacted before the events leave
 * the session — to the WebSocket, the bus and SSE, the durable log, traces — and the
 * turns' texts before they are stored. The conversation itself (what the agent is sent)
 * is not changed.
 */
import { TRANSCRIPT_FIELDS } from '@prx-voice/event';
import type { EmittedEvent } from '@prx-voice/session';
import { REDACTION_LEVELS, redact } from '@prx-voice/types';
import type { RedactionLevel } from '@prx-voice/types';

const FIELDS: Readonly<Partial<Record<string, readonly string[]>>> = TRANSCRIPT_FIELDS;

/** The redaction level of a tenant: its `settings.redaction`, else `fallback`. */
export function redactionOf(
  tenant: { readonly settings: Readonly<Record<string, unknown>> },
  fallback: RedactionLevel,
): RedactionLevel {
  const own = tenant.settings['redaction'];
  return (REDACTION_LEVELS as readonly unknown[]).includes(own)
    ? (own as RedactionLevel)
    : fallback;
}

/** Redacts text at `level`; undefined at `none` (nothing to do). */
export function textRedactor(level: RedactionLevel): ((text: string) => string) | undefined {
  return level === 'none' ? undefined : (text) => redact(text, { level });
}

/** `sink` seeing each event with its transcript-bearing fields redacted at `level`. */
export function redactingSink(
  sink: (event: EmittedEvent) => void,
  level: RedactionLevel,
): (event: EmittedEvent) => void {
  const text = textRedactor(level);
  if (text === undefined) return sink;
  return (event) => {
    const fields = FIELDS[event.type];
    if (fields === undefined) {
      sink(event);
      return;
    }
    const data: Record<string, unknown> = { ...(event.data as Record<string, unknown>) };
    for (const f of fields) {
      const value = data[f];
      if (typeof value === 'string') data[f] = text(value);
    }
    sink({ ...event, data });
  };
}
