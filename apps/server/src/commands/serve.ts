import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { loadConfig } from '@prx-voice/core';
import type { Config } from '@prx-voice/core';
import type { CliIo } from '../cli.js';
import { startServer } from '../server.js';

/** How many workers `server.workers` asks for on this host (0: one per core). */
export function workerCount(configured: number, cores = availableParallelism()): number {
  return configured === 0 ? cores : configured;
}

/** Resolves on the first SIGTERM or SIGINT (or `also`), saying which. */
function untilStopped(also?: (stop: (why: string) => void) => void): Promise<string> {
  return new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
    also?.(resolve);
  });
}

/**
 * `prx-voice serve`: runs until SIGTERM/SIGINT, then drains and exits 0. With
 * `server.workers` above 1, this process supervises that many workers, each serving.
 */
export async function serveCommand(io: CliIo): Promise<number> {
  // The supervisor's choice needs the configuration; loaded once, the server starts from it.
  const loaded = cluster.isPrimary ? loadConfig(io.load) : undefined;
  if (loaded !== undefined) {
    const count = workerCount(loaded.server.workers);
    if (count > 1) return superviseCommand(io, loaded, count);
  }
  const worker = cluster.isWorker;
  const server = await startServer({
    ...(io.load === undefined ? {} : { load: io.load }),
    ...(loaded === undefined ? {} : { config: loaded }),
    log: io.err,
    worker,
  });
  const { config, storage } = server.runtime;
  if (worker) {
    (await import('../workers/worker.js')).announceReady(config.deploy.instance_id, server.url);
  } else {
    io.out(
      `prx-voice listening on ${server.url} (${storage.database.kind}, ${storage.coordinator.kind} coordination, ${storage.objectStore.kind} objects)`,
    );
    greet(io, config, server.url);
  }
  // A worker whose supervisor is gone drains and stops too.
  const signal = await untilStopped((stop) => {
    if (worker) process.once('disconnect', () => stop('supervisor gone'));
  });
  io.out(`${signal}: draining (up to ${config.server.shutdown_timeout_ms} ms)`);
  const result = await server.shutdown();
  io.out(
    `stopped: ${result.ended} sessions ended on their own, ${result.forced} ended with reason shutdown`,
  );
  // A worker's channel to its supervisor would keep it running.
  if (worker && process.connected) process.disconnect();
  return 0;
}

function greet(io: CliIo, config: Config, url: string): void {
  io.out(`playground: ${url}/ (operators' console: ${url}/console)`);
  const bootstrap = config.auth.bootstrap_api_key;
  if (bootstrap === undefined)
    io.out('no bootstrap key configured: set PRX_VOICE_AUTH__BOOTSTRAP_API_KEY=pk_… to create one');
  // Enough of the key to recognise it, never the whole secret.
  else io.out(`sign in with the bootstrap key (${bootstrap.slice(0, 10)}…)`);
}

/** The supervisor of `count` workers: the port is its, the sessions theirs. */
async function superviseCommand(io: CliIo, config: Config, count: number): Promise<number> {
  const { startSupervisor } = await import('../workers/supervisor.js');
  const supervisor = startSupervisor({
    count,
    instanceBase: config.deploy.instance_id,
    listen: { host: config.server.host, port: config.server.port },
    log: (line) => io.err(`supervisor: ${line}`),
  });
  let ready;
  try {
    ready = await supervisor.ready;
  } catch (error) {
    io.err(`prx-voice: ${error instanceof Error ? error.message : String(error)}`);
    await supervisor.stop();
    return 1;
  }
  io.out(
    `prx-voice listening on ${ready.url} (${count} workers: ${ready.instances.join(', ')}; postgres, redis coordination)`,
  );
  greet(io, config, ready.url);
  const signal = await untilStopped();
  io.out(
    `${signal}: draining ${count} workers (each up to ${config.server.shutdown_timeout_ms} ms)`,
  );
  await supervisor.stop();
  io.out(
    `stopped: every worker drained (connections dealt to each: ${supervisor.dealt.join(', ')}; ${supervisor.handedOff} handed to the worker holding their session)`,
  );
  return 0;
}
