import { createToolRegistry } from '@prx-voice/session';
import { describe, expect, it } from 'vitest';
import { fitToolSchema, MAX_SCHEMA_CHARS } from './mcp-schema.js';

function fitted(schema: unknown): Record<string, unknown> {
  const result = fitToolSchema(schema);
  if (result.kind !== 'fitted') throw new Error(JSON.stringify(result.issues));
  // Whatever is fitted, the registry takes.
  createToolRegistry().register({
    name: 't',
    description: 'd',
    parameters: result.schema,
    handler: () => Promise.resolve(null),
  });
  return result.schema;
}

describe('fitToolSchema', () => {
  it('keeps what the subset says and drops $schema', () => {
    const schema = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      description: 'Args.',
      properties: {
        id: { type: 'string', minLength: 1, maxLength: 10, title: 'Id' },
        count: { type: 'integer', minimum: 0, maximum: 5, default: 1 },
        tags: { type: 'array', items: { type: 'string', enum: ['a', 'b'] }, minItems: 1 },
        nested: {
          type: 'object',
          properties: { on: { type: 'boolean' } },
          additionalProperties: false,
        },
      },
      required: ['id'],
      additionalProperties: false,
    };
    const { $schema: _dropped, ...rest } = schema;
    expect(fitted(schema)).toEqual(rest);
  });

  it('rewrites const, nullable types and single-branch unions', () => {
    expect(
      fitted({
        type: 'object',
        properties: {
          kind: { const: 'order' },
          note: { type: ['string', 'null'] },
          when: {
            anyOf: [{ type: 'string' }, { type: 'null' }],
            description: 'Optional.',
            default: null,
          },
          level: { allOf: [{ type: 'integer' }] },
          mode: { type: 'string', enum: ['x', null] },
        },
      }),
    ).toEqual({
      type: 'object',
      properties: {
        kind: { enum: ['order'] },
        note: { type: 'string' },
        when: { type: 'string', description: 'Optional.', default: null },
        level: { type: 'integer' },
        mode: { type: 'string', enum: ['x'] },
      },
    });
  });

  it('inlines local $refs with the referring annotations', () => {
    expect(
      fitted({
        type: 'object',
        $defs: {
          Address: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
        properties: { to: { $ref: '#/$defs/Address', description: 'Where to.' } },
        required: ['to'],
      }),
    ).toEqual({
      type: 'object',
      properties: {
        to: {
          type: 'object',
          description: 'Where to.',
          properties: { city: { type: 'string' } },
          required: ['city'],
        },
      },
      required: ['to'],
    });
  });

  it('turns exclusive bounds into inclusive ones and format/pattern into hints', () => {
    expect(
      fitted({
        type: 'object',
        properties: {
          n: { type: 'integer', exclusiveMinimum: 0, exclusiveMaximum: 10 },
          x: { type: 'number', exclusiveMinimum: 0.5, minimum: 0 },
          email: { type: 'string', format: 'email', description: 'Contact.' },
          code: { type: 'string', pattern: '^[A-Z]{3}$' },
        },
      }).properties,
    ).toEqual({
      n: { type: 'integer', minimum: 1, maximum: 9 },
      x: { type: 'number', minimum: 0.5 },
      email: { type: 'string', description: 'Contact. (format: email)' },
      code: { type: 'string', description: '(pattern: ^[A-Z]{3}$)' },
    });
  });

  it('drops optional properties and items it cannot fit, opening the object', () => {
    expect(
      fitted({
        type: 'object',
        properties: {
          id: { type: 'string' },
          anything: {},
          either: { anyOf: [{ type: 'string' }, { type: 'number' }] },
          list: { type: 'array', items: { oneOf: [{ type: 'string' }, { type: 'integer' }] } },
          map: { type: 'object', additionalProperties: { type: 'string' } },
        },
        required: ['id'],
        additionalProperties: false,
      }),
    ).toEqual({
      type: 'object',
      properties: { id: { type: 'string' }, list: { type: 'array' }, map: { type: 'object' } },
      required: ['id'],
    });
  });

  it('refuses what a required property or the root cannot say', () => {
    const either = fitToolSchema({
      type: 'object',
      properties: { id: { anyOf: [{ type: 'string' }, { type: 'number' }] } },
      required: ['id'],
    });
    expect(either).toEqual({
      kind: 'unsupported',
      issues: [
        { path: '/properties/id/anyOf', message: 'anyOf of several schemas is not supported' },
      ],
    });
    const recursive = fitToolSchema({
      type: 'object',
      $defs: {
        Node: {
          type: 'object',
          properties: { next: { $ref: '#/$defs/Node' } },
          required: ['next'],
        },
      },
      properties: { head: { $ref: '#/$defs/Node' } },
      required: ['head'],
    });
    expect(recursive.kind).toBe('unsupported');
    expect(fitToolSchema({ type: 'string' }).kind).toBe('unsupported');
    expect(fitToolSchema(true).kind).toBe('unsupported');
    expect(
      fitToolSchema({
        type: 'object',
        properties: { a: { $ref: 'https://x/schema' } },
        required: ['a'],
      }),
    ).toMatchObject({
      kind: 'unsupported',
      issues: [{ message: expect.stringContaining('not a local reference') as unknown }],
    });
  });

  it('takes a root without a type when it has properties, and refuses an oversized schema', () => {
    expect(fitted({ properties: { a: { type: 'string' } } })).toEqual({
      type: 'object',
      properties: { a: { type: 'string' } },
    });
    const properties = Object.fromEntries(
      Array.from({ length: 2_000 }, (_, i) => [
        `p${i}`,
        { type: 'string', description: 'x'.repeat(40) },
      ]),
    );
    const big = fitToolSchema({ type: 'object', properties });
    expect(big).toMatchObject({ kind: 'unsupported' });
    expect(JSON.stringify(big)).toContain(String(MAX_SCHEMA_CHARS));
  });
});

describe('fitToolSchema limits', () => {
  it('refuses shared $refs that expand past the node budget', () => {
    const $defs: Record<string, unknown> = { L0: { type: 'string' } };
    for (let i = 1; i <= 12; i++) {
      const ref = { $ref: `#/$defs/L${i - 1}` };
      $defs[`L${i}`] = { type: 'object', properties: { a: ref, b: ref, c: ref, d: ref } };
    }
    const result = fitToolSchema({
      type: 'object',
      $defs,
      properties: { x: { $ref: '#/$defs/L12' } },
    });
    expect(result).toMatchObject({
      kind: 'unsupported',
      issues: [{ message: 'the schema is too large' }],
    });
  });
});
