/**
 * Starts the PRX Voice server: configuration and storage (the runtime), the
 * bootstrap tenant and key, the providers this machine offers, the control
 * plane composed by `@prx-voice/control`, one HTTP(S) listener with its
 * WebSocket upgrades, and a drain for shutdown.
 */
import { readFileSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { SessionManager } from '@prx-voice/control';
import { AUTO_PROVIDER, loadConfig, systemClock } from '@prx-voice/core';
import type { Clock, Config, LoadConfigOptions } from '@prx-voice/core';
import { ensureBootstrap } from '@prx-voice/policy';
import { startEmbeddedMaintenance } from '@prx-voice/storage';
import { openRuntime } from './runtime.js';
import type { Runtime } from './runtime.js';

/** Where `@prx-voice/playground` built the playground and console (served at `/` and `/console`). */
export function webAssetsDir(): string {
  const manifest = createRequire(import.meta.url).resolve('@prx-voice/playground/package.json');
  return join(dirname(manifest), 'dist', 'web');
}

/** A running server. */
export interface RunningServer {
  /** `http://host:port` it listens on. */
  readonly url: string;
  readonly runtime: Runtime;
  readonly manager: SessionManager;
  /** Stops accepting, lets live sessions finish up to the configured timeout, ends the rest, closes everything. */
  shutdown(): Promise<{ ended: number; forced: number }>;
}

/** Starts a server; `port` 0 picks a free one. */
export async function startServer(
  opts: {
    readonly load?: LoadConfigOptions;
    /** The configuration, when the caller has loaded it already (`load` is then not read again). */
    readonly config?: Config;
    readonly clock?: Clock;
    /**
     * Where log lines go (default stderr); what they hold is set by `logging.*` (level,
     * json or pretty, redaction).
     */
    readonly log?: (line: string) => void;
    /**
     * This process is one of the supervisor's workers (`server.workers`): connections for
     * sessions a sibling holds are handed to it, and handed ones served here.
     */
    readonly worker?: boolean;
  } = {},
): Promise<RunningServer> {
  const config = opts.config ?? loadConfig(opts.load);
  const clock = opts.clock ?? systemClock;
  // Most of a start is three independent waits, overlapped: storage opening (the embedded
  // database in its own worker thread), the rest of the server's code loading on this
  // thread, and the probe of what this machine offers (local engines, the VAD model).
  // How long each part of the start took (ms), logged once ready.
  const took: Record<string, number> = {};
  const began = performance.now();
  const timed = <T>(part: string, p: Promise<T>): Promise<T> =>
    p.finally(() => {
      took[part] = Math.round(performance.now() - began);
    });
  const opening = timed(
    'storage_ms',
    openRuntime({
      config,
      clock,
      ...(opts.load === undefined ? {} : { load: opts.load }),
    }),
  );
  const detecting = timed(
    'providers_ms',
    import('@prx-voice/adapter').then(async (adapter) => {
      const providers = adapter.configuredProviders(config, clock);
      return { providers, auto: await adapter.detectAutoProviders(providers, config) };
    }),
  );
  const loading = timed(
    'code_ms',
    Promise.all([
      import('@prx-voice/control'),
      import('@hono/node-server'),
      import('@prx-voice/observe'),
      opts.worker === true ? import('./workers/worker.js') : undefined,
    ]),
  );
  const [opened, detected, loaded] = await Promise.allSettled([opening, detecting, loading]);
  if (opened.status === 'rejected') throw opened.reason;
  const rt = opened.value;
  if (detected.status === 'rejected' || loaded.status === 'rejected') {
    await rt.close();
    throw detected.status === 'rejected'
      ? detected.reason
      : (loaded as PromiseRejectedResult).reason;
  }
  const { providers, auto } = detected.value;
  const [{ createVoiceControl }, { createAdaptorServer }, { createLogger }, workerSide] =
    loaded.value;
  const { ids, repos, storage } = rt;
  const sink = opts.log;
  const logger = createLogger(config.logging, {
    ...(sink === undefined ? {} : { destination: { write: (line) => sink(line.trimEnd()) } }),
    base: {
      instance_id: config.deploy.instance_id,
      ...(config.deploy.region === undefined ? {} : { region: config.deploy.region }),
    },
  });
  try {
    await ensureBootstrap({ repos, keys: rt.apiKeys, bootstrapKey: config.auth.bootstrap_api_key });
  } catch (error) {
    await rt.close();
    throw error;
  }
  const autoKinds = (['asr', 'agent', 'tts', 'vad'] as const).filter(
    (k) => config.adapters[k].provider === AUTO_PROVIDER,
  );
  // Which VAD (and which local engines) `auto` chose, and why.
  if (autoKinds.length > 0) logger.info({ notes: auto.notes }, 'providers (auto)');
  const voice = createVoiceControl({
    config,
    clock,
    ids,
    repos,
    coordinator: storage.coordinator,
    objectStore: storage.objectStore,
    apiKeys: rt.apiKeys,
    providers,
    autoProviders: auto,
    pingDatabase: () => storage.database.ping(),
    soleDatabaseUser: storage.database.kind === 'pglite',
    env: process.env,
    logger,
    webAssetsDir: webAssetsDir(),
    ...(workerSide === undefined
      ? {}
      : {
          socketHandoff: workerSide.workerHandoff(config.deploy.instance_id),
          hostMetrics: workerSide.workerMetrics(config.deploy.instance_id),
        }),
  });
  const { control, manager } = voice;
  const tls = config.server.tls;
  const requestTimeout = config.server.request_timeout_ms;
  // Bounds receiving a request (headers and body), not answering it: SSE streams and upgraded
  // WebSockets stay open. Node checks the bounds every `connectionsCheckingInterval`.
  const timeouts = {
    requestTimeout,
    headersTimeout: requestTimeout,
    connectionsCheckingInterval: Math.min(1_000, Math.ceil(requestTimeout / 10)),
  };
  const server = createAdaptorServer({
    fetch:
      workerSide === undefined ? control.app.fetch : workerSide.closingAfterPost(control.app.fetch),
    serverOptions: timeouts,
    // With `server.tls`, HTTPS (and so wss:// for the WebSockets upgraded on it).
    ...(tls === undefined
      ? {}
      : {
          createServer: createHttpsServer,
          serverOptions: {
            ...timeouts,
            cert: readFileSync(tls.cert_file),
            key: readFileSync(tls.key_file),
          },
        }),
  });
  // A worker's connections come from its supervisor, which owns the port: it listens only
  // on a private loopback port of its own (Node tracks connections, and so enforces the
  // request timeouts, of a listening server).
  const listen =
    workerSide === undefined
      ? { port: config.server.port, host: config.server.host }
      : { port: 0, host: '127.0.0.1', exclusive: true };
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
    server.listen(listen);
  });
  (server as HttpServer).on('upgrade', control.upgrade);
  const stopReceiving = workerSide?.receiveConnections(server, () => manager.liveCount);
  took['listening_ms'] = Math.round(performance.now() - began);
  await voice.start();
  // The embedded database has no autovacuum: its tables are vacuumed and analyzed as they grow.
  const maintenance =
    storage.database.kind === 'pglite' && config.storage.embedded_maintenance_ms > 0
      ? startEmbeddedMaintenance({
          db: storage.database.db,
          clock,
          intervalMs: config.storage.embedded_maintenance_ms,
          onRan: (tables) =>
            logger.info({ tables }, 'embedded database: tables vacuumed and analyzed'),
          onError: (error) =>
            logger.warn({ error: String(error) }, 'embedded database: maintenance failed'),
        })
      : undefined;
  took['ready_ms'] = Math.round(performance.now() - began);
  // From the process's own start: what loaded before this function ran counts too.
  took['since_process_start_ms'] = Math.round(performance.now());
  logger.info({ start: took }, 'started');
  // A worker is reached at its supervisor's address (its configured one).
  const address: AddressInfo =
    workerSide === undefined
      ? (server.address() as AddressInfo)
      : {
          address: config.server.host,
          port: config.server.port,
          family: config.server.host.includes(':') ? 'IPv6' : 'IPv4',
        };
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `${tls === undefined ? 'http' : 'https'}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`,
    runtime: rt,
    manager,
    async shutdown() {
      // A draining worker still takes what is dealt to it (new sessions are refused as draining).
      const result = await voice.shutdown();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
      stopReceiving?.();
      await maintenance?.stop();
      await rt.close();
      return result;
    },
  };
}
export { runCli } from './cli.js';
export { startSupervisor } from './workers/supervisor.js';
export type { Supervisor, SupervisorOptions } from './workers/supervisor.js';
export { announceReady } from './workers/worker.js';
export type { CliIo } from './cli.js';
