/**
 * Finds the part of the config schema a dotted path names, so environment
 * strings can be coerced to what the schema expects there and typos reported.
 */
import { z } from 'zod';

/** What an environment string is turned into at a schema position. */
export type LeafKind = 'number' | 'boolean' | 'list' | 'mapping' | 'string';

/** The result of resolving a path in the schema. */
export type SchemaLookup =
  | { readonly kind: 'found'; readonly schema: z.ZodType }
  | { readonly kind: 'unknown'; readonly depth: number; readonly known: readonly string[] };

/** Strips wrappers that do not change the shape: optional, default, prefault, nullable, readonly, pipes. */
export function unwrapSchema(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  for (;;) {
    if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodDefault ||
      current instanceof z.ZodPrefault ||
      current instanceof z.ZodNullable ||
      current instanceof z.ZodReadonly ||
      current instanceof z.ZodNonOptional ||
      current instanceof z.ZodCatch
    ) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      current = current.in as z.ZodType;
    } else {
      return current;
    }
  }
}

/** The keys an object schema allows, or `[]` for anything else. */
export function knownKeys(schema: z.ZodType): readonly string[] {
  const inner = unwrapSchema(schema);
  return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
}

/**
 * Walks `segments` from `root`: object keys must exist, record keys are free,
 * and below an `unknown` anything goes. Reports the depth of the first unknown segment.
 */
export function lookupSchema(root: z.ZodType, segments: readonly string[]): SchemaLookup {
  let current: z.ZodType = root;
  for (const [depth, segment] of segments.entries()) {
    const inner = unwrapSchema(current);
    if (inner instanceof z.ZodObject) {
      const shape = inner.shape as Record<string, z.ZodType>;
      const next = Object.hasOwn(shape, segment) ? shape[segment] : undefined;
      if (next === undefined) return { kind: 'unknown', depth, known: Object.keys(shape) };
      current = next;
    } else if (inner instanceof z.ZodRecord) {
      current = inner.valueType as z.ZodType;
    } else if (inner instanceof z.ZodUnknown || inner instanceof z.ZodAny) {
      return { kind: 'found', schema: inner };
    } else {
      return { kind: 'unknown', depth, known: [] };
    }
  }
  return { kind: 'found', schema: current };
}

/** How a string from the environment should be read at a schema position. */
export function leafKind(schema: z.ZodType): LeafKind {
  const inner = unwrapSchema(schema);
  if (inner instanceof z.ZodNumber) return 'number';
  if (inner instanceof z.ZodBoolean) return 'boolean';
  if (inner instanceof z.ZodArray) return 'list';
  if (inner instanceof z.ZodObject || inner instanceof z.ZodRecord) return 'mapping';
  return 'string';
}
