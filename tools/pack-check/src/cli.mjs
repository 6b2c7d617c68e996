#!/usr/bin/env node
// Usage: prx-pack-check [workspace-root] [--concurrency=2] [--only=event,storage] [--npm-cache=DIR] [--keep]
//
// Proves every publishable package (packages/*, not "private") installs and imports on its own.
// It does not build: run `pnpm build` first (`pnpm check:packages` at the root does both).
//  1. `pnpm pack` each package into a temporary directory and fail when the packed package.json
//     still has a `workspace:` or `catalog:` specifier;
//  2. per package, in an empty project under os.tmpdir() (no node_modules above it), one
//     `npm install` of its tarball and those of its transitive @prx-voice/* dependencies, the rest
//     from the registry through npm's cache (shared by every install and run; --npm-cache to
//     choose it); optional peer dependencies are not installed;
//  3. check that exactly that @prx-voice/* set got installed, then import every entry of the
//     exports map but ./package.json with plain `node` (default conditions), require at least one
//     export, and check that the `types` files the entry names exist.
// Prints one line per package with timings and a summary; exits 1 when any package failed.
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  SCOPE,
  exportEntries,
  internalClosure,
  missingPackage,
  optionalPeers,
  tail,
  unresolvedSpecifiers,
} from './manifest.mjs';

/** @typedef {import('./manifest.mjs').Manifest} Manifest */
/** @typedef {{ dir: string, name: string, manifest: Manifest, tarball?: string, error?: string }} Pkg */

const IMPORT = `const m = await import(process.argv[1]);
const n = Object.keys(m).length;
if (n === 0) { console.error('the module has no exports'); process.exit(1); }
console.log(n);`;

const env = { ...process.env };
delete env.NODE_OPTIONS;
delete env.NODE_PATH;

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    concurrency: { type: 'string', default: '2' },
    only: { type: 'string' },
    'npm-cache': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const root = resolve(positionals[0] ?? '.');
const concurrency = Math.max(1, Number(opts.concurrency) || 1);
const only = opts.only?.split(',').map((s) => s.replace(SCOPE, ''));
const seconds = (/** @type {number} */ since) => `${((Date.now() - since) / 1000).toFixed(1)}s`;

/**
 * @param {string} cmd @param {string[]} args @param {string} cwd @param {number} [timeout]
 * @returns {Promise<{ code: number, stdout: string, stderr: string }>}
 */
function run(cmd, args, cwd, timeout = 600_000) {
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd, env, timeout, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('error', (e) => {
      done({ code: -1, stdout, stderr: `${stderr}\n${e.message}` });
    });
    child.on('close', (code, signal) => {
      done({
        code: code ?? -1,
        stdout,
        stderr: signal ? `${stderr}\nkilled by ${signal}` : stderr,
      });
    });
  });
}

/** @param {Pkg} pkg @param {string} dest */
async function pack(pkg, dest) {
  mkdirSync(dest, { recursive: true });
  const r = await run(
    'pnpm',
    ['pack', '--pack-destination', dest],
    join(root, 'packages', pkg.dir),
  );
  if (r.code !== 0) throw new Error(`pnpm pack failed:\n${tail(r.stderr + r.stdout)}`);
  const file = readdirSync(dest).find((f) => f.endsWith('.tgz'));
  if (file === undefined) throw new Error(`pnpm pack wrote no tarball into ${dest}`);
  const tarball = join(dest, file);
  const t = await run('tar', ['-xzOf', tarball, 'package/package.json'], dest);
  if (t.code !== 0) throw new Error(`cannot read package.json from ${tarball}:\n${tail(t.stderr)}`);
  const parsed = /** @type {unknown} */ (JSON.parse(t.stdout));
  const manifest = /** @type {Manifest} */ (parsed);
  const left = unresolvedSpecifiers(manifest);
  if (left.length > 0) throw new Error(`packed package.json still has ${left.join(', ')}`);
  return { tarball, manifest };
}

/**
 * @param {Pkg} pkg @param {Map<string, Pkg>} byName @param {string} work
 * @returns {Promise<string>} the detail of a passing check; throws the reason of a failure
 */
async function check(pkg, byName, work) {
  if (pkg.error !== undefined) throw new Error(pkg.error);
  const closure = internalClosure(
    pkg.name,
    new Map([...byName].map(([name, p]) => [name, p.manifest])),
  );
  const tarballs = closure.map((name) => {
    const dep = byName.get(name);
    if (dep?.tarball === undefined) throw new Error(`its dependency ${name} failed to pack`);
    return dep.tarball;
  });
  const dir = join(work, 'install', pkg.dir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"type":"module","private":true}\n');
  const cache = opts['npm-cache'] === undefined ? [] : ['--cache', resolve(opts['npm-cache'])];
  const flags = ['--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...cache];
  const started = Date.now();
  const npm = await run('npm', ['install', ...flags, ...tarballs], dir);
  if (npm.code !== 0) throw new Error(`npm install failed:\n${tail(npm.stderr + npm.stdout)}`);
  const installTime = seconds(started);

  const scopeDir = join(dir, 'node_modules', SCOPE.slice(0, -1));
  const installed = readdirSync(scopeDir).map((n) => SCOPE + n);
  if (installed.sort().join() !== closure.join()) {
    throw new Error(`installed ${installed.join(', ')}; expected exactly ${closure.join(', ')}`);
  }

  const entries = [];
  const problems = [];
  const ownPeers = optionalPeers(pkg.manifest);
  /** Entries that need one of the package's optional peers: imported again once it is installed. */
  const needing = [];
  const importEntry = async (/** @type {{ specifier: string, subpath: string }} */ entry) => {
    const r = await run(
      process.execPath,
      ['--input-type=module', '-e', IMPORT, entry.specifier],
      dir,
    );
    const count = r.stdout.trim();
    return { r, label: `${entry.subpath} (${count} export${count === '1' ? '' : 's'})` };
  };
  for (const entry of exportEntries(pkg.manifest)) {
    const { r, label } = await importEntry(entry);
    const missing = r.code === 0 ? undefined : missingPackage(r.stderr);
    if (missing !== undefined && ownPeers.includes(missing)) needing.push({ entry, peer: missing });
    else if (r.code !== 0) problems.push(`import('${entry.specifier}') failed:\n${tail(r.stderr)}`);
    else entries.push(label);
    for (const types of entry.types) {
      if (!existsSync(join(dir, 'node_modules', pkg.name, types))) {
        problems.push(
          `${entry.specifier}: its types file ${types} is not in the installed package`,
        );
      }
    }
  }
  if (needing.length > 0 && problems.length === 0) {
    // An entry for an optional driver: it must work once that driver is installed.
    const peers = [...new Set(needing.map((n) => n.peer))];
    const specs = peers.map((p) => `${p}@${pkg.manifest.peerDependencies?.[p] ?? 'latest'}`);
    const add = await run('npm', ['install', ...flags, '--no-save', ...specs], dir);
    if (add.code !== 0)
      problems.push(`npm install ${specs.join(' ')} failed:\n${tail(add.stderr)}`);
    for (const { entry, peer } of needing) {
      const { r, label } = await importEntry(entry);
      if (r.code !== 0)
        problems.push(`import('${entry.specifier}') with ${peer} failed:\n${tail(r.stderr)}`);
      else entries.push(`${label.slice(0, -1)}, with optional peer ${peer})`);
    }
  }
  if (entries.length === 0 && problems.length === 0) problems.push('no entries to import');
  if (problems.length > 0) throw new Error(problems.join('\n'));

  const peers = [
    ...new Set(closure.flatMap((n) => optionalPeers(byName.get(n)?.manifest ?? { name: n }))),
  ];
  const present = peers.filter((p) => existsSync(join(dir, 'node_modules', p, 'package.json')));
  const absent = peers.filter((p) => !present.includes(p));
  return [
    `install ${installTime}`,
    `${tarballs.length} tarball${tarballs.length === 1 ? '' : 's'}`,
    entries.join(', '),
    ...(absent.length > 0 ? [`optional peers not installed: ${absent.join(', ')}`] : []),
    ...(present.length > 0
      ? [`optional peers installed by other deps: ${present.join(', ')}`]
      : []),
  ].join(' · ');
}

/**
 * @template T, R @param {T[]} items @param {number} n @param {(item: T) => Promise<R>} fn
 * @returns {Promise<R[]>}
 */
async function pool(items, n, fn) {
  /** @type {R[]} */
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(/** @type {T} */ (items[i]));
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return results;
}

async function main() {
  const t0 = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'prx-pack-check-'));
  try {
    for (let d = dirname(work); ; d = dirname(d)) {
      if (existsSync(join(d, 'node_modules'))) {
        throw new Error(`${join(d, 'node_modules')} would be visible to the installs in ${work}`);
      }
      if (dirname(d) === d) break;
    }
    /** @type {Pkg[]} */
    const all = readdirSync(join(root, 'packages'), { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(join(root, 'packages', e.name, 'package.json')))
      .map((e) => {
        const file = join(root, 'packages', e.name, 'package.json');
        const parsed = /** @type {unknown} */ (JSON.parse(readFileSync(file, 'utf8')));
        const manifest = /** @type {Manifest} */ (parsed);
        return { dir: e.name, name: manifest.name, manifest };
      })
      .filter((p) => p.manifest.private !== true);
    if (all.length === 0) throw new Error(`no publishable package under ${join(root, 'packages')}`);

    const packStart = Date.now();
    for (const pkg of all) {
      try {
        Object.assign(pkg, await pack(pkg, join(work, 'tarballs', pkg.dir)));
      } catch (e) {
        pkg.error = e instanceof Error ? e.message : String(e);
      }
    }
    console.log(`pack-check: packed ${all.length} packages in ${seconds(packStart)} (${work})`);

    const byName = new Map(all.map((p) => [p.name, p]));
    const todo = only === undefined ? all : all.filter((p) => only.includes(p.dir));
    const width = Math.max(...todo.map((p) => p.name.length));
    const results = await pool(todo, concurrency, async (pkg) => {
      const started = Date.now();
      try {
        const detail = await check(pkg, byName, work);
        console.log(
          `ok      ${pkg.name.padEnd(width)}  ${seconds(started).padStart(6)}  ${detail}`,
        );
        return { pkg, ok: true };
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        console.log(`FAILED  ${pkg.name.padEnd(width)}  ${seconds(started).padStart(6)}`);
        console.log(reason.replace(/^/gm, '        '));
        return { pkg, ok: false };
      } finally {
        if (!opts.keep) await rm(join(work, 'install', pkg.dir), { recursive: true, force: true });
      }
    });
    const failed = results.filter((r) => !r.ok).map((r) => r.pkg.name);
    console.log(
      `pack-check: ${results.length} packages, ${results.length - failed.length} ok, ` +
        `${failed.length} failed${failed.length > 0 ? ` (${failed.join(', ')})` : ''} ` +
        `in ${seconds(t0)}`,
    );
    if (failed.length > 0) process.exitCode = 1;
  } finally {
    if (opts.keep) console.log(`pack-check: kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main().catch((/** @type {unknown} */ e) => {
  console.error(`pack-check: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 2;
});
