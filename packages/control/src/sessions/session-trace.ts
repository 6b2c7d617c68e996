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
import type { TraceAttributes, TraceSpan, VoiceTracing } from '@prx-voice/observe';
import type { RedactionLevel } from '@prx-voice/types';
import { redact, redactValue } from '@prx-voice/types';
import { DeferredSpan } from './deferred-span.js';

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

interface TurnTrace {
  readonly span: TraceSpan;
  /** Spans under it, ended with the turn at the latest. */
  readonly open: Set<DeferredSpan>;
}

/** An agent run: its `chat` span waits for the turn that adopts it (or for being talked over). */
interface RunTrace {
  readonly span: DeferredSpan;
  readonly startAt: number;
  firstTokenAt: number | undefined;
  /** Its segments' `tts` spans, which go where the run goes. */
  readonly segments: DeferredSpan[];
  turn: TurnTrace | undefined;
}

interface SegmentTrace {
  readonly span: DeferredSpan;
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
  const providers: { asr?: string; tts?: string } = {};
  const turns = new Map<string, TurnTrace>();
  /** Every turn's `traceparent`: a late event of an ended turn still belongs to it. */
  const traceparents = new Map<string, string>();
  const runs = new Map<string, RunTrace>();
  const tools = new Map<string, DeferredSpan>();
  const segments = new Map<string, SegmentTrace>();
  /** The caller's speech not yet part of a turn: its first word and final transcript. */
  let utterance: { startAt: number; finalAt?: number; text?: string } | undefined;
  let ended = false;

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
      tracing
        .startSpan('asr', {
          at: utterance.startAt,
          parent: span,
          kind: 'client',
          attributes: {
            'prx.asr.provider': providers.asr,
            'prx.asr.transcript': utterance.text === undefined ? undefined : text(utterance.text),
          },
        })
        .end(utterance.finalAt);
    }
    utterance = undefined;
    return turn;
  };

  const turnOf = (event: AnyVoiceEvent): TurnTrace | undefined =>
    event.prxturnid === undefined ? undefined : turns.get(event.prxturnid);

  /** A run joins its turn: its span and its segments' go under the turn. */
  const adopt = (run: RunTrace, turn: TurnTrace): void => {
    if (run.turn !== undefined) return;
    run.turn = turn;
    run.span.attach(turn.span);
    turn.open.add(run.span);
    for (const segment of run.segments) {
      segment.attach(turn.span);
      turn.open.add(segment);
    }
  };

  /** A run no turn took (a speculative answer the caller talked over) is the session's. */
  const discard = (runId: string, run: RunTrace, at: number): void => {
    run.span.attach(session, { 'prx.agent.speculative': true });
    for (const segment of run.segments) segment.attach(session);
    run.span.end(at);
    for (const segment of run.segments) segment.end(at);
    runs.delete(runId);
  };

  const endSegment = (segmentId: string, at: number, attributes: TraceAttributes): void => {
    const segment = segments.get(segmentId);
    if (segment === undefined) return;
    segment.span.set({
      ...attributes,
      'prx.tts.audio_ms': segment.audioMs,
      'prx.tts.first_audio_ms':
        segment.firstAudioAt === undefined ? undefined : segment.firstAudioAt - segment.queuedAt,
    });
    segment.span.end(at);
    segments.delete(segmentId);
  };

  /** Ends a turn, and what is still open under it. */
  const endTurn = (turnId: string, at: number): void => {
    const turn = turns.get(turnId);
    if (turn === undefined) return;
    for (const [id, segment] of segments) if (turn.open.has(segment.span)) endSegment(id, at, {});
    for (const [id, run] of runs) if (run.turn === turn) runs.delete(id);
    for (const [id, tool] of tools) if (tool.attached && tool.ended) tools.delete(id);
    for (const span of turn.open) span.end(at);
    turn.span.end(at);
    turns.delete(turnId);
  };

  const endAll = (at: number): void => {
    for (const id of [...turns.keys()]) endTurn(id, at);
    for (const [id, run] of [...runs]) discard(id, run, at);
    for (const tool of tools.values()) tool.end(at);
    tools.clear();
    for (const id of [...segments.keys()]) endSegment(id, at, {});
    session.end(at);
    ended = true;
  };

  /** The span an event's point-in-time facts go on: its turn's, else the session's. */
  const current = (event: AnyVoiceEvent): TraceSpan => turnOf(event)?.span ?? session;

  const observe = (event: AnyVoiceEvent): void => {
    if (ended) return;
    const at = clock.now();
    const runId = event.prxrunid;
    const run = runId === undefined ? undefined : runs.get(runId);
    // The first event of a run with its turn: the turn adopted the run.
    const turn = turnOf(event);
    if (run !== undefined && turn !== undefined) adopt(run, turn);
    switch (event.type) {
      case 'prx.voice.session.created': {
        const p = event.data.providers;
        if (p.asr !== undefined) providers.asr = p.asr;
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
        if (runId === undefined) return;
        if (run !== undefined) {
          run.span.event('tool_round', at, { 'prx.agent.round': event.data.round });
          return;
        }
        // A new run: earlier runs no turn took were talked over.
        for (const [id, r] of [...runs]) if (r.turn === undefined) discard(id, r, at);
        const model = event.data.model;
        const started: RunTrace = {
          span: new DeferredSpan(tracing, model === undefined ? 'chat' : `chat ${model}`, at, {
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': event.data.provider,
            'gen_ai.request.model': model,
            'prx.run.id': runId,
          }),
          startAt: at,
          firstTokenAt: undefined,
          segments: [],
          turn: undefined,
        };
        runs.set(runId, started);
        if (turn !== undefined) adopt(started, turn);
        return;
      }
      case 'prx.voice.agent.token_stream':
        if (run !== undefined) run.firstTokenAt ??= at;
        return;
      case 'prx.voice.agent.tool_call': {
        const attributes = {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': event.data.name,
          'gen_ai.tool.call.id': event.data.call_id,
          'gen_ai.tool.call.arguments': includeText
            ? JSON.stringify(redactValue(event.data.arguments, { level }))
            : undefined,
        };
        const name = `execute_tool ${event.data.name}`;
        let span: DeferredSpan;
        if (run !== undefined) span = run.span.child(name, at, attributes, 'internal');
        else {
          span = new DeferredSpan(tracing, name, at, attributes, 'internal');
          span.attach(current(event));
        }
        tools.set(event.data.call_id, span);
        return;
      }
      case 'prx.voice.agent.tool_result': {
        const span = tools.get(event.data.call_id);
        if (span === undefined) return;
        tools.delete(event.data.call_id);
        if (!event.data.ok) span.fail(event.data.error.code, event.data.error.message);
        span.end(at);
        return;
      }
      case 'prx.voice.agent.response_complete': {
        if (run === undefined) return;
        run.span.set({
          'gen_ai.response.finish_reasons': [event.data.finish_reason],
          'gen_ai.usage.input_tokens': event.data.usage?.input_tokens,
          'gen_ai.usage.output_tokens': event.data.usage?.output_tokens,
          'gen_ai.response.time_to_first_chunk':
            run.firstTokenAt === undefined ? undefined : (run.firstTokenAt - run.startAt) / 1000,
          'prx.agent.tool_rounds': event.data.tool_rounds,
          'prx.agent.answer': text(event.data.text),
        });
        run.span.end(at);
        return;
      }
      case 'prx.voice.agent.error':
      case 'prx.voice.asr.error':
      case 'prx.voice.tts.error': {
        const target: Pick<TraceSpan, 'event' | 'fail'> =
          event.type === 'prx.voice.agent.error' && run !== undefined ? run.span : current(event);
        target.event('provider_error', at, {
          'prx.adapter.kind': event.type.split('.')[2],
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
        const span = new DeferredSpan(tracing, 'tts', at, {
          'prx.tts.provider': providers.tts,
          'prx.tts.segment_id': event.data.segment_id,
          'prx.tts.characters': event.data.text.length,
          'prx.tts.text': text(event.data.text),
        });
        if (run !== undefined) {
          run.segments.push(span);
          if (run.turn !== undefined) {
            span.attach(run.turn.span);
            run.turn.open.add(span);
          }
        } else {
          span.attach(current(event));
          turn?.open.add(span);
        }
        segments.set(event.data.segment_id, {
          span,
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
        if (event.data.segment_id !== undefined)
          endSegment(event.data.segment_id, at, {
            'prx.playback.played_ms': event.data.played_ms,
            'prx.playback.flushed': true,
          });
        // What was queued behind it is discarded too.
        for (const [id, segment] of segments)
          if (run?.segments.includes(segment.span) === true)
            endSegment(id, at, { 'prx.playback.flushed': true });
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
        const completed = turns.get(event.data.turn_id);
        if (completed === undefined) return;
        const attributes: Record<string, number | boolean | string | undefined> = {
          'prx.turn.interrupted': event.data.interrupted,
          'prx.turn.user_text': text(event.data.user_text),
          'prx.turn.assistant_text': text(event.data.assistant_text),
        };
        for (const [field, key] of LATENCY_ATTRIBUTES) {
          const ms = event.data.latency[field];
          if (ms !== null) attributes[key] = ms;
        }
        completed.span.set(attributes);
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
