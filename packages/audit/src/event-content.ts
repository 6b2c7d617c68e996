/**
 * The stored shape of a session event whose payload carries a data subject's content
 * (a CloudEvent as JSON; which `data` fields are content is the event package's table,
 * passed in as `fields`):
 *
 * - **Sealed** (stored): each content field present in `data` is set to `null`; the
 *   extension attribute `prxsealedfields` names them (comma-separated `data` paths, e.g.
 *   `user_text,assistant_text`), and `prxsealed` holds their values as one text sealed with
 *   the subject's key (`sealed:v1:…`, see `sealing.ts`) whose plaintext is the JSON object
 *   path → value, the event's tenant, session, `prxseq` and `id` bound as `aad` — so a sealed
 *   value moved to another event does not open. Everything else (ids, `prxseq`, types, times,
 *   latencies, usage) stays in the clear.
 * - **Opened** (read with the key): the fields restored, both attributes gone — exactly the
 *   event as it was emitted.
 * - **Erased** (read once the key is gone, or a value that does not open): the fields stay
 *   `null`, `prxsealed` is dropped and `prxsealedfields` becomes `prxerased`.
 */
import { isSealedText, openText, sealText } from './sealing.js';
import type { DataKey } from './sealing.js';

/** A CloudEvent as JSON. */
export type EventJson = Readonly<Record<string, unknown>>;

/** The extension attribute holding an event's sealed content. */
export const SEALED_ATTRIBUTE = 'prxsealed';
/** The extension attribute naming the `data` fields sealed in `prxsealed`. */
export const SEALED_FIELDS_ATTRIBUTE = 'prxsealedfields';
/** The extension attribute naming the `data` fields erased with their subject. */
export const ERASED_ATTRIBUTE = 'prxerased';

/** The `aad` binding an event's sealed content to the event. */
export function eventAad(tenantId: string, sessionId: string, event: EventJson): string {
  return `prx-voice event ${tenantId} ${sessionId} ${String(event['prxseq'])} ${String(event['id'])}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function getPath(root: unknown, path: readonly string[]): unknown {
  let at = root;
  for (const part of path) {
    if (!isObject(at)) return undefined;
    at = at[part];
  }
  return at;
}

/** A copy of `root` with `path` set to `value`, copying only the objects along the path. */
function setPath(
  root: Record<string, unknown>,
  path: readonly string[],
  value: unknown,
): Record<string, unknown> {
  const [head, ...rest] = path;
  if (head === undefined) return root;
  const child = root[head];
  return {
    ...root,
    [head]: rest.length === 0 ? value : isObject(child) ? setPath(child, rest, value) : child,
  };
}

/** The content fields of `fields` that `event.data` holds (not undefined, not null). */
export function presentContent(event: EventJson, fields: readonly string[]): string[] {
  const data = event['data'];
  if (!isObject(data)) return [];
  return fields.filter((f) => {
    const v = getPath(data, f.split('.'));
    return v !== undefined && v !== null;
  });
}

function withNulls(event: EventJson, fields: readonly string[]): Record<string, unknown> {
  let data = event['data'] as Record<string, unknown>;
  for (const f of fields) data = setPath(data, f.split('.'), null);
  return { ...event, data };
}

/** The event without its sealing attributes. */
function withoutSealing(event: EventJson): Record<string, unknown> {
  const {
    [SEALED_ATTRIBUTE]: _sealed,
    [SEALED_FIELDS_ATTRIBUTE]: _fields,
    ...rest
  } = event as Record<string, unknown>;
  return rest;
}

/**
 * The sealed (stored) shape of an event: its content `fields` sealed under `key`; the
 * event itself when it holds none of them.
 *
 * @example
 * const stored = sealEventContent(key, event, ['user_text', 'assistant_text'], aad);
 */
export function sealEventContent(
  key: DataKey,
  event: EventJson,
  fields: readonly string[],
  aad: string,
): EventJson {
  const present = presentContent(event, fields);
  if (present.length === 0) return event;
  const data = event['data'] as Record<string, unknown>;
  const content = Object.fromEntries(present.map((f) => [f, getPath(data, f.split('.'))]));
  return {
    ...withNulls(event, present),
    [SEALED_FIELDS_ATTRIBUTE]: present.join(','),
    [SEALED_ATTRIBUTE]: sealText(key, JSON.stringify(content), aad),
  };
}

/** Whether a stored event holds sealed content. */
export function isSealedEvent(event: EventJson): boolean {
  const sealed = event[SEALED_ATTRIBUTE];
  return typeof sealed === 'string' && isSealedText(sealed);
}

/** The erased shape of a stored event: its sealed (or `fields`' clear) content gone, named in `prxerased`. */
export function erasedEvent(event: EventJson, fields: readonly string[] = []): EventJson {
  const named = event[SEALED_FIELDS_ATTRIBUTE];
  const sealedFields = typeof named === 'string' && named !== '' ? named.split(',') : [];
  const erased = [...new Set([...sealedFields, ...presentContent(event, fields)])];
  const out = withoutSealing(withNulls(event, erased));
  return erased.length > 0 ? { ...out, [ERASED_ATTRIBUTE]: erased.join(',') } : out;
}

/**
 * The event a stored one was: sealed content opened with `key`. Without a key (the subject
 * was erased) the erased shape.
 *
 * @throws VoiceError `INTERNAL` (`details.reason`) when the sealed content does not open
 * with `key` (wrong key or `aad`, tampered).
 */
export function openEventContent(
  key: DataKey | undefined,
  stored: EventJson,
  aad: string,
): EventJson {
  if (!isSealedEvent(stored)) return stored;
  if (key === undefined) return erasedEvent(stored);
  const content = JSON.parse(openText(key, stored[SEALED_ATTRIBUTE] as string, aad)) as Record<
    string,
    unknown
  >;
  let data = stored['data'] as Record<string, unknown>;
  for (const [f, v] of Object.entries(content)) data = setPath(data, f.split('.'), v);
  return withoutSealing({ ...stored, data });
}
