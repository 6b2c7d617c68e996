import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
/**
 * Starts the PRX Voice server: storage and coordination from configuration,
 * the bootstrap tenant and key, the control app with the session routes, the
 * session WebSocket upgrade, and a drain for shutdown.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { serve } from '@hono/node-server';
import { WebSocketServer } from 'ws';
import {
  attachTwilioStream,
  registerTwilioWebhook,
  TWILIO_STREAM_PATH,
  attachWebSocket,
  createControlApp,
  createControlMetrics,
  createReadiness,
  createSessionManager,
  registerSessionRoutes,
  wsSessionId,
} from '@prx-voice/control';
import type { SessionManager, TwilioSettings } from '@prx-voice/control';
import { AUTO_PROVIDER } from '@prx-voice/core';
import type { Clock, Config, LoadConfigOptions } from '@prx-voice/core';
import { createEventBus, createEventLog } from '@prx-voice/event';
import { createAdmissionService, ensureBootstrap } from '@prx-voice/policy';
import { detectAutoProviders } from './auto-providers.js';
import { serverProviders } from './providers.js';
import { openRuntime } from './runtime.js';
import type { Runtime } from './runtime.js';

/**
 * Twilio is on when `adapters.providers.twilio` names a `tenant` (slug) and an
 * `auth_token` (or `TWILIO_AUTH_TOKEN` is set) and `server.public_url` is set.
 */
export function twilioSettings(
  config: Config,
  env: Readonly<Record<string, string | undefined>>,
): TwilioSettings | undefined {
  const t = config.adapters.providers['twilio'];
  const authToken =
    typeof t?.['auth_token'] === 'string' ? t['auth_token'] : env['TWILIO_AUTH_TOKEN'];
  const tenant = typeof t?.['tenant'] === 'string' ? t['tenant'] : undefined;
  const publicUrl = config.server.public_url;
  if (
    authToken === undefined ||
    authToken === '' ||
    tenant === undefined ||
    publicUrl === undefined
  )
    return undefined;
  return { authToken, tenant, publicUrl };
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
    readonly clock?: Clock;
    readonly log?: (line: string) => void;
  } = {},
): Promise<RunningServer> {
  const rt = await openRuntime({
    ...(opts.load === undefined ? {} : { load: opts.load }),
    ...(opts.clock === undefined ? {} : { clock: opts.clock }),
  });
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { config, clock, ids, repos, storage } = rt;
  await ensureBootstrap({ repos, keys: rt.apiKeys, bootstrapKey: config.auth.bootstrap_api_key });
  const coordinator = storage.coordinator;
  const admission = createAdmissionService({ coordinator, clock });
  const metrics = createControlMetrics();
  const bus = createEventBus();
  const eventLog = createEventLog({
    repos,
    clock,
    onError: (err, f) =>
      log(`event log: ${err.message} (session ${f.sessionId}, attempt ${f.attempt})`),
  });
  const instanceId = config.deploy.instance_id;
  const providers = serverProviders(config, clock);
  const auto = await detectAutoProviders(providers, config);
  const autoKinds = (['asr', 'agent', 'tts', 'vad'] as const).filter(
    (k) => config.adapters[k].provider === AUTO_PROVIDER,
  );
  // Which VAD (and which local engines) `auto` chose, and why.
  if (autoKinds.length > 0) log(`providers (auto): ${auto.notes.join('; ')}`);
  const manager = createSessionManager({
    config,
    clock,
    ids,
    repos,
    admission,
    providers,
    autoProviders: auto,
    // Commands for sessions live on other instances are forwarded over coordination.
    coordinator,
    bus,
    log: eventLog,
    instanceId,
    onSessionStarted: () => metrics.setLiveSessions(manager.liveCount),
    onSessionEnded: (outcome) => {
      metrics.sessionEnded(outcome);
      metrics.setLiveSessions(manager.liveCount);
    },
    onError: (err, context) =>
      log(`${context}: ${err instanceof Error ? err.message : String(err)}`),
  });
  const control = createControlApp({
    config,
    clock,
    ids,
    repos,
    coordinator,
    apiKeys: rt.apiKeys,
    metrics,
    admission,
    instanceId,
    log: {
      error: (fields, message) => log(`${message} ${JSON.stringify(fields)}`),
      warn: (fields, message) => log(`${message} ${JSON.stringify(fields)}`),
    },
    readiness: createReadiness({
      clock,
      probes: {
        database: () => storage.database.ping(),
        coordination: () => coordinator.ping(),
        accepting: () =>
          manager.accepting ? Promise.resolve() : Promise.reject(new Error('draining')),
        // Every kind has a provider whose probe passed and whose breaker is not open.
        providers: () => manager.providerHealth.ready(),
      },
    }),
  });
  registerSessionRoutes(control, {
    manager,
    repos,
    bus,
    log: eventLog,
    publicUrl: config.server.public_url,
  });
  const twilio = twilioSettings(config, process.env);
  if (twilio !== undefined) registerTwilioWebhook(control, { manager, repos, twilio });
  const tls = config.server.tls;
  const server = serve({
    fetch: control.app.fetch,
    port: config.server.port,
    hostname: config.server.host,
    // With `server.tls`, HTTPS (and so wss:// for the WebSockets upgraded on it).
    ...(tls === undefined
      ? {}
      : {
          createServer: createHttpsServer,
          serverOptions: { cert: readFileSync(tls.cert_file), key: readFileSync(tls.key_file) },
        }),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.limits.max_ws_frame_bytes * 2,
  });
  (server as HttpServer).on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (twilio !== undefined && url.pathname === TWILIO_STREAM_PATH) {
      wss.handleUpgrade(req, socket, head, (ws) => {
        attachTwilioStream(
          {
            manager,
            clock,
            twilio,
            engineRates: { input: 16000, output: 24000 },
            onError: (err) => log(`twilio: ${err instanceof Error ? err.message : String(err)}`),
          },
          ws,
        );
      });
      return;
    }
    if (wsSessionId(url.pathname) === undefined) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      void attachWebSocket(
        {
          manager,
          authenticator: control.authenticator,
          clock,
          maxFrameBytes: config.limits.max_ws_frame_bytes,
          engineRates: { input: 16000, output: 24000 },
          onError: (err) => log(`websocket: ${err instanceof Error ? err.message : String(err)}`),
        },
        ws,
        { url, headers: req.headers },
      );
    });
  });
  await manager.start();
  manager.providerHealth.start();
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `${tls === undefined ? 'http' : 'https'}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`,
    runtime: rt,
    manager,
    async shutdown() {
      const result = await manager.drain(config.server.shutdown_timeout_ms);
      for (const client of wss.clients) client.close(1001, 'server shutting down');
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
      await eventLog.close();
      bus.close();
      await rt.close();
      return result;
    },
  };
}
export { runCli } from './cli.js';
export type { CliIo } from './cli.js';
