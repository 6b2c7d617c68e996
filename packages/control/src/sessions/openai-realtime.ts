/**
 * The OpenAI-Realtime-compatible WebSocket, `GET /v1/realtime?model=…` (and
 * `/api/v1/realtime`): authenticated with an API key or JWT as `Authorization: Bearer`
 * or, as browsers and the SDKs do, the subprotocols `realtime` +
 * `openai-insecure-api-key.<key>`. Each connection creates a session through the
 * session manager — the assistant named by `?assistant_id=`, else the server's
 * defaults — and the transport's Realtime adapter maps its events and audio both ways.
 * The client's function tools join the session's tools as client-executed tools.
 */
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { Clock, Config } from '@prx-voice/core';
import { authorize } from '@prx-voice/policy';
import { CLOSE_CODES, createRealtimeConnection } from '@prx-voice/transport';
import type { RealtimeConnection, WireSocket } from '@prx-voice/transport';
import type { Repositories } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import { requestFromAssistant, requireAssistant } from '../agents/assistant-session.js';
import { clientTools } from '../agents/client-tools.js';
import type { ClientTools } from '../agents/client-tools.js';
import type { SessionTools } from '../agents/session-tools.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { RouteModule } from '../http/route-module.js';
import { idSchema } from '../http/schemas.js';
import type { SocketRequest } from '../http/socket-routes.js';
import type { LiveSession, SessionManager } from './session-manager-types.js';
import { submitChange } from './session-update.js';
import { transcriptViewFor } from './transcript-redaction.js';
import { wireSocketOf } from '../http/wire-socket.js';
import { closeFor } from './ws-attach.js';

/** Prefix of the subprotocol carrying the API key, as the OpenAI SDKs offer it. */
export const REALTIME_KEY_PROTOCOL_PREFIX = 'openai-insecure-api-key.';

/** Outbound JSON allowed to wait in a client's socket before audio deltas are dropped, bytes. */
const MAX_REALTIME_BACKLOG_BYTES = 256 * 1024;

/** What the Realtime route works with. */
export interface OpenAiRealtimeDeps {
  readonly manager: SessionManager;
  readonly repos: Repositories;
  readonly authenticator: Authenticator;
  readonly clock: Clock;
  /** The server's configuration: the VAD and endpointing reported as turn detection. */
  readonly config?: Config | undefined;
  /** Largest audio one `input_audio_buffer.append` may carry, decoded bytes. */
  readonly maxAppendBytes: number;
  readonly onError?: (error: unknown) => void;
}

const query = z.object({
  model: z
    .string()
    .max(200)
    .optional()
    .describe('Reported back as the session’s model; the engine runs the configured providers.'),
  assistant_id: idSchema('assistant')
    .optional()
    .describe('The stored assistant the session runs (else the server defaults).'),
});

/** The Realtime routes: the WebSocket at the server's root and under the API's base path. */
export function openAiRealtimeRoutes(deps: OpenAiRealtimeDeps): RouteModule {
  const doc = {
    summary:
      'OpenAI Realtime API (GA) compatible WebSocket: the openai SDK and @openai/agents-realtime connect unmodified.',
    description:
      'Authenticates with `Authorization: Bearer <API key or JWT>` or the subprotocols `realtime` and `openai-insecure-api-key.<key>` (the server selects `realtime`). Creates a session (channel `websocket`) from `?assistant_id=` or the server defaults; `session.created` follows the upgrade. Refusals send an `error` event, then close with 4401, 4403, 4404 or 4429.',
    tags: ['realtime'],
    permission: 'session:create' as const,
    query,
    connect: (ws: WebSocket, request: SocketRequest) => attachRealtime(deps, ws, request),
  };
  return {
    name: 'openai-realtime',
    mount({ socket }) {
      socket({ ...doc, path: '/v1/realtime', at: 'root' });
      socket({ ...doc, path: '/realtime' });
    },
  };
}

/** The API key a client offered as an `openai-insecure-api-key.<key>` subprotocol. */
export function realtimeProtocolKey(
  header: string | readonly string[] | undefined,
): string | undefined {
  const values = header === undefined ? [] : typeof header === 'string' ? [header] : header;
  const entry = values
    .flatMap((v) => v.split(','))
    .map((p) => p.trim())
    .find((p) => p.startsWith(REALTIME_KEY_PROTOCOL_PREFIX));
  const key = entry?.slice(REALTIME_KEY_PROTOCOL_PREFIX.length);
  return key !== undefined && /^[\x21-\x7e]+$/.test(key) ? key : undefined;
}

/** Handles one upgraded connection. */
export async function attachRealtime(
  deps: OpenAiRealtimeDeps,
  ws: WebSocket,
  request: SocketRequest,
): Promise<void> {
  const socket = wireSocketOf(ws);
  const early: string[] = [];
  let onMessage = (text: string): void => void early.push(text);
  ws.on('message', (data: Buffer) => onMessage(data.toString('utf8')));
  ws.on('error', (err) => deps.onError?.(err));
  let live: LiveSession;
  let view;
  const model = request.url.searchParams.get('model') ?? 'prx-voice';
  try {
    const key = realtimeProtocolKey(request.headers['sec-websocket-protocol']);
    const authorization =
      request.headers.authorization ?? (key === undefined ? null : `Bearer ${key}`);
    const { principal } = await deps.authenticator.authenticate({
      authorization,
      queryToken: null,
    });
    if (authorize(principal, 'session:create').kind === 'denied')
      throw new VoiceError('FORBIDDEN', { message: 'the credential may not create sessions' });
    const tenantId = principal.tenantId;
    const assistantId = request.url.searchParams.get('assistant_id') ?? undefined;
    const parsed = query.safeParse({ model, assistant_id: assistantId });
    if (!parsed.success)
      throw new VoiceError('VALIDATION_FAILED', {
        message: `Invalid query: ${parsed.error.issues[0]?.message ?? ''}`,
      });
    const base = {
      channel: 'websocket' as const,
      metadata: { protocol: 'openai-realtime', model },
    };
    const assistant =
      parsed.data.assistant_id === undefined
        ? undefined
        : await requireAssistant(deps.repos, tenantId, parsed.data.assistant_id);
    const row = await deps.manager.create(
      tenantId,
      assistant === undefined ? base : requestFromAssistant(assistant, base),
    );
    const session = deps.manager.live(tenantId, row.id as LiveSession['id']);
    if (session === undefined) throw new VoiceError('SESSION_NOT_FOUND');
    live = session;
    view = transcriptViewFor(principal);
  } catch (err) {
    const e = VoiceError.from(err);
    socket.send(
      JSON.stringify({
        type: 'error',
        event_id: `event_${randomBytes(8).toString('hex')}`,
        error: {
          type: 'invalid_request_error',
          code: e.code.toLowerCase(),
          message: e.message,
          param: null,
          event_id: null,
        },
      }),
    );
    const c = closeFor(err);
    socket.close(
      c.code === 1011 && e.code === 'VALIDATION_FAILED' ? CLOSE_CODES.policy : c.code,
      c.reason,
    );
    return;
  }
  if (ws.readyState !== ws.OPEN) {
    live.actor.dispatch({ type: 'transport_closed' });
    return;
  }
  runConnection(deps, ws, socket, live, view, model, early, (next) => (onMessage = next));
}

function runConnection(
  deps: OpenAiRealtimeDeps,
  ws: WebSocket,
  socket: WireSocket,
  live: LiveSession,
  view: ReturnType<typeof transcriptViewFor>,
  model: string,
  early: string[],
  listen: (onMessage: (text: string) => void) => void,
): void {
  const prefix = randomBytes(6).toString('hex');
  let n = 0;
  const newId = (kind: string): string => `${kind}_${prefix}${(++n).toString(36)}`;
  // The session's own tools (an assistant's) stay server-run; client tools join them.
  const ownTools: SessionTools | undefined = live.tools;
  let clientSet: ClientTools | undefined;
  let toolsets = 0;
  const cfg = deps.config;
  const conn: RealtimeConnection = createRealtimeConnection({
    socket,
    engine: {
      inputRate: deps.manager.engineRates.input,
      outputRate: deps.manager.engineRates.output,
    },
    session: {
      id: live.id,
      model,
      instructions: live.target.systemPrompt,
      voice:
        typeof live.providerOptions.tts['voice'] === 'string'
          ? live.providerOptions.tts['voice']
          : undefined,
      turnDetection: {
        threshold: cfg?.adapters.vad.threshold ?? 0.5,
        silenceDurationMs: cfg?.session.endpointing.min_delay_ms ?? 350,
        prefixPaddingMs: 0,
      },
    },
    newId,
    maxAppendBytes: deps.maxAppendBytes,
    handlers: {
      onAudio: (samples) => live.actor.pushAudio(samples),
      onTextTurn: (text) => live.actor.dispatch({ type: 'text_input', text }),
      onInterrupt: () => live.actor.dispatch({ type: 'interrupt' }),
      onSettings: (change) => {
        deps.manager.updateLive(live, {
          ...(change.instructions === undefined ? {} : { systemPrompt: change.instructions }),
          ...(change.voice === undefined ? {} : { voice: change.voice }),
        });
      },
      onTools: (tools) => {
        const next = clientTools({
          tools,
          base: ownTools,
          onCall: (call) => conn.clientToolCall(call),
        });
        const key = `openai-realtime:${String(++toolsets)}`;
        live.stagedTools.set(key, next);
        try {
          submitChange(live, { update: { toolset: key }, target: live.target });
        } catch (err) {
          live.stagedTools.delete(key);
          throw err;
        }
        clientSet = next;
      },
      onToolOutput: (callId, output) => {
        if (clientSet?.deliver(callId, output) !== true)
          throw new VoiceError('VALIDATION_FAILED', {
            message: `The call ${callId} no longer waits for its output.`,
          });
      },
    },
  });
  try {
    deps.manager.attach(live.tenantId, live.id, {
      sendAudio: (frame, info) => {
        // The client or the network does not keep up: drop (and report) rather than queue.
        if (ws.bufferedAmount > MAX_REALTIME_BACKLOG_BYTES)
          live.actor.audioDropped('outbound', 'backpressure', frame.length);
        else conn.sendAudio(frame, info.runId);
      },
      clear: () => undefined,
    });
  } catch (err) {
    const c = closeFor(err);
    socket.close(c.code, c.reason);
    live.actor.dispatch({ type: 'transport_closed' });
    return;
  }
  const removeSink = live.emitter.addSink((event) => {
    try {
      conn.engineEvent(view(event));
    } catch (err) {
      deps.onError?.(err);
    }
    if (event.type === 'prx.voice.session.closed' || event.type === 'prx.voice.session.failed')
      socket.close(CLOSE_CODES.normal, 'session ended');
  });
  conn.start();
  const receive = (text: string): void => {
    try {
      conn.receive(text);
    } catch (err) {
      deps.onError?.(err);
    }
  };
  listen(receive);
  for (const text of early.splice(0)) receive(text);
  ws.on('close', () => {
    removeSink();
    deps.manager.detach(live);
    live.actor.dispatch({ type: 'transport_closed' });
    // The session's own tools were handed over to the joined sets: closed here, once.
    if (clientSet !== undefined)
      void ownTools?.close().catch((err: unknown) => deps.onError?.(err));
  });
}
