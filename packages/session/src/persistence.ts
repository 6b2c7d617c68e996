import type { TenantRepositories } from '@prx-voice/storage';
import { isTerminalState } from '@prx-voice/types';
import type { SessionId, TurnId } from '@prx-voice/types';
import type { SessionPersistence } from './actor-types.js';

/**
 * Session persistence through storage's tenant-scoped repositories: the
 * session row follows the state, each turn is recorded when it starts and
 * completed with its texts and latency breakdown (and the session's turn count, in
 * the same transaction). Writes run one after
 * another in command order, so a turn is never completed before it exists.
 */
export function repositoryPersistence(
  repos: TenantRepositories,
  sessionId: SessionId,
  clock: { now(): number },
): SessionPersistence & { idle(): Promise<void> } {
  let chain: Promise<void> = Promise.resolve();
  const enqueue = (work: () => Promise<unknown>): Promise<void> => {
    const next = chain.then(async () => {
      await work();
    });
    // The caller sees each failure; the chain goes on with the next write.
    chain = next.catch(() => undefined);
    return next;
  };
  return {
    sessionState: (c) =>
      enqueue(() =>
        repos.sessions.update(sessionId, {
          state: c.state,
          ...(c.outcome === undefined ? {} : { outcome: c.outcome }),
          ...(c.closeReason === undefined ? {} : { closeReason: c.closeReason }),
          ...(isTerminalState(c.state) ? { endedAt: new Date(clock.now()) } : {}),
        }),
      ),
    turnStarted: (c) =>
      enqueue(() =>
        repos.turns.create({
          id: c.turnId as TurnId,
          sessionId,
          seq: c.seq,
          inputKind: c.input,
          userText: c.userText,
        }),
      ),
    turnCompleted: (c) =>
      enqueue(async () => {
        await repos.turns.complete(c.turnId as TurnId, {
          status: c.status,
          userText: c.userText,
          assistantText: c.assistantText,
          assistantTextGenerated: c.assistantTextGenerated,
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
    idle: () => chain,
  };
}
