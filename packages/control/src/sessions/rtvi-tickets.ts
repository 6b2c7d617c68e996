/**
 * The per-session tokens of the RTVI WebSocket: `POST /rtvi/start` (authenticated with
 * an API key or JWT) issues one, the Pipecat client appends it to the WebSocket URL as
 * `?token=`, and the socket redeems it once. Tokens are random, single-use and expire
 * (by the injected clock); they live in this instance's memory, as the session they
 * open does (a session runs on the instance that created it). A token starts with its
 * session's id, so a connection that reaches another worker of the host can be handed
 * to the one holding the session; the secret is the rest.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '@prx-voice/core';
import type { AnyVoiceEvent } from '@prx-voice/event';
import type { SampleRate } from '@prx-voice/media';
import type { SessionId, TenantId } from '@prx-voice/types';

/** What a token opens. */
export interface RtviTicket {
  readonly tenantId: TenantId;
  readonly sessionId: SessionId;
  /** The rate the client plays bot audio at. */
  readonly outputRate: SampleRate;
  /** The events as the issuing credential may see them (transcripts redacted without `transcript:read`). */
  readonly view: (event: AnyVoiceEvent) => AnyVoiceEvent;
}

/** Issues and redeems RTVI tokens; see {@link createRtviTickets}. */
export interface RtviTickets {
  issue(ticket: RtviTicket): string;
  /** The ticket of a valid, unexpired, unused token (it cannot be used again). */
  redeem(token: string): RtviTicket | undefined;
  /** Tokens issued and neither redeemed nor expired yet. */
  readonly size: number;
}

/** The session id a token names (not whether the token is valid). */
export function rtviTokenSession(token: string | null): string | undefined {
  const dot = token?.indexOf('.') ?? -1;
  return dot > 0 ? token?.slice(0, dot) : undefined;
}

/** How long a token may wait for its WebSocket, ms. */
export const RTVI_TICKET_TTL_MS = 60_000;

/** Most tokens waiting at once; past it the oldest are dropped. */
const MAX_TICKETS = 10_000;

/** Creates the token store of an instance. */
export function createRtviTickets(options: {
  readonly clock: Clock;
  readonly ttlMs?: number;
}): RtviTickets {
  const ttl = options.ttlMs ?? RTVI_TICKET_TTL_MS;
  const tickets = new Map<string, { ticket: RtviTicket; expiresAt: number }>();
  const prune = (now: number): void => {
    // Insertion order is expiry order (one TTL): stop at the first live one.
    for (const [token, entry] of tickets) {
      if (entry.expiresAt > now && tickets.size <= MAX_TICKETS) break;
      tickets.delete(token);
    }
  };
  return {
    issue(ticket) {
      const now = options.clock.now();
      prune(now);
      const token = `${ticket.sessionId}.${randomBytes(32).toString('base64url')}`;
      tickets.set(token, { ticket, expiresAt: now + ttl });
      return token;
    },
    redeem(token) {
      const now = options.clock.now();
      prune(now);
      const entry = tickets.get(token);
      if (entry === undefined) return undefined;
      tickets.delete(token);
      return entry.ticket;
    },
    get size() {
      return tickets.size;
    },
  };
}
