/**
 * The effects of agent runs, carried out for the session actor: the agent's
 * stream (cut into sentence chunks as it arrives), tool calls, and one
 * synthesis after another per run, each feeding its results back as inputs
 * tagged with the run. A cancelled run's work is aborted and its late results
 * never dispatched.
 */
import type { AgentEvent, ProviderOptions } from '@prx-voice/adapter';
import { VoiceError } from '@prx-voice/types';
import type { SessionActorOptions } from './actor-types.js';
import { createSentenceChunker } from './chunker.js';
import type { SessionCommand, SessionInput } from './model.js';
import type { OutputPacer } from './pacer.js';
import { runToolCalls, toolResultContent } from './tools.js';
import type { ToolRegistry } from './tools.js';

/**
 * What a session runs with now: the actor's options at first, changed by a
 * settings update at a turn boundary (each run reads it as it starts a request).
 */
export interface SessionRuntime {
  providers: SessionActorOptions['providers'];
  providerOptions: {
    asr?: ProviderOptions;
    agent?: ProviderOptions;
    tts?: ProviderOptions;
  };
  language: string;
  tools: ToolRegistry | undefined;
}

interface RunEffects {
  readonly abort: AbortController;
  /** Stops the run's tools that opted out of cancellation too. */
  readonly stopTools: AbortController;
  ttsQueue: Promise<void>;
}

/** The run effects of one session. */
export interface RunEffectsRunner {
  /** Runs the agent over `conversation`, or says `script` instead. */
  startAgent(
    runId: string,
    conversation: Extract<SessionCommand, { type: 'start_agent' }>['conversation'],
    script?: string,
    tools?: Extract<SessionCommand, { type: 'start_agent' }>['tools'],
  ): void;
  runTools(runId: string, calls: Extract<SessionCommand, { type: 'run_tools' }>['calls']): void;
  synthesize(runId: string, segmentId: string, text: string): void;
  /**
   * Aborts a run's work; nothing of it is dispatched afterwards but, with `keepTools`,
   * the results of its tools that opted out of cancellation (they finish).
   */
  cancel(runId: string, keepTools?: boolean): void;
  /** Aborts every run (the adapters close). */
  cancelAll(): void;
}

/** Creates the run effects of a session actor. */
export function createRunEffects(deps: {
  readonly options: SessionActorOptions;
  /** The providers, options, language and tools in force. */
  readonly runtime: SessionRuntime;
  readonly pacer: OutputPacer;
  readonly dispatch: (input: SessionInput) => void;
}): RunEffectsRunner {
  const { options: o, runtime: rt, pacer, dispatch } = deps;
  const runs = new Map<string, RunEffects>();

  function runEffects(runId: string): RunEffects {
    let run = runs.get(runId);
    if (run === undefined) {
      run = {
        abort: new AbortController(),
        stopTools: new AbortController(),
        ttsQueue: Promise.resolve(),
      };
      runs.set(runId, run);
    }
    return run;
  }

  function startAgent(
    runId: string,
    conversation: Extract<SessionCommand, { type: 'start_agent' }>['conversation'],
    script?: string,
    tools?: Extract<SessionCommand, { type: 'start_agent' }>['tools'],
  ): void {
    const run = runEffects(runId);
    const chunker = createSentenceChunker();
    const signal = run.abort.signal;
    void (async () => {
      try {
        const events =
          script === undefined
            ? rt.providers.agent.run({
                conversation: trimContext(conversation, o.agentContextLimit?.()),
                tools: tools ?? rt.tools?.definitions() ?? [],
                signal,
                uncommittedChars: () => chunker.pendingLength,
                ...(rt.providerOptions.agent === undefined
                  ? {}
                  : { options: rt.providerOptions.agent }),
              })
            : scripted(script);
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

  /** A scripted answer: its text as one token, then done (no agent, no usage). */
  async function* scripted(text: string): AsyncIterable<AgentEvent> {
    await Promise.resolve();
    yield { type: 'token', text };
    yield { type: 'done', finishReason: 'stop' };
  }

  function runTools(
    runId: string,
    calls: Extract<SessionCommand, { type: 'run_tools' }>['calls'],
  ): void {
    const run = runEffects(runId);
    const registry = rt.tools;
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
              stopSignal: run.stopTools.signal,
              defaultTimeoutMs: o.toolTimeoutMs ?? 10_000,
            });
      dispatch({
        type: 'tool_results',
        runId,
        results: results.map((r) => ({
          callId: r.callId,
          name: r.name,
          ok: r.ok,
          // The JSON result for the `agent.tool_result` event (its schema has `result`).
          ...(r.ok ? { result: r.result } : {}),
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
      // Audio synthesized for the segment, metered once: as it ends, or when it is cut off.
      let synthesizedMs = 0;
      let metered = false;
      const meterAudio = (): void => {
        if (metered || Math.round(synthesizedMs) === 0) return;
        metered = true;
        dispatch({
          type: 'provider_usage',
          kind: 'tts_audio',
          quantity: synthesizedMs,
          key: `${segmentId}:tts_audio_ms`,
        });
      };
      try {
        let pendingMs = 0;
        let first = true;
        for await (const e of rt.providers.tts.synthesize({
          text,
          sampleRate: o.audio.outputRate,
          language: rt.language,
          signal,
          ...(rt.providerOptions.tts === undefined ? {} : { options: rt.providerOptions.tts }),
        })) {
          if (aborted()) return;
          if (e.type === 'audio') {
            const chunkMs = e.samples.length / samplesPerMs;
            synthesizedMs += chunkMs;
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
        meterAudio();
        dispatch({ type: 'tts_done', runId, segmentId });
      } catch (err) {
        if (aborted()) return;
        const e = VoiceError.from(err, 'PROVIDER_ERROR');
        dispatch({ type: 'tts_error', runId, segmentId, code: e.code, message: e.message });
      } finally {
        meterAudio();
      }
    });
  }

  return {
    startAgent,
    runTools,
    synthesize,
    cancel(runId, keepTools = false) {
      const run = runs.get(runId);
      run?.abort.abort();
      if (!keepTools) run?.stopTools.abort();
      runs.delete(runId);
    },
    cancelAll() {
      for (const run of runs.values()) {
        run.abort.abort();
        run.stopTools.abort();
      }
      runs.clear();
    },
  };
}

/**
 * The conversation cut to its system prompt and its last `limit` messages, never
 * starting on a tool result whose call was cut off.
 */
export function trimContext<M extends { readonly role: string }>(
  conversation: readonly M[],
  limit: number | undefined,
): readonly M[] {
  if (limit === undefined) return conversation;
  const system = conversation[0]?.role === 'system' ? 1 : 0;
  if (conversation.length - system <= limit) return conversation;
  let from = conversation.length - Math.max(0, limit);
  while (from < conversation.length && conversation[from]?.role === 'tool') from++;
  return [...conversation.slice(0, system), ...conversation.slice(from)];
}
