import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { checkLayering } from './check.mjs';

/** @type {string[]} */
const roots = [];

/** @param {Record<string, string | object>} files */
function workspace(files) {
  const root = mkdtempSync(join(tmpdir(), 'layering-'));
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

/** @param {string} name @param {Record<string, string>} [deps] */
const pkg = (name, deps = {}) => ({ name: `@prx-voice/${name}`, dependencies: deps });

afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

describe('checkLayering', () => {
  it('accepts imports the table allows', () => {
    const root = workspace({
      'packages/types/package.json': pkg('types'),
      'packages/types/src/index.ts': "export const x = 1;\nimport { y } from './y.js';",
      'packages/media/package.json': pkg('media', { '@prx-voice/types': 'workspace:^' }),
      'packages/media/src/index.ts':
        "import { VoiceError } from '@prx-voice/types';\nexport type { A } from '@prx-voice/media';",
      'apps/server/package.json': {
        name: 'server',
        dependencies: { '@prx-voice/media': 'workspace:^' },
      },
      'apps/server/src/main.ts': "import '@prx-voice/media';",
    });
    expect(checkLayering(root)).toEqual([]);
  });

  it('rejects an upward dependency in package.json', () => {
    const root = workspace({
      'packages/core/package.json': pkg('core', { '@prx-voice/storage': 'workspace:^' }),
    });
    const [v] = checkLayering(root);
    expect(v?.file).toBe(join('packages', 'core', 'package.json'));
    expect(v?.message).toMatch(
      /lists @prx-voice\/storage in dependencies, which its layer may not import \(allowed: types\)/,
    );
  });

  it('rejects a forbidden source import, static, dynamic, re-export or require, with its line', () => {
    const root = workspace({
      'packages/adapter/package.json': pkg('adapter', { '@prx-voice/types': 'workspace:^' }),
      'packages/adapter/src/a.ts': "// line 1\nimport { x } from '@prx-voice/session';",
      'packages/adapter/src/b.ts': "const m = await import('@prx-voice/event');",
      'packages/adapter/src/c.ts': 'export { q } from "@prx-voice/control";',
      'packages/adapter/src/d.cjs': "const s = require('@prx-voice/storage');",
    });
    const found = checkLayering(root).map((v) => `${v.file}:${v.line}`);
    expect(found).toEqual([
      `${join('packages', 'adapter', 'src', 'a.ts')}:2`,
      `${join('packages', 'adapter', 'src', 'b.ts')}:1`,
      `${join('packages', 'adapter', 'src', 'c.ts')}:1`,
      `${join('packages', 'adapter', 'src', 'd.cjs')}:1`,
    ]);
  });

  it('rejects reaching into another package by src path or by relative path, also from apps', () => {
    const root = workspace({
      'packages/types/package.json': pkg('types'),
      'packages/core/package.json': pkg('core', { '@prx-voice/types': 'workspace:^' }),
      'packages/core/src/x.ts':
        "import { a } from '@prx-voice/types/src/ids.js';\nimport { b } from '../../types/src/ids.js';",
      'apps/server/package.json': { name: 'server' },
      'apps/server/src/y.ts': "import { c } from '../../../packages/core/src/x.js';",
    });
    const messages = checkLayering(root).map((v) => v.message);
    expect(messages).toHaveLength(3);
    expect(messages[0]).toMatch(/reaching into another package's src/);
    expect(messages[1]).toMatch(/a path into another package/);
    expect(messages[2]).toMatch(/a path into another package/);
  });

  it('rejects undeclared imports, unknown packages and misnamed ones', () => {
    const root = workspace({
      'packages/core/package.json': pkg('core'),
      'packages/core/src/x.ts': "import type { T } from '@prx-voice/types';",
      'packages/widgets/package.json': pkg('widgets'),
      'packages/media/package.json': { name: '@acme/media' },
    });
    const messages = checkLayering(root)
      .map((v) => v.message)
      .sort();
    expect(messages).toEqual([
      'imports @prx-voice/types without declaring it in package.json',
      'packages/media must be named @prx-voice/media, not @acme/media',
      "packages/widgets has no row in the architecture's layering table",
    ]);
  });

  it('ignores node_modules and dist', () => {
    const root = workspace({
      'packages/types/package.json': pkg('types'),
      'packages/types/node_modules/x/index.js': "require('@prx-voice/control')",
      'packages/types/dist/index.js': "import '@prx-voice/control'",
    });
    expect(checkLayering(root)).toEqual([]);
  });

  it('holds for this repository', () => {
    const here = dirname(fileURLToPath(import.meta.url));
    expect(checkLayering(resolve(here, '../../..'))).toEqual([]);
  });
});
