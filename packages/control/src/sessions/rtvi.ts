/**
 * Pipecat RTVI over WebSocket: `POST /rtvi/start` is the endpoint a Pipecat client's
 * `startBot()` / `startBotAndConnect()` posts to (API key or JWT as a Bearer header,
 * passed through the client's `headers`): it creates the session and answers the
 * connection parameters `@pipecat-ai/websocket-transport` takes, `{wsUrl, token}`.
 * `GET /rtvi/ws?token=…` is that WebSocket: protobuf frames with RTVI messages, mapped by
 * the transport package's RTVI socket onto the session engine, as our own WebSocket is.
 */
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { Clock } from '@prx-voice/core';
import { SAMPLE_RATES } from '@prx-voice/media';
import { CLOSE_CODES, createRtviSocket } from '@prx-voice/transport';
import type { RtviSocketHandlers } from '@prx-voice/transport';
import type { Repositories } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import type { ControlContext } from '../http/context.js';
import { principalOf } from '../http/context.js';
import type { RouteModule } from '../http/route-module.js';
import type { SocketRequest } from '../http/socket-routes.js';
import { wireSocketOf } from '../http/wire-socket.js';
import { checkPermission } from '../auth/middleware.js';
import { rtviTokenSession } from './rtvi-tickets.js';
import type { RtviTickets } from './rtvi-tickets.js';
import type { LiveSession, SessionManager } from './session-manager-types.js';
import { requestedSession, socketUrl } from './session-routes.js';
import { createSessionBody } from './session-schemas.js';
import { transcriptViewFor } from './transcript-redaction.js';
import { MAX_OUTBOUND_BACKLOG_MS } from './ws-attach.js';
import { sessionHolder } from './session-holder.js';

/** Path of the start endpoint, below the API base path. */
export const RTVI_START_PATH = '/rtvi/start';
/** Path of the WebSocket, below the API base path. */
export const RTVI_WS_PATH = '/rtvi/ws';

const TAGS = ['rtvi'];

/** Body of `POST /rtvi/start`: a session as `POST /sessions` takes it, and the client's player rate. */
export const rtviStartBody = createSessionBody
  .unwrap()
  .omit({ channel: true })
  .extend({
    audio_out_sample_rate: z
      .union(
        SAMPLE_RATES.map((r) => z.literal(r)),
        { error: `expected one of ${SAMPLE_RATES.join(', ')}` },
      )
      .optional()
      .describe(
        "The client's `playerSampleRate` (default 24000): the transport plays bot audio at that rate whatever a frame says, so it is sent at it.",
      ),
  })
  .prefault({});

/** What the RTVI routes work with. */
export interface RtviRouteDeps {
  readonly manager: SessionManager;
  readonly repos: Repositories;
  readonly clock: Clock;
  readonly tickets: RtviTickets;
  /** The server's public URL, for the `wsUrl` (else the request's host). */
  readonly publicUrl?: string | undefined;
  /** Largest binary frame a client may send, bytes. */
  readonly maxFrameBytes: number;
  readonly onError?: (error: unknown) => void;
}

/** The RTVI start endpoint and WebSocket. */
export function rtviRoutes(deps: RtviRouteDeps): RouteModule {
  return {
    name: 'rtvi',
    mount({ route, socket }) {
      route({
        method: 'post',
        path: RTVI_START_PATH,
        summary:
          "Pipecat's startBot endpoint: creates a session and answers the WebSocket transport's connection parameters `{wsUrl, token}`.",
        description:
          'The body is that of `POST /sessions` (`assistant_id`, `provider_options`, …; channel `rtvi`) plus `audio_out_sample_rate`. The answer is the bare object `@pipecat-ai/websocket-transport` accepts (no envelope): `wsUrl` and a single-use `token` valid for 60 s, which the client appends as `?token=`.',
        tags: TAGS,
        permission: 'session:create',
        body: rtviStartBody,
        contentType: 'application/json',
        status: 200,
        errors: ['QUOTA_EXCEEDED', 'OVERLOADED', 'NOT_FOUND'],
        audit: { action: 'session.create', resource: 'session' },
        handler: (c, { body }) => start(c, deps, body),
      });
      socket({
        path: RTVI_WS_PATH,
        summary:
          'The Pipecat WebSocket transport: binary protobuf frames (audio, RTVI messages) for the session a start token names.',
        description:
          'Authenticates with the `?token=` of `POST /rtvi/start` (single use); refusals close with 4401 (bad or used token), 4404 (session gone), 4409 (already attached).',
        tags: TAGS,
        auth: 'none',
        connect: (ws, request) => attachRtvi(deps, ws, request),
        holder: (request) =>
          sessionHolder(deps.repos, rtviTokenSession(request.url.searchParams.get('token'))),
      });
    },
  };
}

async function start(
  c: ControlContext,
  deps: RtviRouteDeps,
  body: z.output<typeof rtviStartBody>,
): Promise<Response> {
  // The token talks to the session as the caller would on the session WebSocket.
  checkPermission(c, 'turn:create');
  const principal = principalOf(c);
  const { audio_out_sample_rate: outputRate, ...session } = body;
  const row = await deps.manager.create(
    principal.tenantId,
    await requestedSession(c, deps.repos, { ...session, channel: 'rtvi' }),
  );
  const token = deps.tickets.issue({
    tenantId: principal.tenantId,
    sessionId: row.id as LiveSession['id'],
    outputRate: outputRate ?? 24000,
    view: transcriptViewFor(principal),
  });
  return c.json({ wsUrl: socketUrl(c, deps.publicUrl, `/api/v1${RTVI_WS_PATH}`), token });
}

/** Client messages of `client-message` the server answers (`t`). */
export const RTVI_CLIENT_MESSAGES = Object.freeze(['interrupt', 'session'] as const);

/** What an RTVI client's messages do to a session (shared by the WebSocket and WebRTC transports). */
export function rtviSessionHandlers(live: LiveSession): RtviSocketHandlers {
  return {
    onAudio: (samples) => live.actor.pushAudio(samples),
    onText: (text) => live.actor.dispatch({ type: 'text_input', text }),
    onClientMessage: (t) => {
      switch (t) {
        case 'interrupt':
          live.actor.dispatch({ type: 'interrupt' });
          return Promise.resolve({ interrupted: true });
        case 'session':
          return Promise.resolve({
            session_id: live.id,
            state: live.actor.model.machine.value,
          });
        default:
          return Promise.reject(
            new VoiceError('NOT_IMPLEMENTED', {
              message: `Unknown client-message "${t}"; this server answers ${RTVI_CLIENT_MESSAGES.join(', ')}.`,
            }),
          );
      }
    },
    onDtmf: (digits) => live.actor.dtmf(digits, 'websocket'),
    onDisconnectBot: () => live.actor.dispatch({ type: 'end' }),
    onInterrupt: () => live.actor.dispatch({ type: 'interrupt' }),
  };
}

/** Handles one upgraded connection to the RTVI WebSocket. */
export function attachRtvi(deps: RtviRouteDeps, ws: WebSocket, request: SocketRequest): void {
  const socket = wireSocketOf(ws);
  ws.on('error', (err) => deps.onError?.(err));
  const ticket = deps.tickets.redeem(request.url.searchParams.get('token') ?? '');
  if (ticket === undefined) {
    socket.close(CLOSE_CODES.unauthenticated, 'invalid or used token');
    return;
  }
  const live = deps.manager.live(ticket.tenantId, ticket.sessionId);
  if (live === undefined) {
    socket.close(CLOSE_CODES.notFound, 'no such session');
    return;
  }
  const rtvi = createRtviSocket({
    socket,
    clock: deps.clock,
    engine: {
      inputRate: deps.manager.engineRates.input,
      outputRate: deps.manager.engineRates.output,
    },
    outputRate: ticket.outputRate,
    about: { library: 'prx-voice', session_id: live.id },
    limits: { maxFrameBytes: deps.maxFrameBytes },
    handlers: rtviSessionHandlers(live),
  });
  // More than this much audio waiting in the socket: dropped (and reported), not queued.
  const backlogLimit = ticket.outputRate * 2 * (MAX_OUTBOUND_BACKLOG_MS / 1000);
  try {
    deps.manager.attach(live.tenantId, live.id, {
      sendAudio: (frame) => {
        if (ws.bufferedAmount > backlogLimit)
          live.actor.audioDropped('outbound', 'backpressure', frame.length);
        else rtvi.sendAudio(frame);
      },
      clear: () => rtvi.resetOutput(),
    });
  } catch (err) {
    const e = VoiceError.from(err);
    socket.close(
      e.code === 'SESSION_ALREADY_ATTACHED' ? CLOSE_CODES.alreadyAttached : 1011,
      e.code === 'SESSION_ALREADY_ATTACHED' ? 'session already attached' : 'internal error',
    );
    return;
  }
  const removeSink = live.emitter.addSink((event) => {
    try {
      rtvi.sendEvent(ticket.view(event));
    } catch (err) {
      deps.onError?.(err);
    }
    if (event.type === 'prx.voice.session.closed' || event.type === 'prx.voice.session.failed')
      rtvi.close(CLOSE_CODES.normal, 'session ended');
  });
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    try {
      rtvi.receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), isBinary);
    } catch (err) {
      deps.onError?.(err);
    }
  });
  ws.on('close', () => {
    removeSink();
    deps.manager.detach(live);
    live.actor.dispatch({ type: 'transport_closed' });
  });
}
