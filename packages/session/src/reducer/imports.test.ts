/** The reducer's files import one another without cycles (one concept a file, a clear order). */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

function localImports(file: string): string[] {
  const text = readFileSync(join(here, file), 'utf8');
  return [...text.matchAll(/from '\.\/([a-z-]+)\.js'/g)].map((m) => `${m[1] ?? ''}.ts`);
}

describe('reducer modules', () => {
  it('form no import cycle', () => {
    const files = readdirSync(here).filter((f) => f.endsWith('.ts') && !f.includes('.test.'));
    const graph = new Map(files.map((f) => [f, localImports(f)]));
    const cycles: string[] = [];
    const visit = (file: string, path: readonly string[]): void => {
      if (path.includes(file)) {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
        return;
      }
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    };
    for (const f of files) visit(f, []);
    expect(cycles).toEqual([]);
    expect(files.length).toBeGreaterThan(5);
  });
});
