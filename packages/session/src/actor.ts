/**
 * The session actor: one logical thread owning a session's model and an inbox
 * of inputs. `dispatch` runs the pure reducer and carries out its commands —
 * adapters, timers, output, events, persistence — turning what adapters
 * produce back into inputs tagged with the run that asked for them.
 */
import type { AsrStream } from '@prx-voice/adapter';
import type { TimerHandle } from '@prx-voice/core';
import type { SessionOutcome } from '@prx-voice/types';
import { VoiceError } from '@prx-voice/types';
import type { SessionActor, SessionActorOptions } from './actor-types.js';
import { AudioInput } from './audio-input.js';
import { createSentenceChunker } from './chunker.js';
import { createDropTally } from './drop-tally.js';
import type { SessionCommand, SessionInput, StepContext } from './model.js';
import { createOutputPacer } from './pacer.js';
import type { OutputPacer } from './pacer.js';
import { initialModel, step } from './reducer.js';
import { runToolCalls, toolResultContent } from './tools.js';

interface RunEffects {
  readonly abort: AbortController;
  ttsQueue: Promise<void>;
}

/**
 * Creates a session actor.
 *
 * @example
 * const actor = createSessionActor({ sessionId, tenantId, settings, clock, newId, providers, audio, vad, output, onEvent });
 * actor.start();
 * actor.pushAudio(frame);
 */
export function createSessionActor(o: SessionActorOptions): SessionActor {
  let model = initialModel({ sessionId: o.sessionId, tenantId: o.tenantId, settings: o.settings });
  const inbox: SessionInput[] = [];
  let draining = false;
  const timers = new Map<string, TimerHandle>();
  const runs = new Map<string, RunEffects>();
  const audioIn = new AudioInput(o.audio.inputRate, 500);
  let asr: AsrStream | null = null;
  let closed = false;
  let resolveClosed!: (outcome: SessionOutcome) => void;
  const closedPromise = new Promise<SessionOutcome>((resolve) => {
    resolveClosed = resolve;
  });
  const startedSegments = new Set<string>();
  let asrUsageReports = 0;
  const drops = createDropTally({
    clock: o.clock,
    inputRate: o.audio.inputRate,
    outputRate: o.audio.outputRate,
    report: (input) => dispatch(input),
  });

  const pacer: OutputPacer = createOutputPacer({
    clock: o.clock,
    sampleRate: o.audio.outputRate,
    frameMs: 20,
    leadMs: o.outputLeadMs ?? 200,
    send: (frame, info) => {
      if (!startedSegments.has(info.segmentId)) {
        startedSegments.add(info.segmentId);
        dispatch({ type: 'playback_started', runId: info.runId, segmentId: info.segmentId });
      }
      o.output.sendAudio(frame, info);
    },
    onSegmentSent: (info) => o.output.segmentSent?.(info) ?? false,
    onProgress: (p) => {
      dispatch({
        type: 'playback_progress',
        runId: p.runId,
        segmentId: p.segmentId,
        playedMs: p.playedMs,
        segmentDone: p.segmentDone,
      });
    },
  });

  function dispatch(input: SessionInput): void {
    if (closed) return;
    // Drops not yet reported are reported before the session ends, not lost with it.
    if (input.type === 'end' || input.type === 'transport_closed') drops.flush();
    inbox.push(input);
    if (draining) return;
    draining = true;
    try {
      for (let next = inbox.shift(); next !== undefined; next = inbox.shift()) {
        const minted: string[] = [];
        const ctx: StepContext = {
          now: o.clock.now(),
          newId: (kind) => {
            const id = o.newId(kind);
            minted.push(id);
            return id;
          },
        };
        const result = step(model, next, ctx);
        model = result.model;
        o.onStep?.({
          at: ctx.now,
          input: next,
          ids: minted,
          commands: result.commands,
          state: model.machine.value,
        });
        for (const c of result.commands) execute(c);
      }
    } finally {
      draining = false;
    }
  }

  function execute(c: SessionCommand): void {
    switch (c.type) {
      case 'open_adapters':
        return openAdapters();
      case 'close_adapters':
        return closeAdapters();
      case 'asr_finalize':
        audioIn.stopStreaming();
        asr?.finalize();
        return;
      case 'start_agent':
        return startAgent(c.runId, c.conversation);
      case 'cancel_run': {
        const run = runs.get(c.runId);
        run?.abort.abort();
        runs.delete(c.runId);
        return;
      }
      case 'run_tools':
        return runTools(c.runId, c.calls);
      case 'synthesize':
        return synthesize(c.runId, c.segmentId, c.text);
      case 'pause_output':
        pacer.pause();
        return;
      case 'resume_output':
        pacer.resume();
        return;
      case 'flush_output': {
        const r = pacer.flush(c.runId);
        o.output.clear();
        dispatch({
          type: 'output_flushed',
          runId: c.runId,
          discardedMs: r.discardedMs,
          heard: r.heard,
        });
        return;
      }
      case 'arm_timer': {
        const old = timers.get(c.name);
        if (old !== undefined) o.clock.clearTimeout(old);
        timers.set(
          c.name,
          o.clock.setTimeout(() => {
            timers.delete(c.name);
            dispatch({ type: 'timer', name: c.name, token: c.token });
          }, c.ms),
        );
        return;
      }
      case 'cancel_timer': {
        const old = timers.get(c.name);
        if (old !== undefined) o.clock.clearTimeout(old);
        timers.delete(c.name);
        return;
      }
      case 'emit':
        try {
          o.onEvent({
            type: c.event,
            data: c.data,
            ...(c.turnId === undefined ? {} : { turnId: c.turnId }),
            ...(c.runId === undefined ? {} : { runId: c.runId }),
            ...(c.severity === undefined ? {} : { severity: c.severity }),
          });
        } catch (err) {
          o.onEffectError?.(err, c.type);
        }
        return;
      case 'persist_session':
        persist(c.type, () => o.persistence?.sessionState(c));
        return;
      case 'persist_turn_started':
        persist(c.type, () => o.persistence?.turnStarted(c));
        return;
      case 'persist_turn_completed':
        persist(c.type, () => o.persistence?.turnCompleted(c));
        return;
      case 'close':
        return finish(c.outcome);
    }
  }

  function persist(kind: SessionCommand['type'], run: () => Promise<void> | undefined): void {
    const p = run();
    if (p !== undefined) p.catch((err: unknown) => o.onEffectError?.(err, kind));
  }

  function openAdapters(): void {
    try {
      audioIn.vad = o.providers.vad.open(
        { sampleRate: o.audio.inputRate, ...o.vad },
        (e) => {
          if (e.type === 'speech_start') {
            audioIn.startStreaming();
            dispatch({ type: 'vad_start', atMs: e.atMs });
          } else {
            dispatch({ type: 'vad_end', atMs: e.atMs, speechMs: e.speechMs });
          }
        },
        (err) => dispatch({ type: 'asr_error', code: err.code, message: `VAD: ${err.message}` }),
      );
      asr = o.providers.asr.open({
        sampleRate: o.audio.inputRate,
        language: o.audio.language,
        ...(o.providerOptions?.asr === undefined ? {} : { options: o.providerOptions.asr }),
      });
      audioIn.asr = asr;
      void consumeAsr(asr);
    } catch (err) {
      queueMicrotask(() =>
        dispatch({ type: 'adapters_failed', message: VoiceError.from(err).message }),
      );
      return;
    }
    queueMicrotask(() => dispatch({ type: 'adapters_ready' }));
  }

  async function consumeAsr(stream: AsrStream): Promise<void> {
    try {
      for await (const e of stream) {
        if (e.type === 'partial') dispatch({ type: 'asr_partial', text: e.text });
        else if (e.type === 'final') dispatch({ type: 'asr_final', text: e.text });
        else if (e.type === 'usage' && e.audioMs > 0) {
          asrUsageReports += 1;
          dispatch({
            type: 'provider_usage',
            kind: 'asr',
            quantity: e.audioMs,
            key: `${o.sessionId}:asr:${String(asrUsageReports)}`,
          });
        }
      }
    } catch (err) {
      const e = VoiceError.from(err, 'PROVIDER_ERROR');
      dispatch({ type: 'asr_error', code: e.code, message: e.message });
    }
  }

  function closeAdapters(): void {
    asr?.abort();
    asr = null;
    audioIn.asr = null;
    audioIn.vad?.close();
    audioIn.vad = null;
    for (const run of runs.values()) run.abort.abort();
    runs.clear();
  }

  function runEffects(runId: string): RunEffects {
    let run = runs.get(runId);
    if (run === undefined) {
      run = { abort: new AbortController(), ttsQueue: Promise.resolve() };
      runs.set(runId, run);
    }
    return run;
  }

  function startAgent(
    runId: string,
    conversation: Extract<SessionCommand, { type: 'start_agent' }>['conversation'],
  ): void {
    const run = runEffects(runId);
    const chunker = createSentenceChunker();
    const signal = run.abort.signal;
    void (async () => {
      try {
        const events = o.providers.agent.run({
          conversation,
          tools: o.tools?.definitions() ?? [],
          signal,
          uncommittedChars: () => chunker.pendingLength,
          ...(o.providerOptions?.agent === undefined ? {} : { options: o.providerOptions.agent }),
        });
        for await (const event of events) {
          if (signal.aborted) return;
          if (event.type === 'done') {
            for (const text of chunker.flush()) dispatch({ type: 'agent_chunk', runId, text });
          } else if (event.type === 'rewind') chunker.reset();
          dispatch({ type: 'agent', runId, event });
          if (event.type === 'token') {
            for (const text of chunker.push(event.text))
              dispatch({ type: 'agent_chunk', runId, text });
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        const e = VoiceError.from(err, 'PROVIDER_ERROR');
        dispatch({ type: 'agent_error', runId, code: e.code, message: e.message });
      }
    })();
  }

  function runTools(
    runId: string,
    calls: Extract<SessionCommand, { type: 'run_tools' }>['calls'],
  ): void {
    const run = runEffects(runId);
    const registry = o.tools;
    void (async () => {
      const results =
        registry === undefined
          ? calls.map((c) => ({
              callId: c.id,
              name: c.name,
              ok: false as const,
              durationMs: 0,
              error: { code: 'VALIDATION_FAILED', message: `no tool "${c.name}"` },
            }))
          : await runToolCalls({
              registry,
              calls,
              clock: o.clock,
              signal: run.abort.signal,
              defaultTimeoutMs: o.toolTimeoutMs ?? 10_000,
            });
      dispatch({
        type: 'tool_results',
        runId,
        results: results.map((r) => ({
          callId: r.callId,
          name: r.name,
          ok: r.ok,
          content: toolResultContent(r),
          durationMs: r.durationMs,
          ...(r.error === undefined
            ? {}
            : { error: { code: r.error.code, message: r.error.message } }),
        })),
      });
    })();
  }

  function synthesize(runId: string, segmentId: string, text: string): void {
    const run = runEffects(runId);
    const signal = run.abort.signal;
    // A function, so each check reads the signal anew after an await or a dispatch.
    const aborted = (): boolean => signal.aborted;
    const samplesPerMs = o.audio.outputRate / 1000;
    run.ttsQueue = run.ttsQueue.then(async () => {
      if (aborted()) return;
      try {
        let pendingMs = 0;
        let first = true;
        for await (const e of o.providers.tts.synthesize({
          text,
          sampleRate: o.audio.outputRate,
          language: o.audio.language,
          signal,
          ...(o.providerOptions?.tts === undefined ? {} : { options: o.providerOptions.tts }),
        })) {
          if (aborted()) return;
          if (e.type === 'audio') {
            const chunkMs = e.samples.length / samplesPerMs;
            if (first) {
              // The first audio is reported before it plays, so the state is Speaking when it does.
              first = false;
              dispatch({ type: 'tts_audio', runId, segmentId, durationMs: chunkMs });
              if (aborted()) return;
              pacer.enqueue({ runId, segmentId, samples: e.samples });
              continue;
            }
            pacer.enqueue({ runId, segmentId, samples: e.samples });
            // Later audio is reported at control rate: every 100 ms of it.
            pendingMs += chunkMs;
            if (pendingMs >= 100) {
              dispatch({ type: 'tts_audio', runId, segmentId, durationMs: pendingMs });
              pendingMs = 0;
            }
          } else if (e.type === 'usage') {
            if (e.characters > 0)
              dispatch({
                type: 'provider_usage',
                kind: 'tts',
                quantity: e.characters,
                key: `${segmentId}:tts_characters`,
              });
          } else {
            dispatch({
              type: 'tts_word',
              runId,
              segmentId,
              text: e.text,
              startMs: e.startMs,
              endMs: e.endMs,
            });
          }
        }
        if (aborted()) return;
        if (pendingMs > 0) dispatch({ type: 'tts_audio', runId, segmentId, durationMs: pendingMs });
        pacer.endSegment(segmentId);
        dispatch({ type: 'tts_done', runId, segmentId });
      } catch (err) {
        if (aborted()) return;
        const e = VoiceError.from(err, 'PROVIDER_ERROR');
        dispatch({ type: 'tts_error', runId, segmentId, code: e.code, message: e.message });
      }
    });
  }

  function finish(outcome: SessionOutcome): void {
    drops.close();
    for (const t of timers.values()) o.clock.clearTimeout(t);
    timers.clear();
    pacer.close();
    closed = true;
    o.onClosed?.(outcome);
    resolveClosed(outcome);
  }

  return {
    start: () => dispatch({ type: 'start' }),
    dispatch,
    pushAudio(samples) {
      if (closed) return;
      // Paused: the caller is not listened to; the audio is counted, not processed.
      if (model.machine.value === 'Paused') drops.add('inbound', 'paused', samples.length);
      else audioIn.push(samples);
    },
    audioDropped(direction, reason, samples) {
      if (!closed) drops.add(direction, reason, samples);
    },
    playbackPosition(segmentId, playedMs) {
      pacer.setListenerPosition(segmentId, playedMs);
    },
    get model() {
      return model;
    },
    closed: closedPromise,
  };
}
