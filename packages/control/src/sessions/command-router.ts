/**
 * Routing of REST commands to the instance that runs a session, over the
 * coordination pub/sub (Redis when several instances share it): each instance
 * listens on its own command channel, runs what arrives against its live
 * sessions and answers on the sender's reply channel. A session's row names
 * its instance; a command for a session live elsewhere is forwarded there and
 * its outcome — success or the owner's error — comes back as if local.
 */
import type { Clock, TimerHandle } from '@prx-voice/core';
import type { HandoffTarget } from '@prx-voice/session';
import type { Coordinator, Unsubscribe } from '@prx-voice/storage';
import { VoiceError, isErrorCode } from '@prx-voice/types';
import type { SessionId, TenantId } from '@prx-voice/types';
import type { AssistantSwitchOptions } from './session-manager-types.js';
import type { SessionSettingsChange } from './session-update.js';

/** What can be forwarded. */
export type RoutedCommand =
  | { readonly kind: 'command'; readonly command: 'interrupt' | 'pause' | 'resume' | 'end' }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'handoff'; readonly target: HandoffTarget; readonly reason?: string }
  | { readonly kind: 'update'; readonly change: SessionSettingsChange }
  | {
      readonly kind: 'assistant';
      readonly assistantId: string;
      readonly options: AssistantSwitchOptions;
    };

/** How long a forwarded command waits for its answer (default 5 s). */
export const ROUTED_COMMAND_TIMEOUT_MS = 5_000;

/**
 * On shared coordination (Redis), how long a command is published again while no instance
 * listens on the owner's channel before the owner counts as not reachable (default 2 s). A Redis
 * restart drops every subscription; each instance subscribes again once its connection is back
 * (the coordinator reconnects within 0.5 s), so for a moment a live owner hears nothing — and a
 * command for its session must not conclude that the owner is gone. In-process coordination
 * never loses a subscription: there, no listener is an answer at once.
 */
export const NO_LISTENER_GRACE_MS = 2_000;

/** Between two publications of a command nobody heard. */
const REPUBLISH_EVERY_MS = 100;

interface Envelope {
  readonly id: string;
  readonly reply_to: string;
  readonly tenant_id: string;
  readonly session_id: string;
  readonly command: RoutedCommand;
}

interface Reply {
  readonly id: string;
  readonly ok: boolean;
  readonly error?: {
    readonly code: string;
    readonly message: string;
    readonly details: Record<string, unknown>;
  };
}

const commandsChannel = (instanceId: string): string => `prx:instance:${instanceId}:commands`;
const repliesChannel = (instanceId: string): string => `prx:instance:${instanceId}:replies`;

/** An instance's end of the routing. */
export interface CommandRouter {
  /** Starts listening for commands and replies. */
  start(): Promise<void>;
  /** Runs `command` on the instance `instanceId`; throws what the owner threw. */
  forward(
    instanceId: string,
    tenantId: TenantId,
    sessionId: SessionId,
    command: RoutedCommand,
  ): Promise<void>;
  stop(): Promise<void>;
}

/** Creates the router of one instance. */
export function createCommandRouter(opts: {
  readonly coordinator: Coordinator;
  readonly instanceId: string;
  readonly clock: Clock;
  /** Runs a command that arrived for a session of this instance. */
  readonly execute: (
    tenantId: TenantId,
    sessionId: SessionId,
    command: RoutedCommand,
  ) => Promise<void>;
  readonly newId: () => string;
  readonly timeoutMs?: number;
  /** See {@link NO_LISTENER_GRACE_MS} (default: that on Redis, 0 in-process). */
  readonly noListenerGraceMs?: number;
  readonly onError?: (error: unknown) => void;
}): CommandRouter {
  const { coordinator, instanceId, clock } = opts;
  const timeoutMs = opts.timeoutMs ?? ROUTED_COMMAND_TIMEOUT_MS;
  const graceMs = Math.min(
    timeoutMs,
    opts.noListenerGraceMs ?? (coordinator.kind === 'redis' ? NO_LISTENER_GRACE_MS : 0),
  );
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      clock.setTimeout(resolve, ms);
    });
  const waiting = new Map<string, { resolve: (r: Reply | null) => void; timer: TimerHandle }>();
  const unsubscribes: Unsubscribe[] = [];

  const onCommand = (message: string): void => {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(message) as Envelope;
    } catch (err) {
      opts.onError?.(err);
      return;
    }
    const answer = (reply: Reply): void => {
      coordinator
        .publish(envelope.reply_to, JSON.stringify(reply))
        .catch((err: unknown) => opts.onError?.(err));
    };
    opts
      .execute(envelope.tenant_id as TenantId, envelope.session_id as SessionId, envelope.command)
      .then(
        () => answer({ id: envelope.id, ok: true }),
        (err: unknown) => {
          const e = VoiceError.from(err);
          answer({
            id: envelope.id,
            ok: false,
            error: { code: e.code, message: e.message, details: { ...e.details } },
          });
        },
      );
  };

  const onReply = (message: string): void => {
    let reply: Reply;
    try {
      reply = JSON.parse(message) as Reply;
    } catch (err) {
      opts.onError?.(err);
      return;
    }
    const w = waiting.get(reply.id);
    if (w === undefined) return; // answered after its timeout
    waiting.delete(reply.id);
    clock.clearTimeout(w.timer);
    w.resolve(reply);
  };

  return {
    async start() {
      unsubscribes.push(await coordinator.subscribe(commandsChannel(instanceId), onCommand));
      unsubscribes.push(await coordinator.subscribe(repliesChannel(instanceId), onReply));
    },
    async forward(owner, tenantId, sessionId, command) {
      const id = opts.newId();
      const reply = new Promise<Reply | null>((resolve) => {
        const timer = clock.setTimeout(() => {
          waiting.delete(id);
          resolve(null);
        }, timeoutMs);
        waiting.set(id, { resolve, timer });
      });
      const envelope: Envelope = {
        id,
        reply_to: repliesChannel(instanceId),
        tenant_id: tenantId,
        session_id: sessionId,
        command,
      };
      const message = JSON.stringify(envelope);
      const forget = (): void => {
        const w = waiting.get(id);
        if (w !== undefined) clock.clearTimeout(w.timer);
        waiting.delete(id);
      };
      let listeners: number;
      try {
        const sentAt = clock.now();
        listeners = await coordinator.publish(commandsChannel(owner), message);
        // Nobody heard it: the owner may be subscribing again after a coordination restart.
        while (listeners === 0 && clock.now() - sentAt < graceMs && waiting.has(id)) {
          await pause(REPUBLISH_EVERY_MS);
          listeners = await coordinator.publish(commandsChannel(owner), message);
        }
      } catch (err) {
        forget();
        throw err;
      }
      if (listeners === 0) {
        forget();
        throw new VoiceError('SESSION_STATE_CONFLICT', {
          message: 'the instance running the session is not reachable',
          details: { session_id: sessionId, instance_id: owner },
        });
      }
      const answered = await reply;
      if (answered === null) {
        throw new VoiceError('TIMEOUT', {
          message: `the instance running the session did not answer within ${String(timeoutMs)} ms`,
          details: { session_id: sessionId, instance_id: owner },
        });
      }
      if (answered.ok) return;
      const error = answered.error;
      throw new VoiceError(
        error !== undefined && isErrorCode(error.code) ? error.code : 'INTERNAL',
        {
          message: error?.message ?? 'the command failed on the instance running the session',
          details: error?.details ?? {},
        },
      );
    },
    async stop() {
      for (const w of waiting.values()) {
        clock.clearTimeout(w.timer);
        w.resolve(null);
      }
      waiting.clear();
      await Promise.all(unsubscribes.splice(0).map((u) => u()));
    },
  };
}
