/**
 * The server as `pnpm start` and the package's `bin` run it: the bundle `pnpm build`
 * writes (`apps/server/dist/bundle/main.js`), not the sources the other suites run. What
 * bundling could break is checked over the wire: files found from a module's own location
 * (the embedded database's template and worker, the Silero model and its worker, the
 * pages' assets), the lazily loaded command, and a voice session end to end — on a new
 * data directory, then again on the same one; and the same bundle where `pnpm deploy` lays
 * the package out (what the Docker image copies), started as the package's `bin`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { api, mockServerEnv } from './support/cluster.ts';
import { BUILT_MAIN, useServerProcesses } from './support/server-process.ts';
import type { ServerProcess, ServerProcessOptions } from './support/server-process.ts';
import { connectWs } from './support/ws-client.ts';

const KEY = 'pk_integration_built_key_0123456789abcd';
const servers = useServerProcesses('prx-built-');

function start(opts: ServerProcessOptions = { built: true }): Promise<ServerProcess> {
  return servers.start(
    mockServerEnv(KEY, 15_000, {
      PRX_VOICE_STORAGE__DATA_DIR: 'data',
      PRX_VOICE_ADAPTERS__VAD__PROVIDER: 'silero',
    }),
    opts,
  );
}

/** Page, readiness and a turn; then a clean stop. */
async function serveOnce(server: ServerProcess): Promise<void> {
  const ready = await fetch(`${server.url}/health/ready`);
  expect(ready.status).toBe(200);
  const page = await fetch(`${server.url}/`);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toMatch(/text\/html/);
  await talk(server);
  server.child.kill('SIGTERM');
  expect((await server.exited).code).toBe(0);
}

/** One typed turn over the session WebSocket, answered by the mock agent. */
async function talk(server: ServerProcess): Promise<void> {
  const created = await api(server, KEY, 'POST', '/sessions', {});
  expect(created.status).toBe(201);
  const id = created.json.data.id;
  // The Silero model and its worker, found from the adapter's own files.
  expect(created.json.data['providers']).toMatchObject({ vad: 'silero' });
  const client = await connectWs(
    `${server.url.replace('http', 'ws')}/api/v1/ws/${id}?token=${KEY}`,
  );
  client.ws.send(JSON.stringify({ type: 'input.text', text: 'hello from the bundle' }));
  const done = await client.waitFor('prx.voice.turn.completed');
  expect(done.data).toMatchObject({ user_text: 'hello from the bundle' });
  expect(client.audioBytes).toBeGreaterThan(0);
  expect((await api(server, KEY, 'POST', `/sessions/${id}/end`)).status).toBe(200);
  await client.closed;
}

describe.skipIf(!existsSync(BUILT_MAIN) && process.env.CI === undefined)(
  'the built server (dist/bundle)',
  () => {
    it('serves a voice session, its pages and Silero VAD, on a new data directory and again after a restart', async () => {
      expect(existsSync(BUILT_MAIN), `${BUILT_MAIN} is missing: run pnpm build`).toBe(true);
      for (let run = 0; run < 2; run++) await serveOnce(await start());
    }, 120_000);

    it('runs where pnpm deploy lays the package out, as its bin (what the image runs)', async () => {
      const out = join(servers.dir, 'deployed');
      const deployed = spawnSync(
        'pnpm',
        ['--filter', '@prx-voice/server', 'deploy', '--prod', '--offline', out],
        { encoding: 'utf8', timeout: 90_000 },
      );
      expect(deployed.status, `${deployed.stdout}\n${deployed.stderr}`).toBe(0);
      const manifest = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8')) as {
        bin: Record<string, string>;
      };
      const bin = manifest.bin['prx-voice'] ?? '';
      expect(bin).toBe('./dist/bundle/main.js');
      // Nothing of the workspace is reachable from there but through the deployed node_modules.
      await serveOnce(await start({ main: join(out, bin) }));
    }, 120_000);
  },
);
