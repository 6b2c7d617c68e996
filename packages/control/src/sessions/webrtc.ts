/**
 * WebRTC, signalled as Pipecat's SmallWebRTC transport does: `POST /webrtc/offer` takes
 * the client's SDP offer (`{sdp, type, pc_id, restart_pc, request_data}`), creates a
 * `webrtc` session (from `request_data`, which is a `POST /sessions` body) and answers
 * `{sdp, type: "answer", pc_id}`; `PATCH /webrtc/offer` adds the ICE candidates the
 * client trickles. Audio is Opus over RTP and RTVI rides the data channel (the transport
 * package's WebRTC peer); the session ends when the peer connection closes, fails, or
 * never connects.
 */
import { randomUUID } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { z } from 'zod';
import type { Clock } from '@prx-voice/core';
import { MAX_SDP_LENGTH, createWebrtcPeer, parseWebrtcOffer } from '@prx-voice/transport';
import type { WebrtcPeer, WebrtcPeerOptions } from '@prx-voice/transport';
import type { Repositories } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import type { ControlContext } from '../http/context.js';
import { principalOf } from '../http/context.js';
import type { RouteModule } from '../http/route-module.js';
import { checkPermission } from '../auth/middleware.js';
import { rtviSessionHandlers } from './rtvi.js';
import type { LiveSession, SessionManager } from './session-manager-types.js';
import { requestedSession } from './session-routes.js';
import { createSessionBody } from './session-schemas.js';
import { transcriptViewFor } from './transcript-redaction.js';

/** Path of the signalling endpoint, below the API base path. */
export const WEBRTC_OFFER_PATH = '/webrtc/offer';

const TAGS = ['webrtc'];

const requestData = createSessionBody.unwrap().omit({ channel: true });

/** Body of `POST /webrtc/offer`, as `@pipecat-ai/small-webrtc-transport` sends it. */
export const webrtcOfferBody = z.object({
  sdp: z.string().min(1).max(MAX_SDP_LENGTH).describe('The SDP offer.'),
  type: z.literal('offer'),
  pc_id: z
    .string()
    .max(200)
    .nullish()
    .describe('The connection to renegotiate (null or absent: a new connection and session).'),
  restart_pc: z
    .boolean()
    .nullish()
    .describe('With `pc_id`: replace the peer connection, keeping the session.'),
  request_data: requestData
    .optional()
    .describe('The session to create, as the body of `POST /sessions` (channel `webrtc`).'),
  requestData: requestData.optional().describe('`request_data` as the client spells it.'),
});

/** Body of `PATCH /webrtc/offer`: trickled ICE candidates. */
export const webrtcCandidatesBody = z.object({
  pc_id: z.string().min(1).max(200),
  candidates: z
    .array(
      z.object({
        candidate: z.string().max(1000),
        sdp_mid: z.string().max(100).nullish(),
        sdp_mline_index: z.number().int().min(0).max(64).nullish(),
      }),
    )
    // A libwebrtc client may batch hundreds (a candidate per interface, transport and m-line).
    .max(1000),
});

const answerSchema = z.object({
  sdp: z.string(),
  type: z.literal('answer'),
  pc_id: z.string(),
});

/** What the WebRTC routes work with. */
export interface WebrtcRouteDeps {
  readonly manager: SessionManager;
  readonly repos: Repositories;
  readonly clock: Clock;
  /** ICE + DTLS must be up within this long after the answer, ms (default 30 000). */
  readonly connectTimeoutMs?: number;
  /** STUN/TURN servers the peers gather candidates from (`server.webrtc.ice_servers`). */
  readonly iceServers?: WebrtcPeerOptions['iceServers'];
  /** Makes `pc_id`s (default `pc_` + a random UUID). */
  readonly newPeerId?: () => string;
  readonly onError?: (error: unknown) => void;
}

interface Connection {
  readonly id: string;
  readonly live: LiveSession;
  peer: WebrtcPeer;
  /** Set while a restart replaces the peer: its close does not end the session. */
  replacing: boolean;
}

/** Loopback as a candidate too when the host has no other IPv4 address (containers, CI). */
function extraHostAddresses(): readonly string[] | undefined {
  const external = Object.values(networkInterfaces())
    .flat()
    .some((a) => a !== undefined && a.family === 'IPv4' && !a.internal);
  return external ? undefined : ['127.0.0.1'];
}

/** The SmallWebRTC signalling routes. */
export function webrtcRoutes(deps: WebrtcRouteDeps): RouteModule {
  const connections = new Map<string, Connection>();
  const newPeerId = deps.newPeerId ?? (() => `pc_${randomUUID()}`);

  const find = (c: ControlContext, pcId: string): Connection => {
    const conn = connections.get(pcId);
    if (conn === undefined || conn.live.tenantId !== principalOf(c).tenantId) {
      throw new VoiceError('NOT_FOUND', {
        message: `No WebRTC connection "${pcId}": it never existed, has closed, or belongs to another tenant.`,
        details: { pc_id: pcId },
      });
    }
    return conn;
  };

  /** A peer for `live` answering `sdp`; its close ends the session unless it is being replaced. */
  const connect = async (
    c: ControlContext,
    live: LiveSession,
    sdp: string,
    id: string,
  ): Promise<Connection> => {
    const view = transcriptViewFor(principalOf(c));
    let conn: Connection | undefined;
    let removeSink = (): void => undefined;
    const extra = extraHostAddresses();
    const peer = await createWebrtcPeer(sdp, {
      clock: deps.clock,
      engine: {
        inputRate: deps.manager.engineRates.input,
        outputRate: deps.manager.engineRates.output,
      },
      about: { library: 'prx-voice', session_id: live.id },
      ...(deps.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: deps.connectTimeoutMs }),
      ...(extra === undefined ? {} : { additionalHostAddresses: extra }),
      ...(deps.iceServers === undefined ? {} : { iceServers: deps.iceServers }),
      handlers: {
        ...rtviSessionHandlers(live),
        onClosed: () => {
          removeSink();
          if (conn === undefined || conn.peer !== peer) return;
          if (conn.replacing) return;
          connections.delete(id);
          deps.manager.detach(live);
          live.actor.dispatch({ type: 'transport_closed' });
        },
      },
    });
    removeSink = live.emitter.addSink((event) => {
      try {
        peer.sendEvent(view(event));
      } catch (err) {
        deps.onError?.(err);
      }
      if (event.type === 'prx.voice.session.closed' || event.type === 'prx.voice.session.failed')
        peer.close('server');
    });
    deps.manager.attach(live.tenantId, live.id, {
      sendAudio: (frame) => peer.sendAudio(frame),
      clear: () => peer.resetOutput(),
    });
    const existing = connections.get(id);
    if (existing === undefined) {
      conn = { id, live, peer, replacing: false };
      connections.set(id, conn);
    } else {
      conn = existing;
      conn.peer = peer;
      conn.replacing = false;
    }
    return conn;
  };

  const offer = async (
    c: ControlContext,
    body: z.output<typeof webrtcOfferBody>,
  ): Promise<Response> => {
    // The connection talks to the session as the caller would on the session WebSocket.
    checkPermission(c, 'turn:create');
    parseWebrtcOffer(body.sdp);
    if (body.pc_id != null) {
      const conn = find(c, body.pc_id);
      if (body.restart_pc !== true) {
        const answer = await conn.peer.renegotiate(body.sdp);
        return c.json({ ...answer, pc_id: conn.id });
      }
      conn.replacing = true;
      deps.manager.detach(conn.live);
      conn.peer.close('server');
      try {
        const next = await connect(c, conn.live, body.sdp, conn.id);
        return c.json({ ...next.peer.answer, pc_id: next.id });
      } catch (err) {
        connections.delete(conn.id);
        conn.live.actor.dispatch({ type: 'transport_closed' });
        throw err;
      }
    }
    const principal = principalOf(c);
    const session = body.request_data ?? body.requestData ?? {};
    const row = await deps.manager.create(
      principal.tenantId,
      await requestedSession(c, deps.repos, { ...session, channel: 'webrtc' }),
    );
    const live = deps.manager.live(principal.tenantId, row.id as LiveSession['id']);
    if (live === undefined) {
      throw new VoiceError('SESSION_NOT_FOUND', {
        message: 'The session ended before it connected.',
      });
    }
    try {
      const conn = await connect(c, live, body.sdp, newPeerId());
      return c.json({ ...conn.peer.answer, pc_id: conn.id });
    } catch (err) {
      // Nothing will ever attach: the session ends now rather than at its idle timeout.
      live.actor.dispatch({ type: 'transport_closed' });
      throw err;
    }
  };

  const candidates = async (
    c: ControlContext,
    body: z.output<typeof webrtcCandidatesBody>,
  ): Promise<Response> => {
    checkPermission(c, 'turn:create');
    const conn = find(c, body.pc_id);
    for (const candidate of body.candidates) {
      await conn.peer.addIceCandidate({
        candidate: candidate.candidate,
        sdpMid: candidate.sdp_mid,
        sdpMLineIndex: candidate.sdp_mline_index,
      });
    }
    return c.json({ status: 'success' });
  };

  return {
    name: 'webrtc',
    mount({ route }) {
      route({
        method: 'post',
        path: WEBRTC_OFFER_PATH,
        summary:
          "SmallWebRTC signalling: answers a client's SDP offer and creates the session its peer connection carries.",
        description:
          'What `@pipecat-ai/small-webrtc-transport` posts (its `webrtcUrl`/`webrtcRequestParams`): audio is Opus over RTP (the answer declines video), RTVI messages travel as JSON on the data channel. Without `pc_id` a `webrtc` session is created from `request_data` (a `POST /sessions` body); with `pc_id` the connection is renegotiated, or with `restart_pc` replaced keeping its session. The answer is the bare object the client accepts (no envelope). An offer that cannot be answered (not SDP, no Opus audio, no ICE credentials or DTLS fingerprint) is a 400 whose `details.reason` says why. The session ends when the peer connection closes or fails, or when ICE and DTLS are not up within 30 s.',
        tags: TAGS,
        permission: 'session:create',
        body: webrtcOfferBody,
        response: answerSchema,
        contentType: 'application/json',
        status: 200,
        errors: ['VALIDATION_FAILED', 'NOT_FOUND', 'QUOTA_EXCEEDED', 'OVERLOADED'],
        audit: { action: 'session.create', resource: 'session' },
        handler: (c, { body }) => offer(c, body),
      });
      route({
        method: 'patch',
        path: WEBRTC_OFFER_PATH,
        summary: 'SmallWebRTC signalling: ICE candidates the client trickles for a connection.',
        description:
          'Adds each candidate (`candidate`, `sdp_mid`, `sdp_mline_index`) to the peer connection `pc_id` names; an unknown, closed or other tenant’s `pc_id` is a 404. Answers `{status: "success"}`.',
        tags: TAGS,
        permission: 'session:create',
        body: webrtcCandidatesBody,
        contentType: 'application/json',
        status: 200,
        errors: ['VALIDATION_FAILED', 'NOT_FOUND'],
        handler: (c, { body }) => candidates(c, body),
      });
    },
  };
}
