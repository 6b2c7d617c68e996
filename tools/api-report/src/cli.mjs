#!/usr/bin/env node
// Usage: prx-api-report update|check [workspace-root]
//   update: writes packages/<name>/api/<entry>.api.md for every export entry of every package
//   check:  exits 1 and shows what differs when a report is missing, changed or stale
import { resolve } from 'node:path';
import { UPDATE_COMMAND } from './format.mjs';
import { runApiReport } from './run.mjs';

const mode = process.argv[2];
if (mode !== 'update' && mode !== 'check') {
  console.error('usage: prx-api-report update|check [workspace-root]');
  process.exit(2);
}
const started = performance.now();
const result = runApiReport(resolve(process.argv[3] ?? '.'), mode);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
for (const p of result.problems) console.warn(`api-report: warning: ${p}`);
const total = result.reports.reduce((n, r) => n + r.count, 0);
const summary = `${result.reports.length} reports, ${total} exports, ${seconds}s`;

if (mode === 'update') {
  for (const f of result.written) console.log(`wrote ${f}`);
  console.log(`api-report: ${result.written.length} file(s) updated (${summary})`);
} else if (result.differences.length === 0) {
  console.log(`api-report: every API report is up to date (${summary})`);
} else {
  for (const d of result.differences) {
    console.error(`\n${d.file}: ${d.kind}`);
    console.error(d.diff);
  }
  console.error(
    `\napi-report: ${result.differences.length} API report(s) out of date: ` +
      `${result.differences.map((d) => d.file).join(', ')}\n` +
      `If the API change is intended, run \`${UPDATE_COMMAND}\` and commit the reports.`,
  );
  process.exitCode = 1;
}
