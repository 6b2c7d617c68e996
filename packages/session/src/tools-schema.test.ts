import { describe, expect, it } from 'vitest';
import { VoiceError } from '@prx-voice/types';
import { jsonProblem } from './tools-json.js';
import { compileToolSchema } from './tools-schema.js';
import { createToolRegistry } from './tools.js';

describe('compileToolSchema and jsonProblem', () => {
  it('escapes JSON Pointer tokens and counts string length in code points', () => {
    const compiled = compileToolSchema({
      type: 'object',
      properties: { 'a/b~c': { type: 'string', maxLength: 2 } },
    });
    expect(compiled.kind).toBe('valid');
    if (compiled.kind !== 'valid') return;
    expect(compiled.validate({ 'a/b~c': '😀😀' })).toEqual([]);
    expect(compiled.validate({ 'a/b~c': '😀😀😀' })).toEqual([
      { path: '/a~1b~0c', message: 'must be at most 2 characters long' },
    ]);
    expect(compiled.validate(null)).toEqual([{ path: '', message: 'must be an object, got null' }]);
  });

  it('accepts enum-only schemas and checks enum members', () => {
    const compiled = compileToolSchema({
      type: 'object',
      properties: { v: { enum: ['a', 1, true, null] } },
    });
    if (compiled.kind !== 'valid') throw new Error('expected a valid schema');
    expect(compiled.validate({ v: null })).toEqual([]);
    expect(compiled.validate({ v: 'b' })).toEqual([
      { path: '/v', message: 'must be one of "a", 1, true, null' },
    ]);
  });

  it('finds what JSON cannot carry', () => {
    expect(jsonProblem({ a: [1, 'x', null, { b: true }] })).toBeUndefined();
    expect(jsonProblem({ a: [undefined] })).toEqual({ path: '/a/0', message: 'is undefined' });
    expect(jsonProblem({ f: () => 1 })).toEqual({ path: '/f', message: 'is a function' });
    expect(jsonProblem(new Uint8Array(2))).toMatchObject({
      path: '',
      message: expect.stringMatching(/Uint8Array/),
    });
    const shared = { x: 1 };
    expect(jsonProblem({ a: shared, b: shared })).toBeUndefined(); // repeated, not circular
  });
});

describe('tool registration', () => {
  it('refuses bad names, duplicates, bad timeouts and bad schemas', () => {
    const tools = createToolRegistry();
    const base = {
      description: 'x',
      parameters: { type: 'object' },
      handler: () => Promise.resolve(1),
    };
    expect(() => {
      tools.register({ ...base, name: 'has space' });
    }).toThrow(/name/);
    expect(() => {
      tools.register({ ...base, name: 'x'.repeat(65) });
    }).toThrow(/name/);
    tools.register({ ...base, name: 'ok-name_1' });
    expect(() => {
      tools.register({ ...base, name: 'ok-name_1' });
    }).toThrow(/already registered/);
    expect(() => {
      tools.register({ ...base, name: 't', timeoutMs: 0 });
    }).toThrow(/timeoutMs/);
    expect(() => {
      tools.register({ ...base, name: 't', description: ' ' });
    }).toThrow(/description/);
    const schemaError = (parameters: Record<string, unknown>): VoiceError => {
      try {
        tools.register({ ...base, name: 'bad', parameters });
      } catch (error) {
        if (VoiceError.is(error)) return error;
      }
      throw new Error('expected a VoiceError');
    };
    expect(schemaError({ type: 'string' }).message).toMatch(
      /\/type: the parameters schema must have type "object"/,
    );
    const nested = schemaError({
      type: 'object',
      properties: { a: { type: 'string', pattern: '^x' }, b: { type: 'strin' }, c: { minimum: 1 } },
      required: ['a', 'zzz'],
      additionalProperties: { type: 'string' },
    });
    expect(nested.code).toBe('VALIDATION_FAILED');
    expect(nested.details.issues).toEqual([
      { path: '/properties/a/pattern', message: 'keyword "pattern" is not supported' },
      {
        path: '/properties/b/type',
        message: 'type must be one of object, string, number, integer, boolean, array',
      },
      { path: '/properties/b', message: 'a schema needs a type or an enum' },
      { path: '/properties/c/minimum', message: 'keyword "minimum" needs type number or integer' },
      { path: '/properties/c', message: 'a schema needs a type or an enum' },
      { path: '/required/1', message: 'required property "zzz" is not in properties' },
      {
        path: '/additionalProperties',
        message: 'only additionalProperties true or false is supported',
      },
    ]);
    expect(
      schemaError({ type: 'object', properties: { n: { type: 'number', minimum: 5, maximum: 1 } } })
        .message,
    ).toMatch(/minimum is larger/);
    expect(
      schemaError({ type: 'object', properties: { e: { type: 'string', enum: ['a', 2] } } })
        .message,
    ).toMatch(/enum\/1: enum value does not match type string/);
    expect(schemaError({ type: 'object', default: () => 1 }).message).toMatch(
      /\/default is a function/,
    );
  });
});
