/**
 * Which instance holds a session, for routing a connection to it before the upgrade
 * (the server's workers on one host): read from the session's row, so it answers for
 * sessions of any instance, and tells nothing but an instance id.
 */
import { z } from 'zod';
import type { Repositories } from '@prx-voice/storage';
import { isId } from '@prx-voice/types';
import { idSchema } from '../http/schemas.js';

/** The `{session_id}` of a stream URL that names its session (documented in the route table). */
export const streamSessionParams = z.strictObject({ session_id: idSchema('session') });

/** The instance holding the unended session `sessionId`; undefined when none (or not an id). */
export function sessionHolder(
  repos: Repositories,
  sessionId: string | null | undefined,
): Promise<string | undefined> {
  if (sessionId === null || sessionId === undefined || !isId('session', sessionId))
    return Promise.resolve(undefined);
  return repos.sessionRecovery.holderOf(sessionId);
}

/** The instance holding the session a carrier's stream URL names (`?session_id=`). */
export function streamUrlHolder(repos: Repositories, url: URL): Promise<string | undefined> {
  return sessionHolder(repos, url.searchParams.get('session_id'));
}
