/**
 * The step's private copy of a model. The model is plain data (objects, arrays,
 * strings, numbers, booleans, null, undefined), so it is copied by walking it:
 * several times cheaper than `structuredClone`, which serializes and parses
 * back, and a copy is made at every step. Anything else met on the way (a Map,
 * a Date, a class instance — none is expected) is copied by `structuredClone`,
 * so the copy is never shared with the model whatever it holds.
 *
 * The conversation only ever grows by new messages (none is changed once added;
 * a settings update replaces the array) and settings are replaced, never changed
 * in place, so both are shared rather than deep-copied: a step costs the same in
 * the hundredth turn as in the first.
 */
import type { SessionModel } from '../model.js';

/** A deep copy of plain data. */
export function copyPlain<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copyPlain(value[i] as unknown);
    return out as T;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value))
    out[key] = copyPlain((value as Record<string, unknown>)[key]);
  return out as T;
}

/** The step's private copy of `model` (its conversation and settings shared, see above). */
export function workingCopy(model: SessionModel): SessionModel {
  const { conversation, settings, ...rest } = model;
  return { ...copyPlain(rest), settings, conversation: conversation.slice() };
}
