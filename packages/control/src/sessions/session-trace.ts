/**
 * A session's trace, built from what the session emits: a `session` span for
 * its life; a `turn` span per committed turn, from the caller's first word to
 * `turn.completed`; under a turn, `asr` (speech start → final transcript), the
 * agent run as a GenAI `chat {model}` span with the provider's token usage,
 * one `execute_tool {name}` span per tool call, and one `tts` span per segment
 * (queued → played out, flushed or stopped); barge-ins are events on the turn
 * span with the position the caller had heard.
 *
 * The session's emitter asks {@link SessionTrace.traceparentOf} for each event's
 * `traceparent` (the turn's span when it has a turn, else the session's), so an
 * event and its span share ids. A turn is committed only once the end of turn is
 * decided: the events before that (speech, transcripts, a speculative run's
 * start) belong to the session, and the turn span is opened then with the times
 * those events recorded. Span times are the session clock's.
 *
 * Transcripts, answers and tool arguments are span attributes only when
 * `includeText` is on, and then after redaction.
 */
import type { Clock } from '@prx-voice/core';
import type { AnyVoiceEvent } from '@prx-voice/event';
import type { TraceSpan, VoiceTracing } from '@prx-voice/observe';
import type { RedactionLevel } from '@prx-voice/types';
import { redact, redactValue } from '@prx-voice/types';

/** How a session is traced. */
export interface SessionTraceOptions {
  readonly tracing: VoiceTracing;
  readonly clock: Pick<Clock, 'now'>;
  readonly sessionId: string;
  readonly tenantId: string;
  /** The caller's `traceparent` (from session creation): the session span's parent. */
  readonly parent?: string | undefined;
  /** Put transcripts, answers and tool arguments on spans (redacted at `redaction`). */
  readonly includeText?: boolean;
  readonly redaction?: RedactionLevel;
}

/** One session's trace. */
export interface SessionTrace {
  /** The session span's `traceparent`. */
  readonly traceparent: string;
  /** The `traceparent` of an event of `turnId` (opening the turn's span on its first event). */
  readonly traceparentOf: (turnId: string | undefined) => string;
  /** Feeds one emitted event (a sink of the session's emitter). */
  readonly observe: (event: AnyVoiceEvent) => void;
  /** Ends every open span (the session is gone without a terminal event). */
  readonly end: () => void;
}

interface RunTrace {
  readonly startAt: number;
  readonly provider: string;
  readonly model: string | undefined;
  firstTokenAt: number | undefined;
  span: TraceSpan | undefined;
  turn: TurnTrace | undefined;
}

interface TurnTrace {
  readonly span: TraceSpan;
  /** Open child spans, ended with the turn at the latest. */
  readonly open: Set<TraceSpan>;
}

interface SegmentTrace {
  readonly span: TraceSpan;
  readonly turn: TurnTrace | undefined;
  readonly queuedAt: number;
  firstAudioAt: number | undefined;
  audioMs: number;
}

const LATENCY_ATTRIBUTES = [
  ['asr_ms', 'prx.latency.asr_ms'],
  ['agent_first_token_ms', 'prx.latency.agent_first_token_ms'],
  ['tts_first_audio_ms', 'prx.latency.tts_first_audio_ms'],
  ['first_audio_sent_ms', 'prx.latency.first_audio_sent_ms'],
  ['voice_to_voice_ms', 'prx.latency.voice_to_voice_ms'],
] as const;

/** Starts a session's trace: its `session` span starts now. */
export function createSessionTrace(options: SessionTraceOptions): SessionTrace {
  const { tracing, clock } = options;
  const includeText = options.includeText ?? false;
  const level = options.redaction ?? 'basic';
  const text = (value: string): string | undefined =>
    includeText ? redact(value, { level }) : undefined;
  const session = tracing.startSpan('session', {
    at: clock.now(),
    parent: options.parent,
    kind: 'server',
    attributes: {
      'prx.session.id': options.sessionId,
      'prx.tenant.id': options.tenantId,
      'gen_ai.conversation.id': options.sessionId,
    },
  });
  const providers: { asr?: string; agent?: string; tts?: string } = {};
  const turns = new Map<string, TurnTrace>();
  const runs = new Map<string, RunTrace>();
  const tools = new Map<
    string,
    { readonly span: TraceSpan; readonly turn: TurnTrace | undefined }
  >();
  /** Every turn's `traceparent`: a late event of an ended turn still belongs to it. */
  const traceparents = new Map<string, string>();
  const segments = new Map<string, SegmentTrace>();
  /** The caller's speech not yet part of a turn: its first word and final transcript. */
  let utterance: { startAt: number; finalAt?: number; text?: string } | undefined;
  let ended = false;

  const child = (
    turn: TurnTrace | undefined,
    name: string,
    at: number,
    attributes: Parameters<VoiceTracing['startSpan']>[1]['attributes'],
    parent?: TraceSpan,
    kind: 'internal' | 'client' = 'client',
  ): TraceSpan => {
    const span = tracing.startSpan(name, {
      at,
      parent: parent ?? turn?.span ?? session,
      kind,
      ...(attributes === undefined ? {} : { attributes }),
    });
    turn?.open.add(span);
    return span;
  };
  const close = (turn: TurnTrace | undefined, span: TraceSpan, at: number): void => {
    span.end(at);
    turn?.open.delete(span);
  };

  const openTurn = (turnId: string): TurnTrace => {
    const now = clock.now();
    const startAt = utterance?.startAt ?? now;
    const span = tracing.startSpan('turn', {
      at: startAt,
      parent: session,
      attributes: { 'prx.turn.id': turnId },
    });
    const turn: TurnTrace = { span, open: new Set() };
    turns.set(turnId, turn);
    traceparents.set(turnId, span.traceparent);
    if (utterance?.finalAt !== undefined) {
      const asr = child(turn, 'asr', utterance.startAt, {
        'prx.asr.provider': providers.asr,
        'prx.asr.transcript': utterance.text === undefined ? undefined : text(utterance.text),
      });
      close(turn, asr, utterance.finalAt);
    }
    utterance = undefined;
    return turn;
  };

  const turnOf = (event: AnyVoiceEvent): TurnTrace | undefined =>
    event.prxturnid === undefined ? undefined : turns.get(event.prxturnid);

  /** The agent span of a run, opened once the run belongs to a turn (or is ending without one). */
  const runSpan = (runId: string, turn: TurnTrace | undefined): TraceSpan | undefined => {
    const run = runs.get(runId);
    if (run === undefined) return undefined;
    if (run.span === undefined && turn !== undefined) {
      run.turn = turn;
      run.span = child(turn, run.model === undefined ? 'chat' : `chat ${run.model}`, run.startAt, {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': run.provider,
        'gen_ai.request.model': run.model,
        'prx.run.id': runId,
      });
    }
    return run.span;
  };

  const endRun = (runId: string, turn: TurnTrace | undefined, at: number): void => {
    const run = runs.get(runId);
    if (run === undefined) return;
    // A run that never joined a turn (a speculative answer the caller talked over) is the session's.
    const span =
      runSpan(runId, turn) ??
      child(undefined, run.model === undefined ? 'chat' : `chat ${run.model}`, run.startAt, {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': run.provider,
        'gen_ai.request.model': run.model,
        'prx.run.id': runId,
        'prx.agent.speculative': true,
      });
    if (run.firstTokenAt !== undefined)
      span.set({ 'gen_ai.response.time_to_first_chunk': (run.firstTokenAt - run.startAt) / 1000 });
    close(run.turn, span, at);
    runs.delete(runId);
  };

  const endSegment = (segmentId: string, at: number, attributes: Record<string, unknown>): void => {
    const segment = segments.get(segmentId);
    if (segment === undefined) return;
    segment.span.set({
      ...(attributes as Record<string, number | string | boolean>),
      'prx.tts.audio_ms': segment.audioMs,
      'prx.tts.first_audio_ms':
        segment.firstAudioAt === undefined ? undefined : segment.firstAudioAt - segment.queuedAt,
    });
    close(segment.turn, segment.span, at);
    segments.delete(segmentId);
  };

  /** Ends a turn's open spans and the turn. */
  const endTurn = (turnId: string, at: number): void => {
    const turn = turns.get(turnId);
    if (turn === undefined) return;
    for (const [id, segment] of segments) if (segment.turn === turn) endSegment(id, at, {});
    for (const [id, run] of runs) if (run.turn === turn) endRun(id, turn, at);
    for (const [id, tool] of tools) if (tool.turn === turn) tools.delete(id);
    for (const span of turn.open) span.end(at);
    turn.span.end(at);
    turns.delete(turnId);
  };

  const endAll = (at: number): void => {
    for (const id of [...turns.keys()]) endTurn(id, at);
    for (const id of [...runs.keys()]) endRun(id, undefined, at);
    for (const tool of tools.values()) tool.span.end(at);
    tools.clear();
    for (const id of [...segments.keys()]) endSegment(id, at, {});
    session.end(at);
    ended = true;
  };

  const current = (event: AnyVoiceEvent): TraceSpan => turnOf(event)?.span ?? session;

  const observe = (event: AnyVoiceEvent): void => {
    if (ended) return;
    const at = clock.now();
    switch (event.type) {
      case 'prx.voice.session.created': {
        const p = event.data.providers;
        if (p.asr !== undefined) providers.asr = p.asr;
        if (p.agent !== undefined) providers.agent = p.agent;
        if (p.tts !== undefined) providers.tts = p.tts;
        session.set({
          'prx.session.channel': event.data.channel,
          'prx.session.direction': event.data.direction,
          'prx.session.language': event.data.language,
          'prx.asr.provider': p.asr,
          'gen_ai.provider.name': p.agent,
          'prx.tts.provider': p.tts,
        });
        return;
      }
      case 'prx.voice.media.vad_started':
        utterance ??= { startAt: at };
        return;
      case 'prx.voice.asr.transcript_final':
        utterance ??= { startAt: at };
        utterance.finalAt = at;
        utterance.text =
          utterance.text === undefined ? event.data.text : `${utterance.text} ${event.data.text}`;
        return;
      case 'prx.voice.agent.thinking_started': {
        const runId = event.prxrunid;
        if (runId === undefined) return;
        const run = runs.get(runId);
        if (run === undefined) {
          runs.set(runId, {
            startAt: at,
            provider: event.data.provider,
            model: event.data.model,
            firstTokenAt: undefined,
            span: undefined,
            turn: undefined,
          });
          runSpan(runId, turnOf(event));
        } else {
          run.span?.event('tool_round', at, { 'prx.agent.round': event.data.round });
        }
        return;
      }
      case 'prx.voice.agent.token_stream': {
        if (event.prxrunid === undefined) return;
        const run = runs.get(event.prxrunid);
        if (run !== undefined) run.firstTokenAt ??= at;
        runSpan(event.prxrunid, turnOf(event));
        return;
      }
      case 'prx.voice.agent.tool_call': {
        const turn = turnOf(event);
        const parent = event.prxrunid === undefined ? undefined : runSpan(event.prxrunid, turn);
        const span = child(
          turn,
          `execute_tool ${event.data.name}`,
          at,
          {
            'gen_ai.operation.name': 'execute_tool',
            'gen_ai.tool.name': event.data.name,
            'gen_ai.tool.call.id': event.data.call_id,
            'gen_ai.tool.call.arguments': includeText
              ? JSON.stringify(redactValue(event.data.arguments, { level }))
              : undefined,
          },
          parent,
          'internal',
        );
        tools.set(event.data.call_id, { span, turn });
        return;
      }
      case 'prx.voice.agent.tool_result': {
        const tool = tools.get(event.data.call_id);
        if (tool === undefined) return;
        tools.delete(event.data.call_id);
        if (!event.data.ok) tool.span.fail(event.data.error.code, event.data.error.message);
        close(tool.turn, tool.span, at);
        return;
      }
      case 'prx.voice.agent.response_complete': {
        if (event.prxrunid === undefined) return;
        const turn = turnOf(event);
        const span = runSpan(event.prxrunid, turn);
        span?.set({
          'gen_ai.response.finish_reasons': [event.data.finish_reason],
          'gen_ai.usage.input_tokens': event.data.usage?.input_tokens,
          'gen_ai.usage.output_tokens': event.data.usage?.output_tokens,
          'prx.agent.tool_rounds': event.data.tool_rounds,
          'prx.agent.answer': text(event.data.text),
        });
        endRun(event.prxrunid, turn, at);
        return;
      }
      case 'prx.voice.agent.error':
      case 'prx.voice.asr.error':
      case 'prx.voice.tts.error': {
        const kind = event.type.split('.')[2] as string;
        const turn = turnOf(event);
        const target =
          event.type === 'prx.voice.agent.error' && event.prxrunid !== undefined
            ? (runSpan(event.prxrunid, turn) ?? current(event))
            : current(event);
        target.event('provider_error', at, {
          'prx.adapter.kind': kind,
          'prx.provider': event.data.provider,
          'error.type': event.data.code,
          'prx.fallback': event.data.fallback,
        });
        if (event.data.fallback !== true) target.fail(event.data.code, event.data.message);
        return;
      }
      case 'prx.voice.adapter.fallback':
        current(event).event('fallback', at, {
          'prx.adapter.kind': event.data.kind,
          'prx.fallback.from': event.data.from,
          'prx.fallback.to': event.data.to,
        });
        return;
      case 'prx.voice.tts.segment_queued': {
        const turn = turnOf(event);
        const span = child(turn, 'tts', at, {
          'prx.tts.provider': providers.tts,
          'prx.tts.segment_id': event.data.segment_id,
          'prx.tts.characters': event.data.text.length,
          'prx.tts.text': text(event.data.text),
        });
        segments.set(event.data.segment_id, {
          span,
          turn,
          queuedAt: at,
          firstAudioAt: undefined,
          audioMs: 0,
        });
        return;
      }
      case 'prx.voice.tts.chunk_ready': {
        const segment = segments.get(event.data.segment_id);
        if (segment === undefined) return;
        segment.firstAudioAt ??= at;
        segment.audioMs += event.data.duration_ms;
        return;
      }
      case 'prx.voice.playback.started':
        segments.get(event.data.segment_id)?.span.event('playback_started', at);
        return;
      case 'prx.voice.playback.completed':
        endSegment(event.data.segment_id, at, { 'prx.playback.played_ms': event.data.played_ms });
        return;
      case 'prx.voice.playback.flushed': {
        const turn = turnOf(event);
        if (event.data.segment_id !== undefined)
          endSegment(event.data.segment_id, at, {
            'prx.playback.played_ms': event.data.played_ms,
            'prx.playback.flushed': true,
          });
        for (const [id, segment] of segments)
          if (segment.turn === turn) endSegment(id, at, { 'prx.playback.flushed': true });
        return;
      }
      case 'prx.voice.tts.stopped':
        if (event.data.segment_id !== undefined)
          endSegment(event.data.segment_id, at, { 'prx.tts.stopped': event.data.reason });
        return;
      case 'prx.voice.interrupt.issued':
        current(event).event('barge_in', at, {
          'prx.interrupt.reason': event.data.reason,
          'prx.interrupt.heard_text':
            event.data.heard_text === undefined ? undefined : text(event.data.heard_text),
        });
        return;
      case 'prx.voice.interrupt.resolved':
        current(event).event('barge_in.resolved', at, {
          'prx.playback.played_ms': event.data.played_ms,
          'prx.interrupt.heard_text': text(event.data.heard_text),
        });
        return;
      case 'prx.voice.interrupt.false_resumed':
        // The caller's words were an acknowledgement or noise: not the start of a turn.
        utterance = undefined;
        current(event).event('barge_in.false_resumed', at, {
          'prx.interrupt.false_reason': event.data.reason,
          'prx.interrupt.overlap_ms': event.data.overlap_ms,
          'prx.interrupt.waited_ms': event.data.waited_ms,
          'prx.playback.resume_at_ms': event.data.resume_at_ms,
        });
        return;
      case 'prx.voice.turn.completed': {
        const turn = turns.get(event.data.turn_id);
        if (turn === undefined) return;
        const attributes: Record<string, number | boolean | string | undefined> = {
          'prx.turn.interrupted': event.data.interrupted,
          'prx.turn.user_text': text(event.data.user_text),
          'prx.turn.assistant_text': text(event.data.assistant_text),
        };
        for (const [field, key] of LATENCY_ATTRIBUTES) {
          const ms = event.data.latency[field];
          if (ms !== null) attributes[key] = ms;
        }
        turn.span.set(attributes);
        endTurn(event.data.turn_id, at);
        return;
      }
      case 'prx.voice.session.closed':
        session.set({
          'prx.session.outcome': event.data.outcome,
          'prx.session.close_reason': event.data.reason,
        });
        endAll(at);
        return;
      case 'prx.voice.session.failed':
        session.fail(event.data.code, event.data.message);
        endAll(at);
        return;
      default:
        return;
    }
  };

  return {
    traceparent: session.traceparent,
    traceparentOf: (turnId) => {
      if (turnId === undefined) return session.traceparent;
      return (
        traceparents.get(turnId) ??
        (ended ? session.traceparent : openTurn(turnId).span.traceparent)
      );
    },
    observe,
    end: () => {
      if (!ended) endAll(clock.now());
    },
  };
}
