// Pure helpers over package.json manifests (as packed into a tarball); no I/O.

/**
 * @typedef {{
 *   name: string, version?: string, private?: boolean, types?: string, exports?: unknown,
 *   dependencies?: Record<string, string>, devDependencies?: Record<string, string>,
 *   peerDependencies?: Record<string, string>, optionalDependencies?: Record<string, string>,
 *   peerDependenciesMeta?: Record<string, { optional?: boolean }>,
 * }} Manifest
 * @typedef {{ subpath: string, specifier: string, types: string[] }} Entry
 */

export const SCOPE = '@prx-voice/';
const DEP_FIELDS = /** @type {const} */ ([
  'dependencies',
  'devDependencies',
  'peerDependencies',
  'optionalDependencies',
]);

/**
 * The dependency specifiers pnpm should have rewritten when packing (`workspace:`, `catalog:`),
 * as `field.name: spec`.
 * @param {Manifest} manifest @returns {string[]}
 */
export function unresolvedSpecifiers(manifest) {
  return DEP_FIELDS.flatMap((field) =>
    Object.entries(manifest[field] ?? {})
      .filter(([, spec]) => /^(?:workspace|catalog):/.test(spec))
      .map(([name, spec]) => `${field}.${name}: ${spec}`),
  );
}

/** @param {Manifest} manifest @returns {string[]} peers marked optional in peerDependenciesMeta */
export function optionalPeers(manifest) {
  return Object.keys(manifest.peerDependencies ?? {}).filter(
    (name) => manifest.peerDependenciesMeta?.[name]?.optional === true,
  );
}

/**
 * What npm installs for a package: dependencies, optionalDependencies and the peers not marked
 * optional.
 * @param {Manifest} manifest @returns {string[]}
 */
export function runtimeDependencies(manifest) {
  const optional = new Set(optionalPeers(manifest));
  return [
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}).filter((n) => !optional.has(n)),
  ];
}

/**
 * The `@prx-voice/*` packages `name` needs at runtime, itself included, transitively, sorted.
 * Throws when one of them is not among `manifests` (not a publishable workspace package).
 * @param {string} name @param {ReadonlyMap<string, Manifest>} manifests @returns {string[]}
 */
export function internalClosure(name, manifests) {
  const seen = new Set([name]);
  const queue = [name];
  for (let from = queue.shift(); from !== undefined; from = queue.shift()) {
    const manifest = manifests.get(from);
    if (manifest === undefined) throw new Error(`${from} is not a publishable workspace package`);
    for (const dep of runtimeDependencies(manifest)) {
      if (!dep.startsWith(SCOPE) || seen.has(dep)) continue;
      if (!manifests.has(dep)) {
        throw new Error(`${dep} (a dependency of ${from}) is not a publishable workspace package`);
      }
      seen.add(dep);
      queue.push(dep);
    }
  }
  return [...seen].sort();
}

/**
 * The entries of the exports map to import: every subpath but `./package.json`, patterns (`*`)
 * and blocked (`null`) ones, each with the `types` files its conditions name. Without `exports`,
 * the package root with the `types` field.
 * @param {Manifest} manifest @returns {Entry[]}
 */
export function exportEntries(manifest) {
  const { exports, name } = manifest;
  if (exports === undefined) {
    return [{ subpath: '.', specifier: name, types: manifest.types ? [manifest.types] : [] }];
  }
  const isMap =
    typeof exports === 'object' &&
    exports !== null &&
    Object.keys(exports).some((k) => k.startsWith('.'));
  /** @type {[string, unknown][]} */
  const subpaths = isMap ? Object.entries(exports) : [['.', exports]];
  return subpaths
    .filter(([sub, target]) => sub !== './package.json' && !sub.includes('*') && target !== null)
    .map(([sub, target]) => ({
      subpath: sub,
      specifier: sub === '.' ? name : `${name}/${sub.replace(/^\.\//, '')}`,
      types: typesTargets(target),
    }));
}

/** @param {unknown} target @returns {string[]} */
function typesTargets(target) {
  if (Array.isArray(target)) return target.flatMap(typesTargets);
  if (typeof target !== 'object' || target === null) return [];
  return Object.entries(target).flatMap(([cond, value]) =>
    cond === 'types' && typeof value === 'string' ? [value] : typesTargets(value),
  );
}

/** The last `n` non-blank lines of `text`. @param {string} text @param {number} [n] */
export function tail(text, n = 12) {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-n)
    .join('\n');
}

/**
 * The package Node could not find, from an import's stderr (`Cannot find package 'x'`), or
 * undefined when the failure was something else.
 * @param {string} stderr @returns {string | undefined}
 */
export function missingPackage(stderr) {
  const m =
    /ERR_MODULE_NOT_FOUND[\s\S]*?Cannot find package '([^']+)'|Cannot find package '([^']+)'[\s\S]*?ERR_MODULE_NOT_FOUND/.exec(
      stderr,
    );
  return m?.[1] ?? m?.[2];
}
