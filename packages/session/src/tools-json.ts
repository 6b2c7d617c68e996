/**
 * Whether a value survives JSON without loss: tool results and schemas must, as they
 * travel in events, the conversation and the log.
 */
import type { SchemaIssue } from './tools-schema.js';

const MAX_JSON_DEPTH = 200;
const LOSSY_OBJECTS: readonly (abstract new (...args: never[]) => unknown)[] = [
  Map,
  Set,
  WeakMap,
  WeakSet,
  Promise,
  RegExp,
  Error,
  ArrayBuffer,
];

/** Why a value is not JSON-serialisable without loss, with the JSON Pointer of the culprit; undefined if it is. */
export function jsonProblem(value: unknown): SchemaIssue | undefined {
  const ancestors = new Set<object>();
  const visit = (v: unknown, path: string, depth: number): SchemaIssue | undefined => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return undefined;
    if (typeof v === 'number')
      return Number.isFinite(v) ? undefined : { path, message: `is ${String(v)}` };
    if (typeof v !== 'object') return { path, message: `is a ${typeof v}` };
    if (depth > MAX_JSON_DEPTH) return { path, message: 'is nested too deeply' };
    if (ancestors.has(v)) return { path, message: 'is a circular reference' };
    const toJSON: unknown = (v as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function')
      return visit((toJSON as (key: string) => unknown).call(v, ''), path, depth + 1);
    if (ArrayBuffer.isView(v) || LOSSY_OBJECTS.some((type) => v instanceof type)) {
      return { path, message: `is a ${v.constructor.name}, which JSON cannot represent` };
    }
    ancestors.add(v);
    try {
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const item: unknown = v[i];
          const found =
            item === undefined
              ? { path: `${path}/${i}`, message: 'is undefined' }
              : visit(item, `${path}/${i}`, depth + 1);
          if (found !== undefined) return found;
        }
        return undefined;
      }
      for (const [key, item] of Object.entries(v)) {
        if (item === undefined) continue; // dropped, as JSON.stringify does
        const found = visit(
          item,
          `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`,
          depth + 1,
        );
        if (found !== undefined) return found;
      }
      return undefined;
    } finally {
      ancestors.delete(v);
    }
  };
  return visit(value, '', 0);
}
