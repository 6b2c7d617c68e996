import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listEntries, runApiReport } from './run.mjs';

/** @type {string[]} */
const roots = [];

/** @param {Record<string, string | object>} files */
function workspace(files) {
  const root = mkdtempSync(join(tmpdir(), 'api-report-'));
  roots.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(
      join(root, path),
      typeof content === 'string' ? content : JSON.stringify(content),
    );
  }
  return root;
}

afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

const manifest = {
  name: '@x/demo',
  type: 'module',
  exports: {
    '.': { '@prx-voice/source': './src/index.ts', default: './dist/index.js' },
    './testing': { '@prx-voice/source': './src/testing/index.ts' },
    './package.json': './package.json',
  },
};
const tsconfig = {
  compilerOptions: {
    target: 'ES2023',
    lib: ['ES2023'],
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    exactOptionalPropertyTypes: true,
    types: [],
    noEmit: true,
  },
  include: ['src'],
};
const INDEX = `
import type { Hidden } from './hidden.js';
export { helper as renamed } from './helper.js';
export * as shapes from './shapes.js';
/** Overloaded. */
export function parse(s: string): number;
export function parse(s: string, radix: number): number;
export function parse(s: string, radix = 10): number {
  return Number.parseInt(s, radix);
}
export const LEVELS = ['warn', 'debug'] as const;
export type Level = (typeof LEVELS)[number];
export interface Options<T = string> {
  readonly level?: Level;
  value: T;
  run(input: T): Promise<void>;
}
export class Box<T> extends Array<T> implements Iterable<T> {
  static create(): Box<number> { return new Box(); }
  readonly label = 'box';
  #secret = 1;
  private hidden = 2;
  protected inner = 3;
  constructor(readonly size?: number) { super(); }
  get doubled(): number { return this.#secret + this.hidden + this.inner; }
  open(hidden: Hidden): void {}
}
export enum Color { Red = 'red', Green = 'green' }
`;

function fixture() {
  return workspace({
    'packages/demo/package.json': manifest,
    'packages/demo/tsconfig.json': tsconfig,
    'packages/demo/src/index.ts': INDEX,
    'packages/demo/src/hidden.ts': 'export interface Hidden { id: string }\n',
    'packages/demo/src/helper.ts': 'export const helper = (n: number): string => `${n}`;\n',
    'packages/demo/src/shapes.ts': 'export type Circle = { r: number };\nexport const PI = 3;\n',
    'packages/demo/src/testing/index.ts':
      "import type { Options } from '../index.js';\nexport function fake(): Options { return { value: '', run: async () => {} }; }\n",
  });
}

describe('runApiReport', () => {
  it('lists the export entries but ./package.json', () => {
    const root = fixture();
    expect(listEntries(root).map((e) => [e.packageName, e.entry, e.source])).toEqual([
      ['@x/demo', '.', './src/index.ts'],
      ['@x/demo', './testing', './src/testing/index.ts'],
    ]);
  });

  it('writes one report per entry, then check passes', () => {
    const root = fixture();
    const written = runApiReport(root, 'update');
    expect(written.written).toEqual([
      'packages/demo/api/index.api.md',
      'packages/demo/api/testing.api.md',
    ]);
    expect(written.reports).toEqual([
      { file: 'packages/demo/api/index.api.md', count: 8 },
      { file: 'packages/demo/api/testing.api.md', count: 1 },
    ]);
    expect(written.problems).toEqual([
      'packages/demo/api/index.api.md: uses 1 type(s) of the package that no entry exports: ' +
        'import("./hidden.js").Hidden',
    ]);
    const index = readFileSync(join(root, 'packages/demo/api/index.api.md'), 'utf8');
    expect(index).not.toContain(root);
    expect(index).toContain('Exports: 8\n');
    expect(index.slice(index.indexOf('```ts\n') + 6, index.lastIndexOf('```'))).toBe(
      [
        'class Box<T> extends Array<T> implements Iterable<T> {',
        '  constructor(size?: number | undefined);',
        '  static create(): Box<number>;',
        "  readonly label: 'box';",
        '  readonly size?: number;',
        '  readonly doubled: number;',
        '  open(hidden: import("./hidden.js").Hidden): void;',
        '}',
        'enum Color {',
        "  Red = 'red',",
        "  Green = 'green',",
        '}',
        "type Level = 'debug' | 'warn';",
        "const LEVELS: readonly ['warn', 'debug'];",
        'interface Options<T = string> {',
        '  readonly level?: Level;',
        '  value: T;',
        '  run(input: T): Promise<void>;',
        '}',
        'function parse(s: string): number;',
        'function parse(s: string, radix: number): number;',
        'const renamed: (n: number) => string;',
        'namespace shapes {',
        '  type Circle = {',
        '    r: number;',
        '  };',
        '  const PI: 3;',
        '}',
        '',
      ].join('\n'),
    );
    const testing = readFileSync(join(root, 'packages/demo/api/testing.api.md'), 'utf8');
    expect(testing).toContain('function fake(): import("@x/demo").Options;\n');

    expect(runApiReport(root, 'check').differences).toEqual([]);
    // Deterministic: a second update writes nothing.
    expect(runApiReport(root, 'update').written).toEqual([]);
  });

  it('check reports a changed, a missing and a stale report', () => {
    const root = fixture();
    runApiReport(root, 'update');
    appendFileSync(join(root, 'packages/demo/src/index.ts'), 'export const added = 1;\n');
    rmSync(join(root, 'packages/demo/api/testing.api.md'));
    writeFileSync(join(root, 'packages/demo/api/old.api.md'), 'gone\n');

    const { differences } = runApiReport(root, 'check');
    expect(differences.map((d) => [d.file, d.kind])).toEqual([
      ['packages/demo/api/index.api.md', 'changed'],
      ['packages/demo/api/testing.api.md', 'missing'],
      ['packages/demo/api/old.api.md', 'stale'],
    ]);
    expect(differences[0]?.diff).toContain('-Exports: 8\n+Exports: 9');
    expect(differences[0]?.diff).toContain('+const added: 1;');

    const updated = runApiReport(root, 'update');
    expect(updated.written).toContain('packages/demo/api/old.api.md (removed)');
    expect(runApiReport(root, 'check').differences).toEqual([]);
  });
});
