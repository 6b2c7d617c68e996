import { describe, expect, it } from 'vitest';
import {
  exportEntries,
  internalClosure,
  missingPackage,
  optionalPeers,
  runtimeDependencies,
  tail,
  unresolvedSpecifiers,
} from './manifest.mjs';

/** @typedef {import('./manifest.mjs').Manifest} Manifest */

/** @param {string} name @param {Partial<Manifest>} [rest] @returns {Manifest} */
const m = (name, rest = {}) => ({ name: `@prx-voice/${name}`, ...rest });

describe('unresolvedSpecifiers', () => {
  it('lists workspace: and catalog: specifiers in every dependency field', () => {
    const manifest = m('event', {
      dependencies: { '@prx-voice/core': 'workspace:^', zod: '^4.6.7' },
      devDependencies: { vitest: 'catalog:' },
      peerDependencies: { pg: 'catalog:pg' },
    });
    expect(unresolvedSpecifiers(manifest)).toEqual([
      'dependencies.@prx-voice/core: workspace:^',
      'devDependencies.vitest: catalog:',
      'peerDependencies.pg: catalog:pg',
    ]);
    expect(unresolvedSpecifiers(m('types', { dependencies: { zod: '^4.6.7' } }))).toEqual([]);
  });
});

describe('runtimeDependencies and optionalPeers', () => {
  const storage = m('storage', {
    dependencies: { kysely: '~0.28.18' },
    optionalDependencies: { fsevents: '*' },
    peerDependencies: { pg: '^8', ioredis: '^5', hono: '^4' },
    peerDependenciesMeta: { pg: { optional: true }, ioredis: { optional: true } },
  });
  it('keeps required peers and drops optional ones', () => {
    expect(optionalPeers(storage)).toEqual(['pg', 'ioredis']);
    expect(runtimeDependencies(storage)).toEqual(['kysely', 'fsevents', 'hono']);
  });
});

describe('internalClosure', () => {
  const manifests = new Map(
    [
      m('types'),
      m('core', { dependencies: { '@prx-voice/types': '^0.1.0', yaml: '^2' } }),
      m('storage', {
        dependencies: { '@prx-voice/core': '^0.1.0' },
        peerDependencies: { '@prx-voice/media': '^0.1.0' },
        peerDependenciesMeta: { '@prx-voice/media': { optional: true } },
        devDependencies: { '@prx-voice/policy': '^0.1.0' },
      }),
      m('media', { dependencies: { '@prx-voice/types': '^0.1.0' } }),
    ].map((x) => [x.name, x]),
  );
  it('follows runtime @prx-voice dependencies transitively, not dev or optional peers', () => {
    expect(internalClosure('@prx-voice/storage', manifests)).toEqual([
      '@prx-voice/core',
      '@prx-voice/storage',
      '@prx-voice/types',
    ]);
    expect(internalClosure('@prx-voice/types', manifests)).toEqual(['@prx-voice/types']);
  });
  it('throws on a dependency that is not a publishable workspace package', () => {
    const broken = new Map(manifests).set(
      '@prx-voice/x',
      m('x', { dependencies: { '@prx-voice/private': '^1' } }),
    );
    expect(() => internalClosure('@prx-voice/x', broken)).toThrow(
      '@prx-voice/private (a dependency of @prx-voice/x) is not a publishable workspace package',
    );
  });
});

describe('exportEntries', () => {
  it('imports every subpath but ./package.json, patterns and blocked ones, with nested types', () => {
    const manifest = m('event', {
      exports: {
        '.': {
          '@prx-voice/source': './src/index.ts',
          types: './dist/index.d.ts',
          default: './x.js',
        },
        './testing': {
          import: { types: './dist/testing/index.d.ts', default: './dist/testing/index.js' },
          require: { types: './dist/testing/index.d.cts', default: './dist/testing/index.cjs' },
        },
        './plain': './dist/plain.js',
        './internal/*': null,
        './blocked': null,
        './package.json': './package.json',
      },
    });
    expect(exportEntries(manifest)).toEqual([
      { subpath: '.', specifier: '@prx-voice/event', types: ['./dist/index.d.ts'] },
      {
        subpath: './testing',
        specifier: '@prx-voice/event/testing',
        types: ['./dist/testing/index.d.ts', './dist/testing/index.d.cts'],
      },
      { subpath: './plain', specifier: '@prx-voice/event/plain', types: [] },
    ]);
  });
  it('reads a string or a bare condition object as the root entry, and falls back to types', () => {
    expect(exportEntries(m('a', { exports: './dist/index.js' }))).toEqual([
      { subpath: '.', specifier: '@prx-voice/a', types: [] },
    ]);
    expect(exportEntries(m('a', { exports: { types: './i.d.ts', default: './i.js' } }))).toEqual([
      { subpath: '.', specifier: '@prx-voice/a', types: ['./i.d.ts'] },
    ]);
    expect(exportEntries(m('a', { types: './i.d.ts' }))).toEqual([
      { subpath: '.', specifier: '@prx-voice/a', types: ['./i.d.ts'] },
    ]);
  });
});

describe('tail', () => {
  it('keeps the last non-blank lines', () => {
    expect(tail('a\n\nb\nc\n\n', 2)).toBe('b\nc');
  });
});

describe('missingPackage', () => {
  it('names the package an import could not find, and nothing for other failures', () => {
    const stderr = `node:internal/modules/esm/resolve:873
Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'ioredis' imported from /tmp/x/node_modules/@prx-voice/storage/dist/coordination/redis-coordinator.js`;
    expect(missingPackage(stderr)).toBe('ioredis');
    expect(
      missingPackage(
        "Error [ERR_MODULE_NOT_FOUND]: Cannot find package '@aws-sdk/client-s3' imported from x",
      ),
    ).toBe('@aws-sdk/client-s3');
    expect(
      missingPackage('SyntaxError: The requested module does not provide an export named x'),
    ).toBeUndefined();
  });
});
