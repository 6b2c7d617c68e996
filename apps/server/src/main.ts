#!/usr/bin/env node
/** The `prx-voice` binary. */
import { runCli } from './cli.js';

const code = await runCli(
  process.argv.slice(2),
  {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  },
  // Loaded when asked for: the server's code loads while its storage opens (see startServer).
  async (io) => (await import('./commands/serve.js')).serveCommand(io),
);
process.exitCode = code;
