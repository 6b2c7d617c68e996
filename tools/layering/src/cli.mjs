#!/usr/bin/env node
// Usage: prx-layering [workspace-root]. Exits 1 and lists each violation when the layering is broken.
import { resolve } from 'node:path';
import { checkLayering } from './check.mjs';

const root = resolve(process.argv[2] ?? '.');
const violations = checkLayering(root);
if (violations.length === 0) {
  console.log('layering: every package imports only what its row of the architecture table allows');
} else {
  for (const v of violations)
    console.error(`${v.file}${v.line === undefined ? '' : `:${v.line}`}: ${v.message}`);
  console.error(`layering: ${violations.length} violation${violations.length === 1 ? '' : 's'}`);
  process.exitCode = 1;
}
