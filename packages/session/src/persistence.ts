import type { Clock } from '@prx-voice/core';
import { isTransientStorageError } from '@prx-voice/storage';
import type { TenantRepositories } from '@prx-voice/storage';
import { isTerminalState } from '@prx-voice/types';
import type { SessionId, TurnId } from '@prx-voice/types';
import type { SessionPersistence } from './actor-types.js';
import type { SessionStateQueue } from './state-queue.js';

/** Options of {@link repositoryPersistence}. */
export interface RepositoryPersistenceOptions {
  readonly clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;
  /**
   * The session's row has ended without this instance ending it — it was recovered
   * elsewhere as `instance_lost` while this instance was frozen or cut off. Called
   * once; nothing more is written for the session.
   */
  readonly onFenced?: () => void;
  /** A write failed and is retried in `retryInMs` (a database restart or outage). */
  readonly onRetry?: (error: unknown, attempt: number, retryInMs: number) => void;
  /** First retry delay, doubled per attempt up to `maxRetryDelayMs` (defaults 100 / 5000 ms). */
  readonly retryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
  /**
   * Applied to what the caller and the assistant said before it is stored (the tenant's
   * redaction policy); default: stored as said.
   */
  readonly redactText?: (text: string) => string;
  /**
   * Applied after redaction: encrypts what is stored with the data subject's key (so
   * erasing the key makes it unreadable); default: stored in the clear.
   */
  readonly sealText?: (text: string) => string;
  /**
   * The instance's writer of session states: state changes go through it, sharing a
   * statement with other sessions' and beside the turn writes (default: each written on
   * its own, in order with the turn writes).
   */
  readonly states?: SessionStateQueue;
}

/**
 * Session persistence through storage's tenant-scoped repositories: the
 * session row follows the state, each turn is recorded when it starts and
 * completed with its texts and latency breakdown (and the session's turn count, in
 * the same statement). Writes run one after another in command order, so a turn is
 * never completed before it exists (state changes given to the instance's queue,
 * `states`, keep their own order there, a later one superseding an earlier one not yet
 * written), and a write that fails for a reason a retry can cure (the database
 * restarting, a dropped connection) is retried with backoff until it lands — a database
 * outage delays the rows, it does not lose them or leave a session that ended looking
 * live. The row is only ever advanced while it has not ended (`sessions.advance`): a
 * session ended elsewhere is fenced, never revived.
 */
export function repositoryPersistence(
  repos: TenantRepositories,
  sessionId: SessionId,
  options: RepositoryPersistenceOptions,
): SessionPersistence & {
  /** Resolves when every write so far has landed or been given up. */
  idle(): Promise<void>;
  /** Gives up the retries in progress (the process is stopping); later writes are dropped. */
  stop(): void;
  /** Whether the session was found ended elsewhere. */
  readonly fenced: boolean;
} {
  const { clock } = options;
  const redact = options.redactText ?? ((t: string) => t);
  const seal = options.sealText;
  const text = seal === undefined ? redact : (t: string) => seal(redact(t));
  const first = options.retryDelayMs ?? 100;
  const max = options.maxRetryDelayMs ?? 5_000;
  let fenced = false;
  let stopped = false;
  // The retries waiting out their backoff (a turn write's and a state change's at once).
  const wakes = new Set<() => void>();
  let chain: Promise<void> = Promise.resolve();
  // State changes through the instance's queue: the latest asked for, and those not yet written.
  let stateVersion = 0;
  const stateWrites = new Set<Promise<void>>();

  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const wake = (): void => {
        clock.clearTimeout(timer);
        wakes.delete(wake);
        resolve();
      };
      const timer = clock.setTimeout(wake, ms);
      wakes.add(wake);
    });

  const attempt = async (work: () => Promise<unknown>): Promise<void> => {
    for (let n = 1; ; n++) {
      if (fenced || stopped) return;
      try {
        await work();
        return;
      } catch (error) {
        if (!isTransientStorageError(error)) throw error;
        const retryInMs = Math.min(first * 2 ** (n - 1), max);
        options.onRetry?.(error, n, retryInMs);
        await pause(retryInMs);
      }
    }
  };

  const enqueue = (work: () => Promise<unknown>): Promise<void> => {
    const next = chain.then(() => attempt(work));
    // The caller sees each failure; the chain goes on with the next write.
    chain = next.catch(() => undefined);
    return next;
  };

  const fence = (): void => {
    if (fenced) return;
    fenced = true;
    options.onFenced?.();
  };

  return {
    sessionState(c) {
      const change = {
        state: c.state,
        ...(c.outcome === undefined ? {} : { outcome: c.outcome }),
        ...(c.closeReason === undefined ? {} : { closeReason: c.closeReason }),
        ...(isTerminalState(c.state) ? { endedAt: new Date(clock.now()) } : {}),
      };
      const { states } = options;
      if (states === undefined) {
        return enqueue(async () => {
          if ((await repos.sessions.advance(sessionId, change)) === undefined) fence();
        });
      }
      // Through the instance's queue, beside the turn writes (which never wait for a
      // state's hold): the queue keeps a session's changes in order, and a retry gives
      // way to a later change, which carries the state on.
      const version = ++stateVersion;
      const write = attempt(async () => {
        if (version !== stateVersion) return;
        const advanced = await states.advance({ tenantId: repos.tenantId, sessionId, ...change });
        if (!advanced) fence();
      });
      stateWrites.add(write);
      const forget = (): void => void stateWrites.delete(write);
      write.then(forget, forget);
      return write;
    },
    turnStarted: (c) =>
      enqueue(() =>
        repos.turns.create({
          id: c.turnId as TurnId,
          sessionId,
          seq: c.seq,
          inputKind: c.input,
          userText: text(c.userText),
        }),
      ),
    turnCompleted: (c) =>
      enqueue(async () => {
        await repos.turns.complete(c.turnId as TurnId, {
          status: c.status,
          userText: text(c.userText),
          assistantText: text(c.assistantText),
          assistantTextGenerated: text(c.assistantTextGenerated),
          interrupted: c.interrupted,
          latency: {
            ...(c.latency.asr_ms === null ? {} : { asrMs: Math.round(c.latency.asr_ms) }),
            ...(c.latency.agent_first_token_ms === null
              ? {}
              : { agentFirstTokenMs: Math.round(c.latency.agent_first_token_ms) }),
            ...(c.latency.tts_first_audio_ms === null
              ? {}
              : { ttsFirstAudioMs: Math.round(c.latency.tts_first_audio_ms) }),
            ...(c.latency.first_audio_sent_ms === null
              ? {}
              : { firstAudioSentMs: Math.round(c.latency.first_audio_sent_ms) }),
            ...(c.latency.voice_to_voice_ms === null
              ? {}
              : { voiceToVoiceMs: Math.round(c.latency.voice_to_voice_ms) }),
          },
        });
      }),
    settingsChanged: (c) =>
      enqueue(async () => {
        const row = await repos.sessions.advance(sessionId, {
          language: c.language,
          providers: { ...c.providers },
          ...(c.assistant === undefined ? {} : { assistant: c.assistant }),
        });
        if (row === undefined) fence();
      }),
    async idle() {
      // A state change held for company is written now.
      options.states?.flush();
      for (;;) {
        const writes = [chain, ...stateWrites];
        await Promise.allSettled(writes);
        if (writes[0] === chain && [...stateWrites].every((w) => writes.includes(w))) return;
      }
    },
    stop() {
      stopped = true;
      for (const wake of [...wakes]) wake();
    },
    get fenced() {
      return fenced;
    },
  };
}
