/**
 * The JSON Schema subset a tool's parameters may use, checked once at registration
 * and compiled into a validator that reports every problem with its JSON Pointer.
 *
 * Supported: `type` (object, string, number, integer, boolean, array), `properties`,
 * `required`, `additionalProperties` (boolean), `items`, `enum` (of strings, numbers,
 * booleans, null), `minimum`/`maximum`, `minLength`/`maxLength` (in code points),
 * `minItems`/`maxItems`, and the annotations `description`, `title`, `default`,
 * `examples`, `$comment` (and `$schema` at the root). Anything else is refused at
 * registration instead of being silently ignored when arguments are checked.
 */

/** One problem found in a schema or a value; `path` is a JSON Pointer (`''` is the root). */
export interface SchemaIssue {
  readonly path: string;
  readonly message: string;
}

/** A compiled validator; returns the problems of a value (empty when it is valid). */
export type SchemaValidator = (value: unknown) => SchemaIssue[];

/** The result of {@link compileToolSchema}. */
export type CompiledSchema =
  | { readonly kind: 'valid'; readonly validate: SchemaValidator }
  | { readonly kind: 'invalid'; readonly issues: readonly SchemaIssue[] };

type JsonType = 'object' | 'string' | 'number' | 'integer' | 'boolean' | 'array';
type EnumValue = string | number | boolean | null;

interface Node {
  readonly type: JsonType | undefined;
  readonly enumValues: readonly EnumValue[] | undefined;
  readonly properties: ReadonlyMap<string, Node>;
  readonly required: readonly string[];
  readonly additionalProperties: boolean;
  readonly items: Node | undefined;
  readonly minimum: number | undefined;
  readonly maximum: number | undefined;
  readonly minLength: number | undefined;
  readonly maxLength: number | undefined;
  readonly minItems: number | undefined;
  readonly maxItems: number | undefined;
}

const TYPES: ReadonlySet<string> = new Set([
  'object',
  'string',
  'number',
  'integer',
  'boolean',
  'array',
]);
const ANNOTATIONS: ReadonlySet<string> = new Set([
  'description',
  'title',
  'default',
  'examples',
  '$comment',
]);
/** Keywords and the types they apply to. */
const KEYWORD_TYPES: Readonly<Record<string, readonly JsonType[]>> = {
  properties: ['object'],
  required: ['object'],
  additionalProperties: ['object'],
  items: ['array'],
  minItems: ['array'],
  maxItems: ['array'],
  minimum: ['number', 'integer'],
  maximum: ['number', 'integer'],
  minLength: ['string'],
  maxLength: ['string'],
};
const MAX_ISSUES = 20;

/** Escapes one JSON Pointer reference token. */
function token(key: string | number): string {
  return typeof key === 'number' ? String(key) : key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** A JSON Pointer for humans: the root is shown as `(root)`. */
export function formatPath(path: string): string {
  return path === '' ? '(root)' : path;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function matchesType(value: unknown, type: JsonType): boolean {
  switch (type) {
    case 'object':
      return isPlainObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
  }
}

function codePointLength(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i += 1;
    }
    length += 1;
  }
  return length;
}

/** Compiles one schema node, collecting problems into `issues`. */
function compileNode(schema: unknown, path: string, root: boolean, issues: SchemaIssue[]): Node {
  const problem = (at: string, message: string): void => {
    issues.push({ path: at, message });
  };
  const empty: Node = {
    type: undefined,
    enumValues: undefined,
    properties: new Map(),
    required: [],
    additionalProperties: true,
    items: undefined,
    minimum: undefined,
    maximum: undefined,
    minLength: undefined,
    maxLength: undefined,
    minItems: undefined,
    maxItems: undefined,
  };
  if (!isPlainObject(schema)) {
    problem(path, 'a schema must be an object');
    return empty;
  }

  let type: JsonType | undefined;
  if (schema.type !== undefined) {
    if (typeof schema.type === 'string' && TYPES.has(schema.type)) type = schema.type as JsonType;
    else problem(`${path}/type`, `type must be one of ${[...TYPES].join(', ')}`);
  }
  if (root && type !== 'object')
    problem(`${path}/type`, 'the parameters schema must have type "object"');

  for (const key of Object.keys(schema)) {
    if (key === 'type' || key === 'enum' || ANNOTATIONS.has(key) || (root && key === '$schema'))
      continue;
    const applies = KEYWORD_TYPES[key];
    if (applies === undefined) {
      problem(`${path}/${token(key)}`, `keyword "${key}" is not supported`);
    } else if (type === undefined || !applies.includes(type)) {
      problem(`${path}/${token(key)}`, `keyword "${key}" needs type ${applies.join(' or ')}`);
    }
  }

  let enumValues: EnumValue[] | undefined;
  if (schema.enum !== undefined) {
    const values: unknown = schema.enum;
    if (!Array.isArray(values) || values.length === 0) {
      problem(`${path}/enum`, 'enum must be a non-empty array');
    } else {
      enumValues = [];
      values.forEach((v: unknown, i) => {
        const primitive =
          v === null ||
          typeof v === 'string' ||
          typeof v === 'boolean' ||
          (typeof v === 'number' && Number.isFinite(v));
        if (!primitive)
          problem(`${path}/enum/${i}`, 'enum values must be strings, numbers, booleans or null');
        else if (type !== undefined && !matchesType(v, type))
          problem(`${path}/enum/${i}`, `enum value does not match type ${type}`);
        else enumValues?.push(v);
      });
    }
  }
  if (type === undefined && enumValues === undefined)
    problem(path, 'a schema needs a type or an enum');

  const count = (key: string, integer: boolean): number | undefined => {
    const v = schema[key];
    if (v === undefined) return undefined;
    if (
      typeof v !== 'number' ||
      !Number.isFinite(v) ||
      (integer && (!Number.isInteger(v) || v < 0))
    ) {
      problem(
        `${path}/${key}`,
        integer ? `${key} must be an integer >= 0` : `${key} must be a finite number`,
      );
      return undefined;
    }
    return v;
  };
  const minimum = count('minimum', false);
  const maximum = count('maximum', false);
  const minLength = count('minLength', true);
  const maxLength = count('maxLength', true);
  const minItems = count('minItems', true);
  const maxItems = count('maxItems', true);
  for (const [low, high, name] of [
    [minimum, maximum, 'minimum'],
    [minLength, maxLength, 'minLength'],
    [minItems, maxItems, 'minItems'],
  ] as const) {
    if (low !== undefined && high !== undefined && low > high)
      problem(`${path}/${name}`, `${name} is larger than its maximum`);
  }

  const properties = new Map<string, Node>();
  if (schema.properties !== undefined) {
    if (!isPlainObject(schema.properties))
      problem(`${path}/properties`, 'properties must be an object');
    else {
      for (const [key, sub] of Object.entries(schema.properties)) {
        properties.set(key, compileNode(sub, `${path}/properties/${token(key)}`, false, issues));
      }
    }
  }

  const required: string[] = [];
  if (schema.required !== undefined) {
    const list: unknown = schema.required;
    if (!Array.isArray(list))
      problem(`${path}/required`, 'required must be an array of property names');
    else {
      list.forEach((name: unknown, i) => {
        if (typeof name !== 'string')
          problem(`${path}/required/${i}`, 'a required entry must be a string');
        else if (!properties.has(name))
          problem(`${path}/required/${i}`, `required property "${name}" is not in properties`);
        else if (required.includes(name))
          problem(`${path}/required/${i}`, `"${name}" is listed twice`);
        else required.push(name);
      });
    }
  }

  let additionalProperties = true;
  if (schema.additionalProperties !== undefined) {
    if (typeof schema.additionalProperties !== 'boolean')
      problem(
        `${path}/additionalProperties`,
        'only additionalProperties true or false is supported',
      );
    else additionalProperties = schema.additionalProperties;
  }

  let items: Node | undefined;
  if (schema.items !== undefined) items = compileNode(schema.items, `${path}/items`, false, issues);

  return {
    type,
    enumValues,
    properties,
    required,
    additionalProperties,
    items,
    minimum,
    maximum,
    minLength,
    maxLength,
    minItems,
    maxItems,
  };
}

/** Checks `value` against `node`, appending problems to `issues` (at most {@link MAX_ISSUES}). */
function check(node: Node, value: unknown, path: string, issues: SchemaIssue[]): void {
  if (issues.length >= MAX_ISSUES) return;
  const problem = (message: string): void => {
    issues.push({ path, message });
  };
  if (node.type !== undefined && !matchesType(value, node.type)) {
    problem(
      `must be ${node.type === 'integer' || node.type === 'array' || node.type === 'object' ? 'an' : 'a'} ${node.type}, got ${typeOf(value)}`,
    );
    return;
  }
  if (node.enumValues !== undefined && !node.enumValues.some((v) => v === value)) {
    problem(`must be one of ${node.enumValues.map((v) => JSON.stringify(v)).join(', ')}`);
    return;
  }
  if (typeof value === 'number') {
    if (node.minimum !== undefined && value < node.minimum) problem(`must be >= ${node.minimum}`);
    if (node.maximum !== undefined && value > node.maximum) problem(`must be <= ${node.maximum}`);
  } else if (typeof value === 'string') {
    const length = codePointLength(value);
    if (node.minLength !== undefined && length < node.minLength)
      problem(`must be at least ${node.minLength} characters long`);
    if (node.maxLength !== undefined && length > node.maxLength)
      problem(`must be at most ${node.maxLength} characters long`);
  } else if (Array.isArray(value)) {
    if (node.minItems !== undefined && value.length < node.minItems)
      problem(`must have at least ${node.minItems} items`);
    if (node.maxItems !== undefined && value.length > node.maxItems)
      problem(`must have at most ${node.maxItems} items`);
    const items = node.items;
    if (items !== undefined)
      value.forEach((item: unknown, i) => {
        check(items, item, `${path}/${i}`, issues);
      });
  } else if (isPlainObject(value) && node.type === 'object') {
    for (const name of node.required) {
      if (!Object.hasOwn(value, name) && issues.length < MAX_ISSUES)
        issues.push({ path: `${path}/${token(name)}`, message: 'is required' });
    }
    for (const [key, item] of Object.entries(value)) {
      const sub = node.properties.get(key);
      if (sub !== undefined) check(sub, item, `${path}/${token(key)}`, issues);
      else if (!node.additionalProperties && issues.length < MAX_ISSUES)
        issues.push({
          path: `${path}/${token(key)}`,
          message: 'is not allowed (additionalProperties is false)',
        });
    }
  }
}

/**
 * Checks a tool's parameter schema (the root must be `type: "object"`) and compiles
 * it into a validator.
 */
export function compileToolSchema(schema: unknown): CompiledSchema {
  const issues: SchemaIssue[] = [];
  const root = compileNode(schema, '', true, issues);
  if (issues.length > 0) return { kind: 'invalid', issues };
  return {
    kind: 'valid',
    validate: (value) => {
      const found: SchemaIssue[] = [];
      check(root, value, '', found);
      return found;
    },
  };
}
