/**
 * The session's events as an OpenAI Realtime connection shows them: speech started and
 * stopped, transcripts, a response's text and function calls, its end (completed or
 * cancelled with what was heard), the tenant's token quota as `rate_limits`, and the
 * engine's errors as `error` events.
 */
import type { AnyVoiceEvent } from '@prx-voice/event';
import type { RealtimeErrorBody } from './client-events.js';
import type { RealtimeResponses } from './responses.js';
import type { RealtimeUserInput } from './user-input.js';

/** What the mapper feeds, and the state it keeps for the connection. */
export interface EngineEventTarget {
  readonly user: RealtimeUserInput;
  readonly responses: RealtimeResponses;
  readonly sendError: (error: RealtimeErrorBody) => void;
  /** The run of each tool call the agent made (from `agent.tool_call`). */
  readonly callRuns: Map<string, string>;
  /** The latest run an event named. */
  lastRunId: string | undefined;
  /** The `rate_limits` the next `response.done` carries. */
  quotas: Record<string, unknown>[];
}

/** A function that maps each engine event onto `t`. */
export function createEngineEventMapper(t: EngineEventTarget): (event: AnyVoiceEvent) => void {
  const { user, responses, sendError, callRuns } = t;
  return (event: AnyVoiceEvent): void => {
    const runId = event.prxrunid;
    if (runId !== undefined) t.lastRunId = runId;
    switch (event.type) {
      case 'prx.voice.media.vad_started':
        return user.speechStarted(event.data.at_ms);
      case 'prx.voice.media.vad_ended':
        return user.speechStopped(event.data.at_ms);
      case 'prx.voice.asr.transcript_partial':
        return user.partial(event.data.text);
      case 'prx.voice.asr.transcript_final':
        return user.final(event.data.text);
      case 'prx.voice.agent.thinking_started':
        if (runId !== undefined) responses.runStarted(runId);
        return;
      case 'prx.voice.agent.token_stream':
        if (runId !== undefined) responses.token(runId, event.data.text);
        return;
      case 'prx.voice.agent.tool_call':
        if (runId !== undefined) callRuns.set(event.data.call_id, runId);
        return;
      case 'prx.voice.agent.response_complete': {
        const u = event.data.usage;
        if (runId !== undefined && u !== undefined)
          responses.usage(runId, { inputTokens: u.input_tokens, outputTokens: u.output_tokens });
        return;
      }
      // A cancelled run's output was dropped: its response ends with what was heard. This is
      // the only end a run dropped quietly gets (the caller went on before hearing it; its
      // turn reopened); for a barge-in `interrupt.issued` follows with the same text.
      case 'prx.voice.playback.flushed':
        if (runId !== undefined && event.data.heard_text !== undefined)
          responses.finishRun(runId, 'cancelled', event.data.heard_text);
        return;
      case 'prx.voice.interrupt.issued':
        if (runId !== undefined) responses.finishRun(runId, 'cancelled', event.data.heard_text);
        return;
      case 'prx.voice.turn.completed':
        if (runId !== undefined)
          responses.finishRun(
            runId,
            event.data.interrupted ? 'cancelled' : 'completed',
            event.data.assistant_text,
          );
        return;
      case 'prx.voice.governance.quota_consumed':
        t.quotas = rateLimitsOf(t.quotas, event.data);
        return;
      case 'prx.voice.session.error':
      case 'prx.voice.agent.error':
      case 'prx.voice.tts.error':
      case 'prx.voice.asr.error':
        sendError({
          type: 'server_error',
          code: event.data.code.toLowerCase(),
          message: event.data.message,
          param: null,
          event_id: null,
        });
        return;
      default:
        return;
    }
  };
}

/** The `rate_limits` entry of a tenant's token quota with a limit (other quotas have no Realtime name). */
function rateLimitsOf(
  current: Record<string, unknown>[],
  q: { quota: string; used: number; limit: number | null; unit: string },
): Record<string, unknown>[] {
  if (q.limit === null || q.unit !== 'tokens') return current;
  return [{ name: 'tokens', limit: q.limit, remaining: Math.max(0, q.limit - q.used) }];
}
