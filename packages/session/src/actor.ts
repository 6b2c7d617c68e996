/**
 * The session actor: one logical thread owning a session's model and an inbox
 * of inputs. `dispatch` runs the pure reducer and carries out its commands —
 * adapters, timers, output, events, persistence — turning what adapters
 * produce back into inputs tagged with the run that asked for them.
 */
import type { ConversationMessage } from '@prx-voice/adapter';
import type { TimerHandle } from '@prx-voice/core';
import type { SessionOutcome } from '@prx-voice/types';
import { VoiceError } from '@prx-voice/types';
import type { EmittedEvent, SessionActor, SessionActorOptions } from './actor-types.js';
import { AudioInput } from './audio-input.js';
import { createDropTally } from './drop-tally.js';
import { createDtmfCollector, dtmfText } from './dtmf.js';
import { createRecognition } from './recognition.js';
import { createRunEffects } from './run-effects.js';
import type { SessionRuntime } from './run-effects.js';
import type { ApplySettings } from './settings-update.js';
import type { SessionCommand, SessionInput, StepContext } from './model.js';
import { createOutputPacer } from './pacer.js';
import type { OutputPacer } from './pacer.js';
import { initialModel, step } from './reducer/step.js';

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
  const audioIn = new AudioInput(o.audio.inputRate, 500);
  let closed = false;
  let resolveClosed!: (outcome: SessionOutcome) => void;
  const closedPromise = new Promise<SessionOutcome>((resolve) => {
    resolveClosed = resolve;
  });
  const startedSegments = new Set<string>();
  let eotAbort: AbortController | undefined;
  let handoff: { readonly id: number; readonly abort: AbortController } | undefined;
  const drops = createDropTally({
    clock: o.clock,
    inputRate: o.audio.inputRate,
    outputRate: o.audio.outputRate,
    report: (input) => dispatch(input),
  });

  const keypad = createDtmfCollector({
    clock: o.clock,
    ...(o.settings.dtmf === undefined ? {} : { settings: o.settings.dtmf }),
    onKey: (digit, source) => {
      emitEvent({ type: 'prx.voice.media.dtmf', data: { digits: digit, source, complete: false } });
    },
    onComplete: (s) => {
      emitEvent({
        type: 'prx.voice.media.dtmf',
        data: { digits: s.digits, source: s.source, complete: true, reason: s.reason },
      });
      dispatch({ type: 'text_input', text: dtmfText(s.digits) });
    },
  });

  /** Hands an event the actor makes itself (not the reducer) to the sink. */
  function emitEvent(event: EmittedEvent): void {
    try {
      o.onEvent(event);
    } catch (err) {
      o.onEffectError?.(err, 'emit');
    }
  }

  const pacer: OutputPacer = createOutputPacer({
    clock: o.outputTicks ?? o.clock,
    ...(o.outputTicks === undefined ? {} : { wakeLateMs: o.outputTicks.slotMs }),
    sampleRate: o.audio.outputRate,
    frameMs: 20,
    leadMs: o.outputLeadMs ?? 200,
    ...(o.onPacingLateness === undefined ? {} : { onWake: o.onPacingLateness }),
    send: (frame, info) => {
      if (!startedSegments.has(info.segmentId)) {
        startedSegments.add(info.segmentId);
        dispatch({ type: 'playback_started', runId: info.runId, segmentId: info.segmentId });
      }
      o.output.sendAudio(frame, info);
      o.recorder?.bot(frame);
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

  // What the session runs with now; a settings update changes it at a turn boundary.
  const runtime: SessionRuntime = {
    providers: o.providers,
    providerOptions: { ...o.providerOptions },
    language: o.audio.language,
    tools: o.tools,
  };
  const recognition = createRecognition({
    sessionId: o.sessionId,
    sampleRate: o.audio.inputRate,
    runtime,
    audioIn,
    dispatch: (input) => dispatch(input),
  });
  const runs = createRunEffects({
    options: o,
    runtime,
    pacer,
    dispatch: (input) => dispatch(input),
  });

  /** Effects that must wait until the inbox is empty (the events they cause come in order). */
  const afterDrain: (() => void)[] = [];

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
    // Not draining now: what these cause (a frame's playback.started) is processed before they go on.
    for (let run = afterDrain.shift(); run !== undefined; run = afterDrain.shift()) run();
  }

  function execute(c: SessionCommand): void {
    switch (c.type) {
      case 'open_adapters':
        return openAdapters();
      case 'close_adapters':
        return closeAdapters();
      case 'asr_finalize':
        return recognition.finalize();
      case 'start_agent':
        return runs.startAgent(c.runId, c.conversation, c.script, c.tools);
      case 'cancel_run':
        return runs.cancel(c.runId, c.keepTools);
      case 'run_tools':
        return runs.runTools(c.runId, c.calls);
      case 'synthesize':
        return runs.synthesize(c.runId, c.segmentId, c.text);
      // Both after the step's events are out, in order: a resumed segment's first frame follows its
      // playback.started, and a hold right after a release still holds.
      case 'pause_output':
        afterDrain.push(() => pacer.pause());
        return;
      case 'resume_output':
        afterDrain.push(() => pacer.resume());
        return;
      case 'duck_output':
        pacer.setGain(c.gain);
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
          o.onEffectError?.(err, c.type, c);
        }
        return;
      case 'persist_session':
        persist(c.type, () => o.persistence?.sessionState(c));
        return;
      case 'persist_turn_started':
        persist(c.type, () => o.persistence?.turnStarted(c), c);
        return;
      case 'persist_turn_completed':
        persist(c.type, () => o.persistence?.turnCompleted(c), c);
        return;
      case 'persist_settings':
        persist(c.type, () => o.persistence?.settingsChanged?.(c));
        return;
      case 'apply_settings':
        return applySettings(c);
      case 'predict_end_of_turn':
        return predictEndOfTurn(c.text, c.context);
      case 'perform_handoff':
        return performHandoff(c.handoffId, c.request);
      case 'cancel_handoff':
        if (handoff?.id === c.handoffId) handoff.abort.abort();
        return;
      case 'close':
        return finish(c.outcome);
    }
  }

  function persist(
    kind: SessionCommand['type'],
    run: () => Promise<void> | undefined,
    ids?: { readonly turnId?: string },
  ): void {
    const p = run();
    if (p !== undefined) p.catch((err: unknown) => o.onEffectError?.(err, kind, ids));
  }

  function openAdapters(): void {
    try {
      audioIn.vad = o.providers.vad.open(
        { sampleRate: o.audio.inputRate, ...o.vad },
        (e) => {
          const detectedAtMs = audioIn.positionMs;
          if (e.type === 'speech_start') {
            audioIn.startStreaming();
            dispatch({ type: 'vad_start', atMs: e.atMs, detectedAtMs });
          } else {
            dispatch({ type: 'vad_end', atMs: e.atMs, speechMs: e.speechMs, detectedAtMs });
          }
        },
        (err) => dispatch({ type: 'asr_error', code: err.code, message: `VAD: ${err.message}` }),
      );
      recognition.open();
    } catch (err) {
      queueMicrotask(() =>
        dispatch({ type: 'adapters_failed', message: VoiceError.from(err).message }),
      );
      return;
    }
    queueMicrotask(() => dispatch({ type: 'adapters_ready' }));
  }

  /**
   * A settings change at a turn boundary: the new providers and tools from the owner's
   * hook, the language and options in force, the recognition stream reopened if asked.
   */
  function applySettings(c: ApplySettings): void {
    try {
      const applied = o.applySettings?.(c);
      const p = applied?.providers;
      if (p !== undefined) runtime.providers = { ...runtime.providers, ...p };
      if (applied?.tools !== undefined) runtime.tools = applied.tools ?? undefined;
    } catch (err) {
      o.onEffectError?.(err, c.type);
    }
    runtime.language = c.language;
    runtime.providerOptions = { ...runtime.providerOptions, ...c.providerOptions };
    if (c.reopenAsr) recognition.reopen();
  }

  /** Asks the end-of-turn model; a late or failed answer only leaves the heuristic in charge. */
  function predictEndOfTurn(text: string, context: readonly ConversationMessage[]): void {
    const model = o.endOfTurn;
    if (model === undefined) return;
    eotAbort?.abort();
    const abort = new AbortController();
    eotAbort = abort;
    model
      .predict({ language: runtime.language, transcript: text, context, signal: abort.signal })
      .then((probability) => {
        if (!abort.signal.aborted) dispatch({ type: 'end_of_turn', text, probability });
      })
      .catch((err: unknown) => {
        if (!abort.signal.aborted) o.onEffectError?.(err, 'predict_end_of_turn');
      });
  }

  /** Carries a handoff out; its outcome (unless given up on) comes back as `handoff_result`. */
  function performHandoff(
    handoffId: number,
    request: Extract<SessionCommand, { type: 'perform_handoff' }>['request'],
  ): void {
    handoff?.abort.abort();
    const abort = new AbortController();
    handoff = { id: handoffId, abort };
    const performer = o.handoff;
    const done = performer
      ? Promise.resolve().then(() => performer.perform(request, abort.signal))
      : Promise.reject(
          new VoiceError('NOT_IMPLEMENTED', {
            message: "this session's transport cannot hand a call off",
          }),
        );
    done.then(
      () => {
        if (!abort.signal.aborted) dispatch({ type: 'handoff_result', handoffId, ok: true });
      },
      (err: unknown) => {
        if (abort.signal.aborted) return;
        const e = VoiceError.from(err, 'PROVIDER_ERROR');
        dispatch({
          type: 'handoff_result',
          handoffId,
          ok: false,
          error: { code: e.code, message: e.message },
        });
      },
    );
  }

  function closeAdapters(): void {
    eotAbort?.abort();
    recognition.close();
    audioIn.vad?.close();
    audioIn.vad = null;
    runs.cancelAll();
  }

  function finish(outcome: SessionOutcome): void {
    handoff?.abort.abort();
    drops.close();
    keypad.close();
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
      o.recorder?.caller(samples);
      // Paused: the caller is not listened to; the audio is counted, not processed.
      if (model.machine.value === 'Paused') drops.add('inbound', 'paused', samples.length);
      else audioIn.push(samples);
    },
    audioDropped(direction, reason, samples) {
      if (!closed) drops.add(direction, reason, samples);
    },
    dtmf(digits, source) {
      if (!closed) keypad.press(digits, source);
    },
    playbackPosition(segmentId, playedMs) {
      pacer.setListenerPosition(segmentId, playedMs);
    },
    setOutputFrameMs: (frameMs) => pacer.setFrameMs(frameMs),
    get model() {
      return model;
    },
    closed: closedPromise,
  };
}
