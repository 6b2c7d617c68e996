/**
 * Bundles the built server (`dist/main.js` and what it imports) into `dist/bundle/`: the
 * workspace's packages and the pure-JavaScript libraries of many small modules (kysely,
 * zod, hono, …) become a few chunks, so a start loads tens of files instead of about a
 * thousand (module loading was most of a start's work on the main thread). Lazily
 * imported code (commands, drivers, WebRTC) stays in chunks of its own, loaded when used.
 * Every other package stays external — native addons, WebAssembly, worker scripts and
 * large SDKs load from `node_modules` as before — and must be a dependency of this
 * package, so it resolves from the bundle's directory; the build says which is not.
 * `import.meta.url` is the bundle's own file: what our modules find through it they
 * resolve as packages (dependencies of this package), so the bundle runs wherever the
 * package is installed — in the workspace, or laid out by `pnpm deploy` (the image).
 */
import { readFile, rm } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const outdir = join(root, 'dist', 'bundle');
/**
 * Third-party packages bundled in (with what they import): plain JavaScript, no files of
 * their own to find at run time.
 */
const INLINE = new Set([
  'kysely',
  'zod',
  'jose',
  'hono',
  '@hono/node-server',
  'xstate',
  'yaml',
  'cloudevents',
  'eventsource-parser',
]);
const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
const declared = new Set([
  ...Object.keys(manifest.dependencies ?? {}),
  ...Object.keys(manifest.optionalDependencies ?? {}),
]);
const packageOf = (spec) =>
  spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
const undeclared = new Set();

/** @type {import('esbuild').Plugin} */
const placement = {
  name: 'prx-voice-placement',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (isBuiltin(args.path)) return { external: true };
      const name = packageOf(args.path);
      if (name.startsWith('@prx-voice/') || INLINE.has(name)) return undefined;
      // What a bundled library imports is bundled with it.
      if (args.importer.includes('/node_modules/')) return undefined;
      if (!declared.has(name))
        undeclared.add(`${name} (imported by ${relative(root, args.importer)})`);
      return { external: true };
    });
  },
};

await rm(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: [join(root, 'dist', 'main.js')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // The CommonJS libraries bundled in call `require` for Node's own modules.
  banner: {
    js: "import { createRequire as __prxCreateRequire } from 'node:module'; const require = __prxCreateRequire(import.meta.url);",
  },
  plugins: [placement],
  metafile: true,
  logLevel: 'warning',
});
if (undeclared.size > 0) {
  console.error(
    `bundle: these packages stay external but are not dependencies of @prx-voice/server, so they would not resolve from dist/bundle:\n  ${[...undeclared].join('\n  ')}`,
  );
  await rm(outdir, { recursive: true, force: true });
  process.exit(1);
}
const outputs = Object.keys(result.metafile.outputs).length;
const inputs = Object.keys(result.metafile.inputs).length;
console.log(`bundle: ${inputs} modules in ${outputs} files (dist/bundle)`);
