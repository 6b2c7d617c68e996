// Part of the build: the fresh embedded cluster new databases are unpacked from (see
// src/db/pglite-template.ts), written to dist/ next to the compiled code.
import { writePGliteTemplate } from '../dist/db/pglite-template.js';

const started = performance.now();
const { file, bytes } = await writePGliteTemplate();
process.stdout.write(
  `pglite template: ${file} (${(bytes / 1e6).toFixed(1)} MB, ${Math.round(performance.now() - started)} ms)\n`,
);
