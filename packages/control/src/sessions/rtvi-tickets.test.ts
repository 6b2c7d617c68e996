import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import type { SessionId, TenantId } from '@prx-voice/types';
import { RTVI_TICKET_TTL_MS, createRtviTickets, rtviTokenSession } from './rtvi-tickets.js';
import type { RtviTicket } from './rtvi-tickets.js';

const ticket: RtviTicket = {
  tenantId: 'ten_1' as TenantId,
  sessionId: 'sess_1' as SessionId,
  outputRate: 24000,
  view: (e) => e,
};

describe('RTVI start tokens', () => {
  it('open their session once', () => {
    const tickets = createRtviTickets({ clock: new SimulatedClock() });
    const token = tickets.issue(ticket);
    expect(tickets.redeem(token)).toBe(ticket);
    expect(tickets.redeem(token)).toBeUndefined();
    expect(tickets.redeem('')).toBeUndefined();
    expect(tickets.redeem('not-a-token')).toBeUndefined();
  });

  it('expire, and expired ones are forgotten', () => {
    const clock = new SimulatedClock();
    const tickets = createRtviTickets({ clock });
    const old = tickets.issue(ticket);
    clock.advance(RTVI_TICKET_TTL_MS - 1);
    const fresh = tickets.issue(ticket);
    expect(tickets.size).toBe(2);
    clock.advance(1);
    expect(tickets.redeem(old)).toBeUndefined();
    expect(tickets.size).toBe(1);
    expect(tickets.redeem(fresh)).toBe(ticket);
  });

  it('are unguessable: distinct 256-bit secrets after the session id they name', () => {
    const tickets = createRtviTickets({ clock: new SimulatedClock() });
    const a = tickets.issue(ticket);
    const b = tickets.issue(ticket);
    expect(a).not.toBe(b);
    expect(rtviTokenSession(a)).toBe(ticket.sessionId);
    expect(Buffer.from(a.slice(a.indexOf('.') + 1), 'base64url')).toHaveLength(32);
    // The session id alone opens nothing.
    expect(tickets.redeem(`${ticket.sessionId}.`)).toBeUndefined();
    expect(rtviTokenSession('no-dot')).toBeUndefined();
    expect(rtviTokenSession(null)).toBeUndefined();
  });
});
