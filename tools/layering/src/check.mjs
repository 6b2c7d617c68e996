import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { ALLOWED, SCOPE } from './rules.mjs';

/**
 * @typedef {{ file: string, line?: number, message: string }} Violation
 */

const SOURCE_EXT = /\.(?:[cm]?[jt]sx?)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', '.turbo', '.reports', 'coverage']);
const DEP_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];
// import … from 'x' · export … from 'x' · import 'x' · import('x') · require('x')
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(['"])([^'"\n]+)\1/g;

/**
 * Checks every workspace member under `packages/` and `apps/` of `root`.
 * Returns the violations found; an empty array means the layering holds.
 *
 * @param {string} root
 * @returns {Violation[]}
 */
export function checkLayering(root) {
  /** @type {Violation[]} */
  const out = [];
  const packagesDir = join(root, 'packages');
  for (const dir of listDirs(packagesDir)) {
    const pkgDir = join(packagesDir, dir);
    const manifest = readManifest(pkgDir, root, out);
    if (manifest === undefined) continue;
    const allowed = ALLOWED[dir];
    if (allowed === undefined) {
      out.push({
        file: rel(root, join(pkgDir, 'package.json')),
        message: `packages/${dir} has no row in the architecture's layering table`,
      });
      continue;
    }
    if (manifest.name !== `${SCOPE}${dir}`) {
      out.push({
        file: rel(root, join(pkgDir, 'package.json')),
        message: `packages/${dir} must be named ${SCOPE}${dir}, not ${String(manifest.name)}`,
      });
    }
    checkMember({ root, pkgDir, self: dir, manifest, allowed, out });
  }
  for (const dir of listDirs(join(root, 'apps'))) {
    const pkgDir = join(root, 'apps', dir);
    const manifest = readManifest(pkgDir, root, out);
    if (manifest === undefined) continue;
    // Apps compose every package; they still must not reach into a package's sources.
    checkMember({ root, pkgDir, self: undefined, manifest, allowed: undefined, out });
  }
  return out;
}

/**
 * @param {{ root: string, pkgDir: string, self: string | undefined, manifest: Record<string, unknown>,
 *           allowed: readonly string[] | undefined, out: Violation[] }} ctx
 */
function checkMember({ root, pkgDir, self, manifest, allowed, out }) {
  const manifestFile = rel(root, join(pkgDir, 'package.json'));
  /** @type {Set<string>} */
  const declared = new Set();
  for (const field of DEP_FIELDS) {
    const deps = manifest[field];
    if (deps === null || typeof deps !== 'object') continue;
    for (const name of Object.keys(deps)) {
      if (!name.startsWith(SCOPE)) continue;
      const target = name.slice(SCOPE.length);
      declared.add(target);
      if (allowed !== undefined && !allowed.includes(target)) {
        out.push({
          file: manifestFile,
          message: `${SCOPE}${String(self)} lists ${name} in ${field}, which its layer may not import (allowed: ${fmt(allowed)})`,
        });
      }
    }
  }
  for (const file of listSources(pkgDir)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(SPECIFIER)) {
      const spec = match[2] ?? '';
      const line = text.slice(0, match.index).split('\n').length;
      const where = { file: rel(root, file), line };
      if (spec.startsWith(SCOPE)) {
        const [target = '', ...rest] = spec.slice(SCOPE.length).split('/');
        if (rest[0] === 'src' || rest.includes('src')) {
          out.push({
            ...where,
            message: `imports "${spec}", reaching into another package's src/; import its public entry point instead`,
          });
        }
        if (target === self) continue;
        if (allowed !== undefined && !allowed.includes(target)) {
          out.push({
            ...where,
            message: `imports ${SCOPE}${target}, which the ${String(self)} layer may not import (allowed: ${fmt(allowed)})`,
          });
        } else if (!declared.has(target)) {
          out.push({
            ...where,
            message: `imports ${SCOPE}${target} without declaring it in package.json`,
          });
        }
      } else if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (!isInside(pkgDir, target) && isInside(join(root, 'packages'), target)) {
          out.push({
            ...where,
            message: `imports "${spec}", a path into another package; import it by its package name`,
          });
        }
      }
    }
  }
}

/** @param {string} dir @returns {string[]} */
function listDirs(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => !d.startsWith('.') && statSync(join(dir, d)).isDirectory())
    .sort();
}

/** @param {string} dir @returns {string[]} */
function listSources(dir) {
  /** @type {string[]} */
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listSources(path));
    else if (SOURCE_EXT.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(path);
  }
  return files.sort();
}

/**
 * @param {string} pkgDir @param {string} root @param {Violation[]} out
 * @returns {Record<string, unknown> | undefined}
 */
function readManifest(pkgDir, root, out) {
  const file = join(pkgDir, 'package.json');
  if (!existsSync(file)) return undefined;
  try {
    const parsed = /** @type {unknown} */ (JSON.parse(readFileSync(file, 'utf8')));
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return /** @type {Record<string, unknown>} */ (parsed);
    }
    out.push({ file: rel(root, file), message: 'package.json is not a JSON object' });
  } catch (err) {
    out.push({
      file: rel(root, file),
      message: `package.json does not parse: ${err instanceof Error ? err.message : String(err)}`,
    });
  }
  return undefined;
}

/** @param {string} dir @param {string} path */
function isInside(dir, path) {
  const r = relative(dir, path);
  return r === '' || (!r.startsWith('..') && !r.startsWith(sep) && r !== '..');
}

/** @param {string} root @param {string} path */
function rel(root, path) {
  return relative(root, path) || '.';
}

/** @param {readonly string[]} list */
function fmt(list) {
  return list.length === 0 ? 'none' : list.join(', ');
}
