import type { CliIo } from '../cli.js';
import { startServer } from '../server.js';

/** `prx-voice serve`: runs until SIGTERM/SIGINT, then drains and exits 0. */
export async function serveCommand(io: CliIo): Promise<number> {
  const server = await startServer({
    ...(io.load === undefined ? {} : { load: io.load }),
    log: io.err,
  });
  const { config, storage } = server.runtime;
  io.out(
    `prx-voice listening on ${server.url} (${storage.database.kind}, ${storage.coordinator.kind} coordination, ${storage.objectStore.kind} objects)`,
  );
  io.out(`playground: ${server.url}/ (operators' console: ${server.url}/console)`);
  const bootstrap = config.auth.bootstrap_api_key;
  if (bootstrap === undefined)
    io.out('no bootstrap key configured: set PRX_VOICE_AUTH__BOOTSTRAP_API_KEY=pk_… to create one');
  // Enough of the key to recognise it, never the whole secret.
  else io.out(`sign in with the bootstrap key (${bootstrap.slice(0, 10)}…)`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      io.out(`${signal}: draining (up to ${config.server.shutdown_timeout_ms} ms)`);
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  const result = await server.shutdown();
  io.out(
    `stopped: ${result.ended} sessions ended on their own, ${result.forced} ended with reason shutdown`,
  );
  return 0;
}
