// Walks packages/*, builds each export entry's report and writes (update) or compares (check) it.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { extractApi } from './extract.mjs';
import { compareNames, renderReport, reportFileName, shortDiff } from './format.mjs';

/** The export condition that points at a package's TypeScript sources. */
export const SOURCE_CONDITION = '@prx-voice/source';
const REPORT_DIR = 'api';
const REPORT_SUFFIX = '.api.md';

/**
 * @typedef {{ packageDir: string, packageName: string, entry: string, source: string }} Entry
 * @typedef {{ file: string, kind: 'changed' | 'missing' | 'stale', diff: string }} Difference
 * @typedef {{
 *   reports: { file: string, count: number }[],
 *   differences: Difference[],
 *   written: string[],
 *   problems: string[],
 * }} Result
 */

/**
 * The export entries of every package under `root/packages` (all but `./package.json`).
 * @param {string} root
 * @returns {Entry[]}
 */
export function listEntries(root) {
  const packagesDir = join(root, 'packages');
  if (!existsSync(packagesDir)) return [];
  /** @type {Entry[]} */
  const out = [];
  for (const dir of readdirSync(packagesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort(compareNames)) {
    const manifestPath = join(packagesDir, dir, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const parsed = /** @type {unknown} */ (JSON.parse(readFileSync(manifestPath, 'utf8')));
    const manifest = /** @type {{ name?: string, exports?: unknown }} */ (parsed);
    const exportsMap =
      typeof manifest.exports === 'object' && manifest.exports !== null
        ? /** @type {Record<string, unknown>} */ (manifest.exports)
        : { '.': manifest.exports };
    for (const [entry, target] of Object.entries(exportsMap)) {
      if (entry === './package.json' || !entry.startsWith('.')) continue;
      const source = pickSource(target);
      if (source === undefined || !/\.(?:d\.)?[cm]?tsx?$/.test(source)) continue;
      out.push({
        packageDir: join(packagesDir, dir),
        packageName: manifest.name ?? dir,
        entry,
        source,
      });
    }
  }
  return out;
}

/** @param {unknown} target @returns {string | undefined} */
function pickSource(target) {
  if (typeof target === 'string') return target;
  if (typeof target !== 'object' || target === null) return undefined;
  const t = /** @type {Record<string, unknown>} */ (target);
  for (const key of [SOURCE_CONDITION, 'types', 'import', 'default']) {
    const found = pickSource(t[key]);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Builds every report; `update` writes the ones that changed and removes stale ones, `check`
 * only lists the differences.
 *
 * @param {string} root workspace root
 * @param {'update' | 'check'} mode
 * @returns {Result}
 */
export function runApiReport(root, mode) {
  /** @type {Result} */
  const result = { reports: [], differences: [], written: [], problems: [] };
  /** @type {Map<string, Entry[]>} */
  const byPackage = new Map();
  for (const e of listEntries(root)) {
    byPackage.set(e.packageDir, [...(byPackage.get(e.packageDir) ?? []), e]);
  }
  /** @type {Set<string>} */
  const expected = new Set();
  /** @type {Map<string, import('typescript').SourceFile>} */
  const parsed = new Map();
  for (const [packageDir, entries] of byPackage) {
    const files = entries.map((e) => resolve(packageDir, e.source));
    const api = extractApi(
      join(packageDir, 'tsconfig.json'),
      entries.map((e, i) => ({
        file: /** @type {string} */ (files[i]),
        specifier: e.entry === '.' ? e.packageName : `${e.packageName}${e.entry.slice(1)}`,
      })),
      parsed,
    );
    entries.forEach((e, i) => {
      const report = api.get(/** @type {string} */ (files[i]));
      if (report === undefined) return;
      const file = join(packageDir, REPORT_DIR, reportFileName(e.entry));
      const shown = rel(root, file);
      expected.add(file);
      result.problems.push(...report.problems.map((p) => `${shown}: ${p}`));
      result.reports.push({ file: shown, count: report.exports.length });
      const text = renderReport({
        packageName: e.packageName,
        entry: e.entry,
        source: e.source,
        exports: report.exports,
      });
      const before = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
      if (before === text) return;
      if (mode === 'update') {
        mkdirSync(join(packageDir, REPORT_DIR), { recursive: true });
        writeFileSync(file, text);
        result.written.push(shown);
      } else {
        result.differences.push(
          before === undefined
            ? {
                file: shown,
                kind: 'missing',
                diff: `(no report yet; it would list ${report.exports.length} exports)`,
              }
            : { file: shown, kind: 'changed', diff: shortDiff(before, text) },
        );
      }
    });
  }
  for (const file of existingReports(root)) {
    if (expected.has(file)) continue;
    const shown = rel(root, file);
    if (mode === 'update') {
      rmSync(file);
      result.written.push(`${shown} (removed)`);
    } else {
      result.differences.push({
        file: shown,
        kind: 'stale',
        diff: 'no export entry of the package has this report any more',
      });
    }
  }
  return result;
}

/** @param {string} root */
function existingReports(root) {
  const packagesDir = join(root, 'packages');
  if (!existsSync(packagesDir)) return [];
  return readdirSync(packagesDir)
    .sort(compareNames)
    .flatMap((dir) => {
      const apiDir = join(packagesDir, dir, REPORT_DIR);
      if (!existsSync(apiDir)) return [];
      return readdirSync(apiDir)
        .filter((f) => f.endsWith(REPORT_SUFFIX))
        .sort(compareNames)
        .map((f) => join(apiDir, f));
    });
}

/** @param {string} root @param {string} file */
function rel(root, file) {
  return relative(root, file).split(sep).join('/');
}
