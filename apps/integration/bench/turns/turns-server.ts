/**
 * Child-process entry of the turn-taking bench: the real PRX Voice server, as
 * the load bench's `voice-server.ts` starts it, reporting its URL and what
 * turn-taking runs on — the VAD section, the session's interruption and
 * endpointing settings and the session defaults — flattened to `key=value`
 * whatever those sections hold (they are being reworked).
 */
import { startServer } from '@prx-voice/server';
import { SESSION_DEFAULTS } from '@prx-voice/session';
import { serveParent } from '../child-ipc.js';

/** `{a: {b: 1}}` → `[['prefix.a.b', 1]]`. */
function flatten(prefix: string, value: unknown): [string, string | number][] {
  if (typeof value === 'number' || typeof value === 'string') return [[prefix, value]];
  if (value === undefined) return [[prefix, 'undefined']];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [[prefix, JSON.stringify(value)]];
  }
  return Object.entries(value).flatMap(([k, v]) => flatten(`${prefix}.${k}`, v));
}

const server = await startServer({
  load: { cwd: process.cwd(), env: process.env },
  log: (line) => process.stderr.write(`voice server: ${line}\n`),
});
const { config } = server.runtime;
const turnTaking = Object.entries(config.session)
  .filter(([k]) => k.startsWith('interrupt') || k.startsWith('endpoint'))
  .flatMap(([k, v]) => flatten(`session.${k}`, v));
serveParent({
  url: server.url,
  info: Object.fromEntries([
    ...flatten('adapters.vad', config.adapters.vad),
    ...turnTaking,
    ...flatten('session_defaults', SESSION_DEFAULTS),
  ]),
  stop: async () => {
    await server.shutdown();
  },
});
