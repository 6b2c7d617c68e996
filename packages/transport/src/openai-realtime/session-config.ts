/**
 * The Realtime session object: what `session.created` and `session.updated` report.
 * A `session.update` merges into it; what is reported is what is in force — turn
 * detection is the engine's (its VAD and endpointing, set by the server's
 * configuration), whatever values the client asked for.
 */
import type { RealtimeFunctionTool, RealtimeSessionPatch } from './client-events.js';
import { REALTIME_DEFAULT_FORMAT, normalizeRealtimeFormat } from './realtime-audio.js';
import type { RealtimeAudioFormat } from './realtime-audio.js';

/** The engine's turn detection, reported as `server_vad`. */
export interface EngineTurnDetection {
  /** The VAD's speech threshold (`adapters.vad.threshold`). */
  readonly threshold: number;
  /** Silence before a turn may end (`session.endpointing.min_delay_ms`). */
  readonly silenceDurationMs: number;
  /** Audio kept before speech start (the engine keeps all of it for the recogniser: 0 is not cut). */
  readonly prefixPaddingMs: number;
}

/** The session's settings as the adapter keeps them. */
export interface RealtimeSessionState {
  readonly id: string;
  readonly model: string;
  readonly instructions: string;
  readonly voice: string;
  readonly input: RealtimeAudioFormat;
  readonly output: RealtimeAudioFormat;
  readonly tools: readonly RealtimeFunctionTool[];
  readonly turnDetection: EngineTurnDetection;
}

/** The state a new connection starts with. */
export function initialSessionState(o: {
  readonly id: string;
  readonly model: string;
  readonly instructions?: string | undefined;
  readonly voice?: string | undefined;
  readonly turnDetection: EngineTurnDetection;
}): RealtimeSessionState {
  return {
    id: o.id,
    model: o.model,
    instructions: o.instructions ?? '',
    voice: o.voice ?? 'default',
    input: REALTIME_DEFAULT_FORMAT,
    output: REALTIME_DEFAULT_FORMAT,
    tools: [],
    turnDetection: o.turnDetection,
  };
}

/** What a patch changes, field by field (absent: unchanged). */
export interface SessionChange {
  readonly instructions?: string;
  readonly voice?: string;
  readonly input?: RealtimeAudioFormat;
  readonly output?: RealtimeAudioFormat;
  readonly tools?: readonly RealtimeFunctionTool[];
}

/** The fields of a patch that differ from the state. */
export function sessionChange(s: RealtimeSessionState, patch: RealtimeSessionPatch): SessionChange {
  const inFormat = patch.audio?.input?.format;
  const outFormat = patch.audio?.output?.format;
  const input = inFormat === undefined ? undefined : normalizeRealtimeFormat(inFormat);
  const output = outFormat === undefined ? undefined : normalizeRealtimeFormat(outFormat);
  const voice = patch.audio?.output?.voice;
  return {
    ...(patch.instructions === undefined || patch.instructions === s.instructions
      ? {}
      : { instructions: patch.instructions }),
    ...(voice === undefined || voice === s.voice ? {} : { voice }),
    ...(input === undefined || input.type === s.input.type ? {} : { input }),
    ...(output === undefined || output.type === s.output.type ? {} : { output }),
    ...(patch.tools === undefined ? {} : { tools: patch.tools }),
  };
}

/** The GA `session` object of `session.created` / `session.updated`. */
export function sessionObject(s: RealtimeSessionState): Record<string, unknown> {
  return {
    type: 'realtime',
    object: 'realtime.session',
    id: s.id,
    model: s.model,
    output_modalities: ['audio'],
    instructions: s.instructions,
    tools: s.tools.map((t) => ({
      type: 'function',
      name: t.name,
      description: t.description ?? '',
      parameters: t.parameters ?? { type: 'object', properties: {} },
    })),
    tool_choice: 'auto',
    max_output_tokens: 'inf',
    tracing: null,
    prompt: null,
    truncation: 'auto',
    include: null,
    audio: {
      input: {
        format: s.input,
        transcription: null,
        noise_reduction: null,
        turn_detection: {
          type: 'server_vad',
          threshold: s.turnDetection.threshold,
          prefix_padding_ms: s.turnDetection.prefixPaddingMs,
          silence_duration_ms: s.turnDetection.silenceDurationMs,
          idle_timeout_ms: null,
          // The engine answers every turn and lets the caller barge in (its own policy).
          create_response: true,
          interrupt_response: true,
        },
      },
      output: { format: s.output, voice: s.voice, speed: 1 },
    },
  };
}
