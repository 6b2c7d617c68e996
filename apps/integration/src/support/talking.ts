/**
 * Sessions whose callers talk (see `talker.ts`), as the fault tests start them, and
 * whether a caller is hearing an answer at a given moment.
 */
import { expect } from 'vitest';
import { api } from './cluster.ts';
import type { ServerProcess } from './server-process.ts';
import { startTalker } from './talker.ts';
import type { Talker } from './talker.ts';
import { connectWs } from './ws-client.ts';
import type { WsClient } from './ws-client.ts';

/** A session with its caller. */
export interface Talking {
  readonly id: string;
  readonly client: WsClient;
  readonly talker: Talker;
}

/** Creates a session on `server` with `key` and starts its caller talking; the talker joins `talkers` (to stop them all). */
export async function talkingSession(
  server: ServerProcess,
  key: string,
  talkers: Talker[],
): Promise<Talking> {
  const created = await api(server, key, 'POST', '/sessions', {});
  expect(created.status).toBe(201);
  const id = created.json.data.id;
  const client = await connectWs(`${String(created.json.data['ws_url'])}?token=${key}`);
  const talker = startTalker(client);
  talkers.push(talker);
  return { id, client, talker };
}

/** Whether the caller is hearing an answer now: its last playback started after the last turn completed. */
export function answering(client: WsClient): boolean {
  const types = client.events.map((e) => e.type);
  return (
    types.lastIndexOf('prx.voice.playback.started') > types.lastIndexOf('prx.voice.turn.completed')
  );
}
