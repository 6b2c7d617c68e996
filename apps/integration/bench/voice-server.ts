/**
 * Child-process entry of the load bench: the real PRX Voice server
 * (`startServer`, configured by the `PRX_VOICE_*` variables the bench sets:
 * embedded PGlite, in-process coordination, mock providers), reporting its URL
 * and the settings behind the mock delays the bench subtracts.
 */
import { startServer } from '@prx-voice/server';
import { serveParent } from './child-ipc.js';

const server = await startServer({
  load: { cwd: process.cwd(), env: process.env },
  log: (line) => process.stderr.write(`voice server: ${line}\n`),
});
const { vad } = server.runtime.config.adapters;
serveParent({
  url: server.url,
  info: {
    vad_provider: vad.provider,
    vad_min_silence_ms: vad.min_silence_ms,
    vad_silero_workers: vad.silero_workers,
    endpoint_min_delay_ms: server.runtime.config.session.endpointing.min_delay_ms,
  },
  stop: async () => {
    await server.shutdown();
  },
});
