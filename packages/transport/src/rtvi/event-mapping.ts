/**
 * The session's events as RTVI server messages. The mapping only translates: the
 * engine has already decided (speech, turns, barge-in); what it keeps here is which
 * segments are still to be heard, so `bot-stopped-speaking` and `bot-tts-stopped` come
 * once the last one was played, or at once when the output is flushed.
 */
import type { AnyVoiceEvent } from '@prx-voice/event';
import { rtviMessage } from './messages.js';
import type { RtviMessage } from './messages.js';

/** Turns session events into RTVI messages; see {@link createRtviEventMapper}. */
export interface RtviEventMapper {
  /** The messages one event becomes (often none), in the order to send them. */
  map(event: AnyVoiceEvent): readonly RtviMessage[];
}

interface Segment {
  readonly text: string;
  /** RTVI's numeric `segment_id` (the session's ids are strings). */
  readonly number: number;
}

/** `bot-output` of a sentence: queued (`new`) or played to its end (`completed`). */
function botOutput(segment: Segment, status: 'new' | 'completed'): RtviMessage {
  return rtviMessage('bot-output', {
    text: segment.text,
    aggregated_by: 'sentence',
    segment_id: segment.number,
    will_be_spoken: true,
    spoken_status: status,
    ...(status === 'completed'
      ? { spoken_progress: { accumulated_text: segment.text, remaining_text: '' } }
      : {}),
  });
}

/**
 * Creates the mapper of one connection. Mapping, event by event:
 * `media.vad_started/ended` → `user-started/stopped-speaking`; `asr.transcript_partial/final`
 * → `user-transcription` (`final` false/true); `agent.thinking_started` → `bot-llm-started`;
 * `agent.token_stream` → `bot-llm-text`; `agent.tool_call` → `bot-llm-stopped`,
 * `llm-function-call-started` and `llm-function-call-in-progress`; `agent.tool_result` →
 * `llm-function-call-stopped`; `agent.response_complete` → `bot-llm-stopped`;
 * `tts.segment_queued` → `bot-tts-started` (first of a run) and `bot-output`
 * (`spoken_status: "new"`); `playback.started` → `bot-started-speaking` (first) and
 * `bot-tts-text`; `playback.completed` → `bot-output` (`completed`), and once nothing
 * is left to play and the answer is complete, `bot-tts-stopped` and `bot-stopped-speaking`;
 * `interrupt.issued` → `bot-interrupted`, `bot-tts-stopped`, `bot-stopped-speaking`;
 * provider and session errors → `error` (`fatal` only for `session.failed`).
 */
export function createRtviEventMapper(): RtviEventMapper {
  const pending = new Map<string, Segment>();
  let nextSegment = 1;
  let llmActive = false;
  let answerComplete = true;
  let ttsActive = false;
  let speaking = false;

  const stopLlm = (out: RtviMessage[]): void => {
    if (llmActive) out.push(rtviMessage('bot-llm-stopped', {}));
    llmActive = false;
  };
  const stopOutput = (out: RtviMessage[]): void => {
    if (ttsActive) out.push(rtviMessage('bot-tts-stopped', {}));
    if (speaking) out.push(rtviMessage('bot-stopped-speaking', {}));
    ttsActive = false;
    speaking = false;
  };
  const maybeDone = (out: RtviMessage[]): void => {
    if (pending.size === 0 && answerComplete) stopOutput(out);
  };
  const error = (message: string, fatal = false): RtviMessage =>
    rtviMessage('error', { error: message, fatal });

  const map = (event: AnyVoiceEvent): RtviMessage[] => {
    const out: RtviMessage[] = [];
    switch (event.type) {
      case 'prx.voice.media.vad_started':
        out.push(rtviMessage('user-started-speaking', {}));
        break;
      case 'prx.voice.media.vad_ended':
        out.push(rtviMessage('user-stopped-speaking', {}));
        break;
      case 'prx.voice.asr.transcript_partial':
      case 'prx.voice.asr.transcript_final':
        out.push(
          rtviMessage('user-transcription', {
            text: event.data.text,
            user_id: '',
            timestamp: event.time,
            final: event.type === 'prx.voice.asr.transcript_final',
          }),
        );
        break;
      case 'prx.voice.agent.thinking_started':
        if (event.data.round === 0) answerComplete = false;
        llmActive = true;
        out.push(rtviMessage('bot-llm-started', {}));
        break;
      case 'prx.voice.agent.token_stream':
        out.push(rtviMessage('bot-llm-text', { text: event.data.text }));
        break;
      case 'prx.voice.agent.tool_call':
        stopLlm(out);
        out.push(
          rtviMessage('llm-function-call-started', { function_name: event.data.name }),
          rtviMessage('llm-function-call-in-progress', {
            function_name: event.data.name,
            tool_call_id: event.data.call_id,
            arguments: event.data.arguments,
          }),
        );
        break;
      case 'prx.voice.agent.tool_result':
        out.push(
          rtviMessage('llm-function-call-stopped', {
            function_name: event.data.name,
            tool_call_id: event.data.call_id,
            cancelled: false,
            result: event.data.ok ? (event.data.result ?? null) : { error: event.data.error },
          }),
        );
        break;
      case 'prx.voice.agent.response_complete':
        stopLlm(out);
        answerComplete = true;
        maybeDone(out);
        break;
      case 'prx.voice.tts.segment_queued': {
        const segment = { text: event.data.text, number: nextSegment++ };
        pending.set(event.data.segment_id, segment);
        if (!ttsActive) out.push(rtviMessage('bot-tts-started', {}));
        ttsActive = true;
        out.push(botOutput(segment, 'new'));
        break;
      }
      case 'prx.voice.playback.started': {
        if (!speaking) out.push(rtviMessage('bot-started-speaking', {}));
        speaking = true;
        const segment = pending.get(event.data.segment_id);
        if (segment !== undefined) out.push(rtviMessage('bot-tts-text', { text: segment.text }));
        break;
      }
      case 'prx.voice.playback.completed': {
        const segment = pending.get(event.data.segment_id);
        pending.delete(event.data.segment_id);
        if (segment !== undefined) out.push(botOutput(segment, 'completed'));
        maybeDone(out);
        break;
      }
      case 'prx.voice.interrupt.issued':
        out.push(rtviMessage('bot-interrupted', {}));
        pending.clear();
        stopLlm(out);
        stopOutput(out);
        break;
      case 'prx.voice.playback.flushed':
      case 'prx.voice.tts.stopped':
        pending.clear();
        stopOutput(out);
        break;
      case 'prx.voice.turn.completed':
        pending.clear();
        answerComplete = true;
        stopLlm(out);
        stopOutput(out);
        break;
      case 'prx.voice.asr.error':
      case 'prx.voice.agent.error':
      case 'prx.voice.tts.error':
        out.push(error(`${event.data.provider}: ${event.data.message}`));
        break;
      case 'prx.voice.session.error':
        out.push(error(event.data.message));
        break;
      case 'prx.voice.session.failed':
        out.push(error(event.data.message, true));
        break;
      default:
        break;
    }
    return out;
  };
  return { map };
}
