#!/usr/bin/env node
/** The `prx-voice` binary. */
import { runCli } from './cli.js';
import { serveCommand } from './commands/serve.js';

const code = await runCli(
  process.argv.slice(2),
  {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  },
  serveCommand,
);
process.exitCode = code;
