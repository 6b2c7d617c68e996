// Builds the pages into dist/web: the page scripts (DOM), the audio worklets (their own
// global scope) and the static HTML and CSS, side by side, as the server serves them.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const project of ['tsconfig.build.json', 'src/worklet/tsconfig.json']) {
  execFileSync(process.execPath, [tsc, '-p', join(root, project)], { stdio: 'inherit' });
}
for (const name of readdirSync(join(root, 'src', 'static'))) {
  copyFileSync(join(root, 'src', 'static', name), join(out, name));
}
