/**
 * Which instance holds a session, for routing a connection to it before the upgrade
 * (the server's workers on one host): read from the session's row, so it answers for
 * sessions of any instance, and tells nothing but an instance id.
 */
import { z } from 'zod';
import type { Repositories } from '@prx-voice/storage';
import { isId } from '@prx-voice/types';
import { idSchema } from '../http/schemas.js';
import type { SocketRouteDefinition } from '../http/socket-routes.js';

/** The `{session_id}` of a stream URL that names its session (documented in the route table). */
const streamSessionParams = z.strictObject({ session_id: idSchema('session') });

/**
 * A carrier's media stream at `path/{session_id}`: the same stream as at `path`, at a URL
 * that names its session so the workers of a host route it to the one holding the session
 * (carriers whose stream names its session only in its first message: Twilio, Telnyx).
 */
export function sessionStreamRoute(opts: {
  readonly path: string;
  readonly carrier: string;
  readonly repos: Repositories;
  readonly connect: SocketRouteDefinition['connect'];
}): SocketRouteDefinition {
  return {
    path: `${opts.path}/{session_id}`,
    at: 'root',
    auth: 'none',
    summary: `${opts.carrier}'s media stream at a URL naming its session (with \`server.workers\`, so it reaches the worker holding the session); otherwise the same.`,
    tags: ['telephony'],
    params: streamSessionParams,
    connect: opts.connect,
    holder: (request) => sessionHolder(opts.repos, request.params['session_id']),
  };
}

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
