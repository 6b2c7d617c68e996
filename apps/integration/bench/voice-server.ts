/**
 * Child-process entry of the load bench: the real PRX Voice server
 * (`startServer`, configured by the `PRX_VOICE_*` variables the bench sets:
 * embedded PGlite, in-process coordination, mock providers), reporting its URL
 * and the settings behind the mock delays the bench subtracts. With
 * `PRX_VOICE_SERVER__WORKERS` (PostgreSQL and Redis), it is the supervisor of
 * that many workers running this same file, as `prx-voice serve` runs them; its
 * figures are those of all of them.
 */
import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { announceReady, startServer, startSupervisor } from '@prx-voice/server';
import { serveParent } from './child-ipc.js';
import type { ChildMessage, ChildStats, ParentMessage } from './child-ipc.js';

const log = (line: string): void => {
  process.stderr.write(`voice server: ${line}\n`);
};
const configured = Number(process.env['PRX_VOICE_SERVER__WORKERS'] ?? '1');
const workers = configured === 0 ? availableParallelism() : configured;

if (cluster.isPrimary && workers > 1) await supervise(workers);
else await serve();

async function serve(): Promise<void> {
  const server = await startServer({
    load: { cwd: process.cwd(), env: process.env },
    log,
    worker: cluster.isWorker,
  });
  const { vad } = server.runtime.config.adapters;
  if (cluster.isWorker) {
    announceReady(server.runtime.config.deploy.instance_id, server.url);
    process.once('SIGTERM', () => void server.shutdown().finally(() => process.disconnect()));
  }
  serveParent({
    url: server.url,
    info: {
      vad_provider: vad.provider,
      vad_min_silence_ms: vad.min_silence_ms,
      vad_silero_workers: vad.silero_workers,
      endpoint_min_delay_ms: server.runtime.config.session.endpointing.min_delay_ms,
      workers: 1,
    },
    stop: async () => {
      await server.shutdown();
    },
  });
}

/** One figure of a worker, asked over its IPC channel (it runs `serveParent` too). */
function statsOf(
  worker: Worker,
  request: Extract<ParentMessage, { type: 'stats' }>,
): Promise<ChildStats> {
  return new Promise((resolve) => {
    const onMessage = (message: ChildMessage): void => {
      if (message.type !== 'stats') return;
      worker.off('message', onMessage);
      resolve(message);
    };
    worker.on('message', onMessage);
    worker.send(request);
  });
}

async function supervise(count: number): Promise<void> {
  const infos: Record<string, string | number>[] = [];
  cluster.on('message', (_worker, message: ChildMessage) => {
    if (message.type === 'ready') infos.push({ ...message.info });
  });
  const supervisor = startSupervisor({
    count,
    instanceBase: 'bench',
    log,
    listen: {
      host: process.env['PRX_VOICE_SERVER__HOST'] ?? '127.0.0.1',
      port: Number(process.env['PRX_VOICE_SERVER__PORT'] ?? '0'),
    },
  });
  const { url } = await supervisor.ready;
  serveParent({
    url,
    info: { ...infos[0], workers: count },
    others: (request) =>
      Promise.all([...supervisor.workers().values()].map((w) => statsOf(w, request))),
    stop: () => supervisor.stop(),
  });
}
